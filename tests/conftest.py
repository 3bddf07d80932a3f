"""Shared fixtures: a store with a two-polygon territory, on SQLite and on PostgreSQL/PostGIS, and the taxonomy.

Tests of the store, ingest, analysis and pages that take ``db_url`` (or a store built on it) run once per
backend of ``VEILLE_TEST_BACKENDS`` (default ``sqlite,postgresql``): the PostgreSQL one on a throwaway
PostGIS server started once for the session on 127.0.0.1 (:mod:`tests.postgres_server`), a new database per
test made from a template. Without PostgreSQL on the machine those runs skip with the reason, except in CI
(``VEILLE_REQUIRE_POSTGRES=1``, set by tests/run.sh) where they fail.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.ingest.territory import install_territory
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import Taxonomy, load_taxonomy

FIXTURES = Path(__file__).parent / "fixtures"

# Two rectangles sharing the border lat = 47.32 (Dijon area, WGS84).
NORTH_POINT = (47.34, 5.04)  # (lat, lon) inside "nord"
SOUTH_POINT = (47.30, 5.04)  # inside "sud"
OUTSIDE_POINT = (48.8566, 2.3522)  # Paris: valid, outside the territory


def make_territory() -> gpd.GeoDataFrame:
    """Return the two hand-made neighbourhoods ``nord`` (2,000 inhabitants) and ``sud`` (500)."""
    return gpd.GeoDataFrame(
        {"code": ["nord", "sud"], "name": ["Quartier Nord", "Quartier Sud"], "population": [2000, 500],
         "priority": [False, True]},
        geometry=[box(5.00, 47.32, 5.08, 47.36), box(5.00, 47.28, 5.08, 47.32)],
        crs="EPSG:4326",
    )


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DATA_DIR / "taxonomy.json")


BACKENDS = [b.strip() for b in os.environ.get("VEILLE_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]
# Test folders whose store tests run on every backend (the others run on SQLite only).
BOTH_BACKENDS_DIRS = ("store", "ingest", "analysis", "pages", "cli", "workflow", "patrol")
_DATABASES = itertools.count()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and "backend" not in getattr(metafunc, "_params_set", ()):
        folder = Path(str(metafunc.definition.path)).parent.name
        sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
        backends = BACKENDS if folder in BOTH_BACKENDS_DIRS and not sqlite_only else ["sqlite"]
        metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    from tests.postgres_server import missing_postgres, running_postgres

    reason = missing_postgres()
    if reason:
        if os.environ.get("VEILLE_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here: {reason}")
        pytest.skip(reason)
    with running_postgres() as server:
        server.create_database("veille_template")
        yield server


@pytest.fixture
def db_url(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'veille.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"t{os.getpid()}_{next(_DATABASES)}", template="veille_template")


@pytest.fixture
def empty_store(db_url: str) -> Store:
    """A store with no territory."""
    return Store(db_url)


@pytest.fixture
def tmp_store(empty_store: Store) -> Store:
    """A store on a temporary SQLite file with the two-polygon territory installed."""
    install_territory(empty_store, make_territory(), source_name="test")
    return empty_store


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    """A real SMTP server on 127.0.0.1 (aiosmtpd) the app is pointed at (``VEILLE_SMTP_*``); yields its inbox."""
    from aiosmtpd.controller import Controller

    from tests.mail_server import Inbox, free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"),
                        ("SENDER", "veille@mediation.example"), ("BACKOFF", "0.01")):
        monkeypatch.setenv(f"VEILLE_SMTP_{name}", value)
    yield inbox
    controller.stop()
