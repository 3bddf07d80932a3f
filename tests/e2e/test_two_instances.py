"""Two app instances on one PostgreSQL see each other's writes within a second.

Two real ``streamlit run dashboard.py`` servers on 127.0.0.1 share one throwaway PostgreSQL/PostGIS database (each
with its own snapshot cache folder, as on two hosts). A field report is saved through instance A's Saisie page in
Chromium; instance B's Carte page, open in another browser, is rerun until its count of reports includes it. The
commit's time is taken from the database itself (a thread watches the data version); B's screen time from the
browser (a MutationObserver on the caption). B's caches are keyed on the data version (``ui/loaders.py``), so no
cached frame may hide the write once the version has been re-read.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.e2e.test_browser import ENTRY_POINT, TITLES, carte_count, choose, expect, open_page

pytestmark = pytest.mark.browser

DEMO_REPORTS = 2_000
WITHIN_S = 1.0

# Counts B's script runs and notes when the Carte caption first reads the awaited text (epoch ms).
_WATCH_B = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__runs = 0; window.__seenAt = null; window.__awaited = null;
  new MutationObserver(() => { if (app.dataset.testScriptState === 'running') window.__runs++; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const check = () => {
    if (window.__seenAt !== null || window.__awaited === null) return;
    for (const el of document.querySelectorAll('[data-testid="stCaptionContainer"]')) {
      if (el.innerText.includes(window.__awaited)) { window.__seenAt = Date.now(); return; }
    }
  };
  new MutationObserver(check).observe(document.body, {subtree: true, childList: true, characterData: true});
}
"""
_RUN_OVER = """n => window.__runs > n
  && document.querySelector('[data-testid="stApp"]').dataset.testScriptState === 'notRunning'"""


@pytest.fixture
def shared_postgres_demo(postgres_server) -> str:
    """A PostgreSQL database holding a small demo store, for two app instances."""
    import pandas as pd

    from geo.demo.build import build_demo_store
    from geo.settings import DATA_DIR
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    url = postgres_server.create_database(f"two_instances_{uuid.uuid4().hex[:8]}")
    store = Store(url)
    build_demo_store(store, taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), reports=DEMO_REPORTS, seed=3,
                     end=pd.Timestamp.now(tz="Europe/Paris").floor("h"))
    store.engine.dispose()
    return url


class CommitWatch:
    """A thread reading the store's data version every 5 ms; notes the time it first changes (a commit)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(url)
        self.query = sa.text("SELECT value FROM meta WHERE key = 'data_version'")
        with self.engine.connect() as conn:
            self.start_version = conn.execute(self.query).scalar()
        self.committed_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self._stop.is_set():
                version = conn.execute(self.query).scalar()
                conn.rollback()  # a new snapshot for the next read
                if version != self.start_version:
                    self.committed_at = time.time()
                    return
                time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()


def test_two_instances_on_one_postgresql_see_each_others_writes_within_a_second(
        shared_postgres_demo, app_server_factory, watched_page_factory, tmp_path, monkeypatch):
    url = shared_postgres_demo
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(tmp_path / "cache-a"))
    with app_server_factory(url, tmp_path / "a.log") as server_a:
        monkeypatch.setenv("VEILLE_CACHE_DIR", str(tmp_path / "cache-b"))
        with app_server_factory(url, tmp_path / "b.log") as server_b:
            page_b, watch_b = watched_page_factory()
            open_page(page_b, server_b, "/carte", TITLES["Carte"])
            before = carte_count(page_b)
            assert before > 0
            page_b.evaluate(_WATCH_B)
            page_b.evaluate("text => { window.__awaited = text; }",
                            f"{before + 1:,}".replace(",", "\u202f") + " signalements dans la sélection")

            page_a, watch_a = watched_page_factory()
            open_page(page_a, server_a, "/saisie", TITLES["Saisie"])
            form = page_a.locator('[data-testid="stForm"]')
            lat, lon = ENTRY_POINT
            form.get_by_label("Latitude").fill(f"{lat:.6f}")
            form.get_by_label("Longitude").fill(f"{lon:.6f}")
            choose(page_a, form, "Catégorie", "Veille technique — Éclairage public en panne")
            form.locator('[data-testid="stRadio"]').get_by_text("À traiter", exact=True).click()
            form.get_by_role("textbox", name="Description").fill("Lampadaire éteint (deux instances)")

            commit = CommitWatch(url)
            try:
                form.get_by_role("button", name="Enregistrer").click()
                # B reruns over and over (Streamlit's "r" key) while A saves, until B's count includes the report
                stale_after_bound, reruns = [], []
                deadline = time.monotonic() + 60
                while page_b.evaluate("window.__seenAt") is None:
                    assert time.monotonic() < deadline, "instance B never showed the report"
                    runs = page_b.evaluate("window.__runs")
                    asked = time.time()
                    page_b.locator("body").press("r")
                    page_b.wait_for_function(_RUN_OVER, arg=runs, timeout=30_000)
                    reruns.append((asked, time.time(), page_b.evaluate("window.__seenAt") is not None))
                    if (page_b.evaluate("window.__seenAt") is None and commit.committed_at is not None
                            and asked >= commit.committed_at + WITHIN_S):
                        stale_after_bound.append(round(asked - commit.committed_at, 3))
            finally:
                commit.stop()
            expect(page_a.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text("enregistré")
            assert commit.committed_at is not None
            seen = page_b.evaluate("window.__seenAt") / 1000
            t0 = commit.committed_at
            latency = seen - t0
            print(f"\ninstance B showed instance A's report {latency:.3f} s after its commit; B's reruns (asked, "
                  f"ended, seen; s from the commit): "
                  f"{[(round(a - t0, 2), round(e - t0, 2), s) for a, e, s in reruns]}")
            assert not stale_after_bound, f"B's reruns asked {stale_after_bound} s after the commit showed old data"
            assert 0 < latency <= WITHIN_S, f"instance B showed the report {latency:.3f} s after the commit"
            assert carte_count(page_b) == before + 1
            for watch, name in ((watch_a, "A"), (watch_b, "B")):
                assert not watch.problems(), f"instance {name}: {watch.problems()}"
