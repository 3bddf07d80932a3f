"""Import page in a real Chromium: the mapping is shown before importing, and a batch is undone in two steps."""

from __future__ import annotations

import pytest

from geo.store.database import Store
from tests.e2e.test_browser import TITLES, assert_healthy, excel_fr_csv, expect, open_page, screenshot, wait_idle

pytestmark = pytest.mark.browser


def test_mapping_before_import_then_undo_the_batch(app_page, e2e_server, browser_watch, artifacts_dir, tmp_path):
    page = app_page
    open_page(page, e2e_server, "/import_donnees", TITLES["Import"])
    csv = excel_fr_csv(tmp_path)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    expect(page.get_by_role("heading", name="Aperçu des premières lignes")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("Date d'observation ← colonne « Date observation »")).to_be_visible()
    expect(page.get_by_text("Catégorie ← colonne « Catégorie »")).to_be_visible()
    expect(page.get_by_text("Dates de la colonne « Date observation » ambiguës", exact=False)).to_be_visible()
    screenshot(page, artifacts_dir, "10_import_correspondance")

    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", name=f"Résultat — {csv.name}")).to_be_visible(timeout=30_000)
    wait_idle(page)
    store = Store(e2e_server.db_url)
    batch = int(store.list_batches()["id"].iloc[0])
    before = store.count_reports()

    page.get_by_text("Imports déjà faits (lots) — annuler un import").click()
    choice = page.get_by_role("combobox", name="Annuler un import")
    undo = page.get_by_role("button", name="Annuler ce lot…")
    for _attempt in range(3):  # a busy machine may drop the first keystrokes while the options load
        choice.click()
        choice.press_sequentially(f"Lot {batch} —")
        choice.press("Enter")
        wait_idle(page)
        try:
            expect(undo).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    expect(undo).to_be_visible()
    page.get_by_label("Votre nom (noté avec l'annulation)").fill("Camille")
    page.get_by_label("Votre nom (noté avec l'annulation)").press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Annuler ce lot…").click()
    expect(page.get_by_text(f"Retirer le lot {batch} ({csv.name})", exact=False)).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert store.count_reports() == before  # nothing removed before the confirmation
    page.get_by_role("button", name="Oui, annuler ce lot").click()
    expect(page.get_by_text(f"Lot {batch} annulé : 4 signalement(s) et 1 ligne(s)", exact=False)).to_be_visible(
        timeout=30_000)
    wait_idle(page)
    assert store.count_reports() == before - 4
    assert store.get_batch(batch)["removed_by"] == "Camille"
    expect(page.get_by_role("heading", name=f"Résultat — {csv.name}")).to_have_count(0)
    assert_healthy(page, browser_watch, "Import, after undoing a batch")
    screenshot(page, artifacts_dir, "11_import_lot_annule")
