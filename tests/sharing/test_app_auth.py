"""The app with the real login (``VEILLE_AUTH=on``): first coordinator, refusals, roles, expiry, partner session."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from geo.sharing import accounts
from geo.store.accounts_schema import sessions
from geo.store.database import Store
from tests.pages.conftest import navigation_only  # noqa: F401 - autouse fixture: run as the server does
from tests.sharing.conftest import PARTNER, PASSWORD, PLANTED_STRINGS

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard.py"
TITLE = "Signalements — Ville de Dijon – Éclairage public"
REFUSAL = "Accès refusé : votre rôle ne permet pas d'ouvrir cette page."


@pytest.fixture(autouse=True)
def auth_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLE_AUTH", "on")


def start(db: str, monkeypatch: pytest.MonkeyPatch, app: Path = APP) -> AppTest:
    monkeypatch.setenv("VEILLE_DB_URL", db)
    at = AppTest.from_file(str(app), default_timeout=90)
    at.run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def log_in(at: AppTest, login: str, password: str) -> AppTest:
    at.text_input(key="connexion_identifiant").input(login)
    at.text_input(key="connexion_mot_de_passe").input(password)
    at.button[0].click().run()
    no_exception(at)
    return at


def titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def everything_shown(at: AppTest) -> str:
    """Every text, table and map the session received."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info",
                 "success", "metric"):
        parts += [str(getattr(e, "value", "")) + " " + str(getattr(e, "label", "")) for e in at.get(kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    parts += [json.dumps(json.loads(c.proto.json_args), ensure_ascii=False) for c in at.get("component_instance")]
    for kind in ("selectbox", "multiselect", "radio"):
        parts += [json.dumps([str(o) for o in e.options], ensure_ascii=False) for e in at.get(kind)]
    return "\n".join(parts)


def test_first_start_offers_to_create_the_first_coordinator(tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'neuf.sqlite'}"
    at = start(db, monkeypatch)
    assert titles(at) == ["Veille territoriale — premier démarrage"]
    at.text_input(key="premier_identifiant").input("cheffe")
    at.text_input(key="premier_mot_de_passe").input(PASSWORD)
    at.text_input(key="premier_mot_de_passe_bis").input(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    assert "Veille territoriale — premier démarrage" not in titles(at)
    assert accounts.get_user(Store(db), "cheffe").role == "coordinateur"
    assert any("cheffe" in c.value for c in at.sidebar.caption)
    # a second visitor now gets the login form, not the first-start form
    other = start(db, monkeypatch)
    assert titles(other) == ["Veille territoriale — connexion"]


def test_no_page_is_shown_before_login(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    assert titles(at) == ["Veille territoriale — connexion"]
    shown = everything_shown(at)
    assert "Filtres" not in shown and not at.dataframe and not at.get("component_instance")
    for page in ("pages/carte.py", "pages/partage.py"):  # not even registered before a login
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_wrong_passwords_are_refused_then_throttled(planted_copy, monkeypatch):
    at = start(planted_copy, monkeypatch)
    for _ in range(5):
        log_in(at, "coord", "pas-le-bon-mot-de-passe")
        assert [e.value for e in at.error] == ["Identifiant ou mot de passe incorrect."]
        assert titles(at) == ["Veille territoriale — connexion"]
    log_in(at, "coord", PASSWORD)
    assert any("Trop de tentatives" in e.value for e in at.error)
    assert titles(at) == ["Veille territoriale — connexion"]


def test_a_session_past_its_lifetime_must_log_in_again(planted_copy, monkeypatch):
    at = start(planted_copy, monkeypatch)
    log_in(at, "coord", PASSWORD)
    assert "Veille territoriale" in titles(at)
    with Store(planted_copy).engine.begin() as conn:  # the lifetime has passed
        conn.execute(sa.update(sessions).values(expires_at=sessions.c.created_at - 1))
    at.run()
    assert titles(at) == ["Veille territoriale — connexion"]
    assert any("session a expiré" in w.value for w in at.warning)


def test_session_lifetime_comes_from_the_setting(planted_copy, monkeypatch):
    monkeypatch.setenv("VEILLE_SESSION_MINUTES", "5")
    at = start(planted_copy, monkeypatch)
    log_in(at, "terrain", PASSWORD)
    with Store(planted_copy).engine.connect() as conn:
        row = conn.execute(sa.select(sessions.c.created_at, sessions.c.expires_at)
                           .where(sessions.c.login == "terrain")).one()
    assert row.expires_at - row.created_at == 300


def test_a_partner_session_shows_its_scope_without_personal_data(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    log_in(at, "mairie", PASSWORD)
    assert titles(at) == [TITLE]
    shown = everything_shown(at)
    for planted in PLANTED_STRINGS:
        assert planted not in shown, planted
    assert "Filtres" not in shown  # the shared filters (whole taxonomy) are not drawn for a partner
    exact = Store(planted_db).read_reports(columns=("lat", "lon"))
    written = set(re.findall(r"-?\d+\.\d{4,}", shown))
    for lat, lon in zip(exact["lat"], exact["lon"], strict=True):
        assert not ({repr(float(lat)), f"{lat:.6f}"} & written and {repr(float(lon)), f"{lon:.6f}"} & written)
    figures = at.dataframe[0].value
    cells = figures.drop(columns="Quartier").to_numpy().ravel()
    assert not {"1", "2", 1, 2} & set(cells.tolist()) and "< 3" in set(cells.tolist())
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    data = json.loads(re.search(r"var data = (\{.*?\});\n", script).group(1))
    tips = [line for f in data["quartiers"]["features"] for line in f["properties"]["lines"]]
    tips += [line for c in data["cells"] for line in c["lines"]]
    assert "Signalements : < 3" in tips and "< 3" in data["legend"]  # tooltips and legend say « < 3 »
    assert not [t for t in tips if re.fullmatch(r"(Signalements|Ouverts) : [12]", t)]


def test_a_partner_cannot_open_another_page(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    log_in(at, "mairie", PASSWORD)
    for page in ("pages/carte.py", "pages/accueil.py", "pages/partage.py", "pages/comptes.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):  # never registered for a partner
            at.switch_page(page)
    # the page itself refuses too, whatever the navigation does (v1 multipage run of the file alone)
    token = at.session_state["auth_jeton"]
    for page in ("carte", "accueil", "tendances", "saisie", "import_donnees", "signalements", "partenaires", "bilan",
                 "partage", "comptes"):
        alone = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        alone.session_state["auth_jeton"] = token
        alone.run()
        assert [e.value for e in alone.error] == [REFUSAL], page
        assert not alone.dataframe and not alone.get("component_instance"), page


def test_an_equipe_account_sees_field_pages_only_and_cannot_change_the_routing(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    log_in(at, "terrain", PASSWORD)
    assert "Veille territoriale" in titles(at)
    token = at.session_state["auth_jeton"]
    for page, allowed in (("saisie", True), ("partage", False), ("comptes", False), ("import_donnees", False),
                          ("partenaires", False), ("bilan", False)):
        alone = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
        alone.session_state["auth_jeton"] = token
        alone.run()
        assert ([e.value for e in alone.error] == [REFUSAL]) is (not allowed), page
        if page == "partenaires":  # the routing table's editor never reaches an equipe account
            assert not alone.get("arrow_data_editor") and [b.key for b in alone.button] == ["auth_deconnexion"]


def test_the_coordinator_preview_is_what_the_partner_sees(planted_db, monkeypatch):
    partner = start(planted_db, monkeypatch)
    log_in(partner, "mairie", PASSWORD)
    coordinator = start(planted_db, monkeypatch)
    log_in(coordinator, "coord", PASSWORD)
    coordinator.switch_page("pages/partage.py").run()
    no_exception(coordinator)
    assert titles(coordinator) == ["Partage avec les partenaires"]
    coordinator.selectbox(key="partage_partenaire").set_value(PARTNER).run()
    no_exception(coordinator)
    for mine, theirs in zip(coordinator.dataframe, partner.dataframe, strict=True):
        assert mine.value.equals(theirs.value)
    mine, theirs = (json.loads(at.get("component_instance")[0].proto.json_args) for at in (coordinator, partner))
    assert mine["script"] == theirs["script"] and mine.pop("key") != theirs.pop("key")  # only the widget key differs
    assert mine == theirs
    shown = everything_shown(coordinator)
    assert not any(p in shown for p in PLANTED_STRINGS)


def test_the_coordinator_creates_an_account_and_the_action_is_logged(planted_copy, monkeypatch):
    at = start(planted_copy, monkeypatch)
    log_in(at, "coord", PASSWORD)
    at.switch_page("pages/comptes.py").run()
    no_exception(at)
    at.text_input(key="compte_identifiant").input("bailleur1")
    at.selectbox(key="compte_role").set_value("partenaire")
    at.selectbox(key="compte_partenaire").set_value("orvitis")
    at.text_input(key="compte_mot_de_passe").input(PASSWORD)
    at.button[0].click().run()
    no_exception(at)
    assert any("bailleur1" in s.value for s in at.success)
    user = accounts.get_user(Store(planted_copy), "bailleur1")
    assert (user.role, user.partner_id) == ("partenaire", "orvitis")
    log = accounts.read_audit(Store(planted_copy))
    assert (log[0]["login"], log[0]["action"]) == ("coord", "user_created")


def test_a_field_entry_records_who_made_it(planted_copy, monkeypatch):
    at = start(planted_copy, monkeypatch)
    log_in(at, "terrain", PASSWORD)
    at.switch_page("pages/saisie.py").run()
    no_exception(at)
    at.number_input(key="saisie_lat").set_value(47.3221)
    at.number_input(key="saisie_lon").set_value(5.0415)
    at.selectbox[0].set_value("eclairage")
    at.radio[0].set_value(2)
    at.button[0].click().run()
    no_exception(at)
    store = Store(planted_copy)
    entry = [e for e in accounts.read_audit(store) if e["action"] == "report_entered"]
    assert entry and entry[0]["login"] == "terrain"
    assert store.get_report(entry[0]["detail"])["author"] == "terrain"
    assert np.isclose(store.get_report(entry[0]["detail"])["lat"], 47.3221)
