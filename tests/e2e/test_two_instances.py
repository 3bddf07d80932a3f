"""Two app instances on one PostgreSQL see each other's writes within a second.

Two real ``streamlit run dashboard.py`` servers on 127.0.0.1 share one throwaway PostgreSQL/PostGIS database (each
with its own snapshot cache folder, as on two hosts). A field report is saved through instance A's Saisie page in
Chromium; instance B's Carte page, open in another browser, is rerun over and over. The commit's time is taken from
the database itself (a thread watches the data version). Every rerun of B asked one second or more after the commit
must count the new report: B's caches are keyed on the data version (``ui/loaders.py``), itself re-read at most
every half second, so no cached frame may hide the write longer. When the new count first reached B's screen is
printed (a figure, not a timed assertion: it adds the page's own rerun time, seconds on a loaded machine).
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
                # B reruns over and over (Streamlit's "r" key) while A saves, until one of its reruns was asked
                # WITHIN_S or more after the commit: that one, and every later one, must show the report.
                reruns: list[tuple[float, float, int]] = []  # (asked, ended, count shown), epoch seconds
                deadline = time.monotonic() + 120
                while commit.committed_at is None or not reruns or reruns[-1][0] < commit.committed_at + WITHIN_S:
                    assert time.monotonic() < deadline, "instance A's write was never seen in the database"
                    runs = page_b.evaluate("window.__runs")
                    asked = time.time()
                    page_b.locator("body").press("r")
                    page_b.wait_for_function(_RUN_OVER, arg=runs, timeout=30_000)
                    reruns.append((asked, time.time(), carte_count(page_b)))
            finally:
                commit.stop()
            expect(page_a.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text("enregistré")
            t0 = commit.committed_at
            first_seen = page_b.evaluate("window.__seenAt")
            print(f"\ninstance B's Carte: reruns (asked, ended: s from instance A's commit; count shown): "
                  f"{[(round(a - t0, 2), round(e - t0, 2), n) for a, e, n in reruns]}; the new count on screen "
                  f"{'never' if first_seen is None else f'{first_seen / 1000 - t0:.2f} s after the commit'}")
            assert all(n == before for a, _, n in reruns if a < t0 - 0.5), "B's count changed before the write"
            late = [(round(a - t0, 2), n) for a, _, n in reruns if a >= t0 + WITHIN_S]
            assert late and all(n == before + 1 for _, n in late), (
                f"B's reruns asked {WITHIN_S} s or more after A's write showed an old count: {late}")
            assert first_seen is not None
            for watch, name in ((watch_a, "A"), (watch_b, "B")):
                assert not watch.problems(), f"instance {name}: {watch.problems()}"
