"""Shared fixtures: a store on a temporary SQLite file with a two-polygon territory, and the taxonomy."""

from __future__ import annotations

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


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'veille.sqlite'}"


@pytest.fixture
def empty_store(db_url: str) -> Store:
    """A store with no territory."""
    return Store(db_url)


@pytest.fixture
def tmp_store(empty_store: Store) -> Store:
    """A store on a temporary SQLite file with the two-polygon territory installed."""
    install_territory(empty_store, make_territory(), source_name="test")
    return empty_store
