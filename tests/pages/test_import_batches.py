"""Import page: the batches with their counts, an undo in two steps, and the mapping shown before importing."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import import_file
from geo.ingest.territory import install_territory
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from tests.conftest import FIXTURES, NORTH_POINT, make_territory

PAGE = "pages/import_donnees.py"


@pytest.fixture
def store_with_batches(db_url) -> Store:
    store = Store(db_url)
    install_territory(store, make_territory(), source_name="test")
    taxonomy = load_taxonomy(DATA_DIR / "taxonomy.json")
    import_file(store, FIXTURES / "kobo_veille.csv", taxonomy=taxonomy)
    record_report(store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="eclairage",
                                    observed_at=pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)), taxonomy=taxonomy)
    import_file(store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy)
    return store


def choose_batch(at, batch: int):
    at.selectbox(key="lots_choix").select(batch).run()
    at.text_input(key="lots_nom").input("Camille").run()
    at.button(key="lots_annuler").click().run()
    return at


def test_the_page_lists_batches_and_undoes_one_after_confirmation(app, store_with_batches):
    store = store_with_batches
    before = store.count_reports()
    at = app(PAGE, db=store.url)
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "lot" in d.value.columns]
    assert table["lot"].tolist() == [3, 1]  # newest first; the field report's batch is not offered
    assert table.set_index("lot").loc[1, "enregistrées"] == 3
    choose_batch(at, 1)
    assert any("Retirer le lot 1 (kobo_veille.csv)" in w.value for w in at.warning)
    assert store.count_reports() == before  # nothing removed before the confirmation
    at.button(key="lots_confirmer").click().run()
    assert not at.exception
    assert any("Lot 1 annulé : 3 signalement(s) et 1 ligne(s)" in s.value for s in at.success)
    assert store.count_reports() == before - 3
    batch = store.get_batch(1)
    assert batch["removed_by"] == "Camille" and batch["removed_at"] is not None
    [table] = [d.value for d in at.dataframe if "lot" in d.value.columns]
    assert table.set_index("lot").loc[1, "annulé par"] == "Camille"
    assert at.selectbox(key="lots_choix").options == ["Lot 3 — odk_veille.csv (" + table.set_index("lot").loc[
        3, "importé le"] + ") : 3 signalement(s), 0 en quarantaine"]


def test_saying_no_keeps_the_batch(app, store_with_batches):
    store = store_with_batches
    before = store.count_reports()
    at = choose_batch(app(PAGE, db=store.url), 3)
    at.button(key="lots_garder").click().run()
    assert not at.exception
    assert store.count_reports() == before and store.get_batch(3)["removed_at"] is None
    assert not any("Retirer le lot" in w.value for w in at.warning)


def test_the_mapping_and_its_warnings_are_shown_before_the_import(tmp_path, store_with_batches, monkeypatch):
    monkeypatch.setenv("VEILLE_DB_URL", store_with_batches.url)
    script = tmp_path / "apercu.py"
    script.write_text(
        "from geo.ingest.preview import preview_file\n"
        "from ui import import_form, loaders\n"
        f"found = preview_file({str(FIXTURES / 'kobo_veille.csv')!r}, taxonomy=loaders.taxonomy(),\n"
        "                     territory=loaders.territory())\n"
        "import_form.show_mapping(found)\n", encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=60).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "Date d'observation ← colonne « start »" in text
    assert "Catégorie ← colonne « grp_obs/categorie »" in text
    assert any("métadonnée KoboToolbox/ODK" in w.value for w in at.warning)
