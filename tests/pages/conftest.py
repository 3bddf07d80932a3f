"""Stores for the page tests: the demo store (built once per backend, copied for tests that write).

The page tests run on every backend of ``VEILLE_TEST_BACKENDS`` (``backend`` fixture, tests/conftest.py): an empty
store is the ``db_url`` fixture, the demo store ``demo_db`` (shared, read only) or ``demo_copy`` (private).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from geo.demo.build import build_demo_store
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from tests.sqlite_copy import copy_sqlite
from tests.two_structures import build as build_two_structures

APP = Path(__file__).resolve().parents[2] / "dashboard.py"
_COPIES = itertools.count()


def _build_demo(url: str) -> Store:
    store = Store(url)
    end = pd.Timestamp.now(tz="Europe/Paris").floor("h")
    build_demo_store(store, taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), reports=5_000, seed=7, end=end)
    return store


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The SQLite demo store, built once for the session."""
    store = _build_demo(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}")
    with store.engine.connect() as conn:  # fold the WAL into the file so that it can be copied
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return store.url


@pytest.fixture(scope="session")
def postgres_demo(postgres_server) -> tuple[str, str]:
    """The PostgreSQL demo store, built once for the session: ``(template name, URL of a shared copy)``.

    Nothing stays connected to the template database (PostgreSQL copies a database only when nobody is
    connected to it); readers share one copy of it, each writer gets its own (:func:`demo_copy`).
    """
    template = f"demo_template_{os.getpid()}"
    store = _build_demo(postgres_server.create_database(template))
    store.engine.dispose()
    return template, postgres_server.create_database(f"demo_{os.getpid()}", template=template)


@pytest.fixture
def demo_db(backend: str, request: pytest.FixtureRequest) -> str:
    """Return the URL of the demo store of ``backend``, shared by every test: read it, never write to it."""
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_demo")
    return request.getfixturevalue("postgres_demo")[1]


@pytest.fixture
def demo_copy(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Return the URL of a private copy of the demo store, for tests that write."""
    if backend == "sqlite":
        target = tmp_path / "demo-copy.sqlite"
        copy_sqlite(request.getfixturevalue("sqlite_demo").removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("postgres_server")
    template, _ = request.getfixturevalue("postgres_demo")
    name = f"demo_{os.getpid()}_{next(_COPIES)}"
    yield server.create_database(name, template=template)
    server.drop_database(name)


@pytest.fixture(scope="session", autouse=True)
def snapshot_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the snapshots of PostgreSQL stores in this session's folder (the names of test databases recur)."""
    previous = os.environ.get("VEILLE_CACHE_DIR")
    os.environ["VEILLE_CACHE_DIR"] = str(tmp_path_factory.mktemp("veille-cache"))
    yield
    if previous is None:
        os.environ.pop("VEILLE_CACHE_DIR", None)
    else:
        os.environ["VEILLE_CACHE_DIR"] = previous


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


@pytest.fixture
def two(db_url, backend, taxonomy, tmp_path, monkeypatch):
    """Two structures in one PostgreSQL database (tests/two_structures.py), the app pointed at it."""
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    found = build_two_structures(db_url, tmp_path, taxonomy)
    monkeypatch.setenv("VEILLE_DB_URL", db_url)
    return found
