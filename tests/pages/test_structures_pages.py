"""The app and several structures: each user's loaders read their structure only; one structure is never named."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP
from tests.two_structures import EXTRA, PASSWORD, SECRET

WORD = re.compile(r"structures?\b", re.IGNORECASE)
PAGES = sorted(p.name for p in (Path(APP).parent / "pages").glob("*.py"))


def _texts(node, out: list[str]) -> list[str]:
    """Collect the protobuf text of every element below ``node`` (labels, values, tables, maps)."""
    proto = getattr(node, "proto", None)
    if proto is not None:  # less the widgets' internal ids (built from their keys, never shown)
        out.append(re.sub(r'^\s*id: ".*"$', "", str(proto), flags=re.MULTILINE))
    for child in getattr(node, "children", {}).values():
        _texts(child, out)
    return out


def shown(at: AppTest) -> str:
    return "\n".join(_texts(at._tree, []))


def _page_has_no_word(at: AppTest, page: str) -> None:
    assert not at.exception, (page, [e.value for e in at.exception])
    text = shown(at)
    assert len(text) > 200, page
    found = WORD.search(text)
    assert found is None, (page, text[max(0, found.start() - 300):found.end() + 300])


def test_one_structure_is_never_named(app):
    """On an SQLite store (one structure), no page says « structure », in any label, text, table or map."""
    assert "reseau.py" in PAGES and len(PAGES) >= 14
    coordinator = [p for p in PAGES if p not in ("partenaire.py", "reseau.py")]  # each opened below by its role
    for page in coordinator:
        _page_has_no_word(app(f"pages/{page}"), page)


def test_one_structure_is_never_named_to_other_roles(demo_copy, monkeypatch):
    """The login form, the partner's page and a réseau account's page on a one-structure store."""
    from geo.sharing import accounts
    from geo.store.database import Store

    store = Store(demo_copy)
    accounts.create_user(store, "mairie", PASSWORD, role="partenaire", partner_id="ville-eclairage")
    accounts.create_user(store, "tete.de.reseau", PASSWORD, role="reseau")
    monkeypatch.setenv("VEILLE_AUTH", "on")
    monkeypatch.setenv("VEILLE_DB_URL", demo_copy)
    at = AppTest.from_file(str(APP), default_timeout=90).run()
    _page_has_no_word(at, "connexion")
    _page_has_no_word(_log_in(at, "mairie"), "partenaire.py")
    at = _log_in(AppTest.from_file(str(APP), default_timeout=90).run(), "tete.de.reseau")
    assert [t.value for t in at.title] == ["Réseau"]
    assert "Quartier" in at.dataframe[0].value.columns
    _page_has_no_word(at, "reseau.py")


def _loaders_script() -> None:
    import json

    import streamlit as st

    from geo.analysis.filtering import ReportFilter
    from geo.workflow.queue import ReportQuery
    from ui import followup, loaders

    reports = loaders.reports()
    ids = sorted(reports["id"])
    details = loaders.report_details(ids)
    listed = followup.report_list(ReportQuery())
    st.text(json.dumps({
        "url": loaders.settings().db_url, "reports": ids, "filtered": len(loaders.filtered_reports(ReportFilter())),
        "territory": sorted(loaders.territory()["code"]), "descriptions": sorted(set(details["description"])),
        "listed": sorted(listed["id"]), "count": followup.report_count(ReportQuery()),
        "batches": len(loaders.store().list_batches()),
    }))


def test_each_session_loads_its_structure_only(two):
    seen = {}
    for code in (None, "quetigny"):
        at = AppTest.from_function(_loaders_script, default_timeout=90)
        if code:
            at.session_state["structure_connectee"] = code
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        seen[code] = json.loads(at.text[0].value)
    dijon, quetigny = seen[None], seen["quetigny"]
    assert dijon["url"] == two.url and quetigny["url"] == two.second_url
    assert len(dijon["reports"]) == dijon["filtered"] == dijon["count"] == two.file_reports
    assert len(quetigny["reports"]) == quetigny["filtered"] == quetigny["count"] == two.file_reports + 1
    assert dijon["listed"] == dijon["reports"] and quetigny["listed"] == quetigny["reports"]
    assert set(dijon["reports"]) < set(quetigny["reports"])  # the same file: the same ids, in each structure
    assert EXTRA in quetigny["descriptions"] and EXTRA not in dijon["descriptions"]
    assert dijon["territory"] == quetigny["territory"] == ["nord", "sud"]
    assert (dijon["batches"], quetigny["batches"]) == (1, 2)


def _log_in(at: AppTest, login: str) -> AppTest:
    at.text_input(key="connexion_identifiant").input(login)
    at.text_input(key="connexion_mot_de_passe").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_sign_in_opens_the_accounts_structure_and_reseau_sees_masked_figures(two, monkeypatch):
    monkeypatch.setenv("VEILLE_AUTH", "on")
    at = _log_in(AppTest.from_file(str(APP), default_timeout=90).run(), "cheffe.quetigny")
    assert "Structure : **Pimms Quetigny**" in [c.value for c in at.sidebar.caption]
    at.switch_page("pages/signalements.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"{two.file_reports + 1} signalement(s) trouvé(s)." in [c.value for c in at.caption]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/reseau.py")  # not among a coordinator's pages

    other = _log_in(AppTest.from_file(str(APP), default_timeout=90).run(), "cheffe.dijon")
    assert "Structure : **Pimms Médiation Dijon**" in [c.value for c in other.sidebar.caption]
    other.switch_page("pages/signalements.py").run()
    assert f"{two.file_reports} signalement(s) trouvé(s)." in [c.value for c in other.caption]

    net = _log_in(AppTest.from_file(str(APP), default_timeout=90).run(), "reseau")
    assert [t.value for t in net.title] == ["Réseau — chiffres de toutes les structures"]
    net.date_input(key="reseau_periode").set_value((dt.date(2026, 3, 1), dt.date(2026, 3, 31))).run()
    assert not net.exception, [e.value for e in net.exception]
    table = net.dataframe[0].value
    assert set(table["Structure"]) == {"Pimms Médiation Dijon", "Pimms Quetigny"}
    assert "< 3" in set(table["Signalements"]) and "5" in set(table["Signalements"])
    text = shown(net)
    assert SECRET not in text and EXTRA not in text
    for page in ("signalements", "accueil", "carte"):  # no report, no list, no map of points for the réseau
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            net.switch_page(f"pages/{page}.py")
