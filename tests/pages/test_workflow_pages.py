"""The follow-up pages: Signalements (search, fiche, status change), Partenaires (missing routes), Bilan."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from geo.workflow.activity import compute_activity, summary_text
from geo.workflow.lifecycle import read_history
from geo.workflow.queue import ReportQuery, list_reports
from geo.workflow.routing import read_routing, replace_routing
from ui.loaders import refresh

PAGES = ["pages/signalements.py", "pages/partenaires.py", "pages/bilan.py"]


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_and_empty_store(app, page, db_url):
    at = app(page)
    no_exception(at)
    assert at.title
    empty = app(page, db=db_url)
    no_exception(empty)


def test_signalements_search_and_fiche(app, demo_db):
    store = Store(demo_db)
    target = list_reports(store, ReportQuery(statuses=("resolu",)), limit=1)["id"].iloc[0]
    at = app("pages/signalements.py")
    at.text_input(key="sig_texte").input(target).run()
    no_exception(at)
    assert "1 signalement(s) trouvé(s)" in " ".join(c.value for c in at.caption)
    assert at.selectbox(key="sig_fiche").value == target
    history = read_history(store, [target])
    shown = at.dataframe[1].value  # the fiche's history, after the search results
    assert len(shown) == len(history) and shown["Vers"].iloc[-1] == "Résolu"
    assert "Ligne brute importée" in [e.label for e in at.expander]


def test_signalements_changes_a_status_with_its_history(app, demo_copy):
    store = Store(demo_copy)
    new = list_reports(store, ReportQuery(statuses=("nouveau",), partners=tuple(
        p for p in read_routing(store)["partner"].unique())), limit=1)
    target = new["id"].iloc[0]
    at = app("pages/signalements.py", db=demo_copy)
    at.text_input(key="sig_texte").input(target).run()
    at.selectbox(key="sig_statut_v").set_value("transmis")
    at.text_input(key="sig_statut_par").input("Léa")
    at.text_input(key="sig_statut_commentaire").input("envoyé par mail")
    button(at, "Enregistrer le changement").click().run()
    no_exception(at)
    assert "passé(s) à « Transmis au partenaire »" in " ".join(s.value for s in at.success)
    assert store.get_report(target)["status"] == "transmis"
    last = read_history(store, [target]).iloc[-1]
    assert (last["from_status"], last["to_status"], last["changed_by"], last["note"]) == (
        "nouveau", "transmis", "Léa", "envoyé par mail")


def test_signalements_refusal_is_shown_in_french(app, demo_copy):
    store = Store(demo_copy)
    target = list_reports(store, ReportQuery(statuses=("nouveau",)), limit=1)["id"].iloc[0]
    at = app("pages/signalements.py", db=demo_copy)
    at.text_input(key="sig_texte").input(target).run()
    at.selectbox(key="sig_statut_v").set_value("doublon")
    at.text_input(key=f"sig_original_{target}").input("inexistant")
    button(at, "Enregistrer le changement").click().run()
    no_exception(at)
    assert "n'existe pas" in " ".join(e.value for e in at.error)
    assert store.get_report(target)["status"] == "nouveau"


def test_partenaires_shows_missing_routes(app, demo_copy):
    at = app("pages/partenaires.py", db=demo_copy)
    no_exception(at)
    assert any("Chaque catégorie" in s.value for s in at.success)
    store = Store(demo_copy)
    routes = read_routing(store)
    replace_routing(store, routes[routes["category"] != "rodeo"], taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"))
    refresh()  # as a page does after writing: the data version is otherwise re-read at most every half second
    at = app("pages/partenaires.py", db=demo_copy)
    no_exception(at)
    warning = " ".join(w.value for w in at.warning)
    assert "12 couple(s) catégorie × quartier sans partenaire" in warning  # 11 quartiers + outside
    missing = at.dataframe[0].value
    assert set(missing["Catégorie"]) == {"Rodéo motorisé"}
    assert len(missing) == 12 and "(hors territoire)" in set(missing["Quartier"])


def test_bilan_text_follows_the_figures(app, demo_db):
    at = app("pages/bilan.py")
    no_exception(at)
    start, end = at.date_input(key="bilan_periode").value
    tz = "Europe/Paris"
    activity = compute_activity(Store(demo_db), start=pd.Timestamp(start).tz_localize(tz),
                                end=(pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(tz), by="registre",
                                taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"))
    assert summary_text(activity, timezone=tz) in [m.value for m in at.markdown]
    assert int(next(m for m in at.metric if m.label == "Signalements").value) == activity.total["reports"]
    at.selectbox(key="bilan_par").set_value("partner").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert "Police municipale de Dijon" in set(table["Partenaire"])
    assert table["Signalements"].iloc[-1] == activity.total["reports"]  # the total line
    assert len(at.get("download_button")) == 2


def test_saisie_offers_photos(app):
    at = app("pages/saisie.py")
    no_exception(at)
    assert any(t.label.startswith("Prendre une photo") for t in at.toggle)


def test_signalements_acts_on_a_selection(app, demo_copy):
    store = Store(demo_copy)
    at = app("pages/signalements.py", db=demo_copy)
    at.multiselect(key="sig_statuts").select("transmis").run()
    ids = list_reports(store, ReportQuery(statuses=("transmis",)))["id"].tolist()
    assert len(ids) >= 3
    at.session_state["sig_table"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    no_exception(at)
    at.selectbox(key="sig_lot_statut").set_value("pris_en_charge")
    at.text_input(key="sig_lot_par").input("Coordination")
    button(at, "Appliquer à la sélection").click().run()
    no_exception(at)
    assert "2 signalement(s) passé(s) à « Pris en charge »" in " ".join(s.value for s in at.success)
    assert [store.get_report(i)["status"] for i in ids[:3]] == ["pris_en_charge", "pris_en_charge", "transmis"]
    assert read_history(store, ids[:1]).iloc[-1]["changed_by"] == "Coordination"


def test_signalements_category_change_reroutes(app, demo_copy):
    store = Store(demo_copy)
    target = list_reports(store, ReportQuery(categories=("tags",), neighbourhoods=("centre-ville",)), limit=1)
    rid = target["id"].iloc[0]
    assert target["partner"].iloc[0] == "ville-proprete"
    at = app("pages/signalements.py", db=demo_copy)
    at.text_input(key="sig_texte").input(rid).run()
    at.selectbox(key=f"sig_categorie_{rid}").set_value("eclairage")
    button(at, "Changer la catégorie (et le partenaire)").click().run()
    no_exception(at)
    assert "partenaire : Ville de Dijon – Éclairage public" in " ".join(s.value for s in at.success)
    assert (store.get_report(rid)["category"], store.get_report(rid)["partner"]) == ("eclairage", "ville-eclairage")


def test_signalements_reads_the_raw_row_only_once_its_expander_is_opened(app, demo_copy, monkeypatch):
    from geo.ingest.importer import import_file
    from tests.conftest import FIXTURES
    from ui import loaders

    store = Store(demo_copy)
    import_file(store, FIXTURES / "kobo_veille.csv", taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"))
    target = "kobo:6f1c2a9e-3b1d-4c55-9a0e-1d2f3a4b5c01"
    reads = []
    original = loaders._read_raw_row
    monkeypatch.setattr(loaders, "_read_raw_row", lambda s, rid: reads.append(rid) or original(s, rid))
    at = app("pages/signalements.py", db=demo_copy)
    at.text_input(key="sig_texte").input(target).run()
    no_exception(at)
    assert at.selectbox(key="sig_fiche").value == target
    assert "Ligne brute importée" in [e.label for e in at.expander]
    assert reads == [] and not at.json  # closed: the kept file is not read again on every render
    at.session_state["sig_brute"] = True
    at.run()
    no_exception(at)
    assert reads == [target]
    assert at.json and '"_status"' in at.json[0].value  # the row as in the file, its metadata included
