"""Stores for the page tests: the demo store (built once) and an empty one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from geo.demo.build import build_demo_store
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

APP = Path(__file__).resolve().parents[2] / "dashboard.py"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    end = pd.Timestamp.now(tz="Europe/Paris").floor("h")
    store = Store(url)
    build_demo_store(store, taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), reports=5_000, seed=7, end=end)
    with store.engine.connect() as conn:  # fold the WAL into the file so that it can be copied
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return url


@pytest.fixture
def demo_copy(demo_db: str, tmp_path: Path) -> str:
    """Return the URL of a private copy of the demo store, for tests that write."""
    target = tmp_path / "demo-copy.sqlite"
    shutil.copy(demo_db.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


@pytest.fixture(autouse=True)
def navigation_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the app as the server does once ``st.navigation`` has been called.

    Streamlit treats a ``pages/`` folder beside the entry script as a v1 multipage app until the first
    ``st.navigation`` call switches that off for the process. AppTest resets the switch before every run,
    so without this a rerun would execute the page file alone, without the entry script's sidebar.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(autouse=True)
def auth_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """These page tests are about the pages, not the login: run as the local single user (``VEILLE_AUTH=off``).

    The login itself is tested with ``VEILLE_AUTH=on`` in ``tests/sharing``.
    """
    monkeypatch.setenv("VEILLE_AUTH", "off")


@pytest.fixture
def app(demo_db: str, monkeypatch: pytest.MonkeyPatch):
    """Return a factory of AppTests on the demo store, already switched to a page."""
    monkeypatch.setenv("VEILLE_DB_URL", demo_db)

    def make(page: str | None = None, *, db: str | None = None) -> AppTest:
        if db:
            monkeypatch.setenv("VEILLE_DB_URL", db)
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    return make
