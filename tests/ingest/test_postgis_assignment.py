"""Neighbourhood assignment done by PostGIS after the COPY gives exactly what the Python assignment gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo.demo.territory import DEMO_TERRITORY_PATH
from geo.ingest import territory as territory_module
from geo.ingest.importer import import_file
from geo.ingest.territory import (
    assign_neighbourhoods,
    assigns_in_database,
    install_territory,
    left_to_database,
    read_boundaries,
)
from geo.store import database as database_module
from geo.store.database import Store
from geo.store.spatial_assignment import assign_staged
from tests.conftest import make_territory


@pytest.fixture
def postgis_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("assignment in the database is for PostGIS stores")


def _grid_territory(n: int) -> gpd.GeoDataFrame:
    """``n`` x ``n`` adjoining squares over Dijon: many shared borders and corners."""
    step = 0.1 / n
    cells = [box(4.98 + i * step, 47.28 + j * step, 4.98 + (i + 1) * step, 47.28 + (j + 1) * step)
             for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame({"code": [f"c{k}" for k in range(len(cells))], "name": "x", "population": 1,
                             "priority": False}, geometry=cells, crs="EPSG:4326")


def _points(territory: gpd.GeoDataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points around the territory, and as many on a 0.001° grid: on borders and corners."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = territory.total_bounds
    lon = np.concatenate([rng.uniform(minx - 0.01, maxx + 0.01, 2000), np.round(rng.uniform(minx, maxx, 500), 3)])
    lat = np.concatenate([rng.uniform(miny - 0.01, maxy + 0.01, 2000), np.round(rng.uniform(miny, maxy, 500), 3)])
    return lon, lat


@pytest.mark.parametrize("territory", [
    pytest.param(read_boundaries(DEMO_TERRITORY_PATH, code="code", name="name"), id="demo-quartiers"),
    pytest.param(_grid_territory(3), id="few-polygons"),
    pytest.param(_grid_territory(12), id="many-polygons"),
])
@pytest.mark.usefixtures("postgis_only")
def test_assignment_in_postgis_is_the_geopandas_spatial_join(territory, db_url):
    """As tests/ingest/test_territory.py's sjoin test, with PostGIS assigning: first polygon in stored order."""
    store = Store(db_url)
    install_territory(store, territory, source_name="test")
    stored = store.load_territory()  # the order an import reads the territory in (by code)
    lon, lat = _points(stored, seed=11)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, stored[["code", "geometry"]].reset_index(names="order"), how="left",
                       predicate="intersects")
    expected = joined.sort_values("order", kind="stable").groupby(level=0)["code"].first()
    expected = expected.reindex(points.index).astype(object).where(expected.notna(), None).tolist()
    assert assign_neighbourhoods(lon, lat, stored).tolist() == expected  # the Python path, on the stored order
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE pts (i integer, lon double precision, lat double precision, "
                             "neighbourhood text) ON COMMIT DROP")
        conn.exec_driver_sql("INSERT INTO pts VALUES (%s, %s, %s, NULL)",
                             [(i, float(x), float(y)) for i, (x, y) in enumerate(zip(lon, lat, strict=True))])
        jit = conn.exec_driver_sql("SELECT current_setting('jit')").scalar()
        assigned = assign_staged(conn, "pts")
        assert conn.exec_driver_sql("SELECT current_setting('jit')").scalar() == jit  # restored
        found = [code for _, code in conn.exec_driver_sql("SELECT i, neighbourhood FROM pts ORDER BY i").all()]
    assert found == expected
    assert assigned == sum(code is not None for code in expected)
    assert sum(code is None for code in expected) > 0 and len({c for c in expected if c}) > 1


def test_points_left_to_the_database_are_only_those_a_swap_cannot_move():
    territory = make_territory()  # lon 5.00-5.08, lat 47.28-47.36: no overlap of the two ranges
    lon = np.array([5.04, 5.00, 5.09, 47.34, 2.35])
    lat = np.array([47.34, 47.32, 47.30, 5.04, 48.85])
    assert left_to_database(lon, lat, territory).tolist() == [True, True, False, False, False]
    astride = gpd.GeoDataFrame({"code": ["g"]}, geometry=[box(-1, -1, 1, 1)], crs="EPSG:4326")  # Gulf of Guinea
    assert left_to_database(lon, lat, astride) is None


def _csv(tmp_path, territory: gpd.GeoDataFrame, *, rows: int) -> tuple:
    """A file of points in, around, on the borders of and outside the territory, some with lat/lon swapped."""
    lon, lat = _points(territory, seed=5)
    lon, lat = lon[:rows], lat[:rows]
    minx, miny, maxx, maxy = territory.total_bounds
    extra = [(minx, miny), (maxx, maxy), (minx, (miny + maxy) / 2), ((minx + maxx) / 2, 47.32),  # edges, border
             (2.3522, 48.8566), (0.0, 0.0), (-181.0, 47.3)]
    lon = np.concatenate([lon, [x for x, _ in extra]])
    lat = np.concatenate([lat, [y for _, y in extra]])
    swap = np.arange(len(lon)) % 17 == 3  # written latitude first: the importer swaps those back
    lines = ["date;latitude;longitude;categorie"]
    for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
        first, second = (float(x), float(y)) if swap[i] else (float(y), float(x))
        lines.append(f"{1 + i % 28:02d}/10/2026 {(i // 28) % 24:02d}:{(i // 672) % 60:02d};{first!r};{second!r};tags")
    path = tmp_path / "points.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _neighbourhoods(store: Store) -> dict:
    frame = store.read_reports(columns=["id", "neighbourhood", "lat", "lon"])
    return {r.id: (r.neighbourhood, r.lat, r.lon) for r in frame.itertuples(index=False)}


@pytest.mark.usefixtures("postgis_only")
@pytest.mark.parametrize("case", [pytest.param((make_territory(), 0), id="two-quartiers-inline"),
                                  pytest.param((make_territory(), 2), id="two-quartiers-workers"),
                                  pytest.param((_grid_territory(12), 0), id="many-polygons-inline")])
def test_same_file_same_neighbourhoods_on_sqlite_and_postgis(case, tmp_path, taxonomy, db_url, monkeypatch):
    territory, workers = case
    path = _csv(tmp_path, territory, rows=1500 if workers == 0 else 600)
    sqlite_store = Store(f"sqlite:///{tmp_path / 'v.sqlite'}")
    install_territory(sqlite_store, territory, source_name="test")
    python_summary = import_file(sqlite_store, path, taxonomy=taxonomy, workers=workers)

    pg_store = Store(db_url)
    install_territory(pg_store, territory, source_name="test")
    monkeypatch.setattr(territory_module, "DATABASE_ASSIGNMENT_MIN_BYTES", 0)
    assert assigns_in_database(pg_store, path.stat().st_size)
    assert not assigns_in_database(sqlite_store, path.stat().st_size)
    by_database = []
    real = database_module.assign_staged
    monkeypatch.setattr(database_module, "assign_staged", lambda conn, table: by_database.append(real(conn, table))
                        or by_database[-1])
    pg_summary = import_file(pg_store, path, taxonomy=taxonomy, workers=workers)
    assert sum(by_database) > 0  # PostGIS did assign the points inside the territory's bounds

    assert _neighbourhoods(pg_store) == _neighbourhoods(sqlite_store)
    for key in ("read", "stored", "duplicates", "quarantined", "outside_territory", "swapped_coordinates"):
        assert pg_summary.counts()[key] == python_summary.counts()[key], key
    counts = python_summary.counts()
    assert counts["outside_territory"] > 0 and counts["swapped_coordinates"] > 0 and counts["quarantined"] > 0
    assert len({code for code, _, _ in _neighbourhoods(sqlite_store).values() if code}) > 1
    assert pg_store.list_batches().iloc[0]["outside_territory"] == counts["outside_territory"]


@pytest.mark.usefixtures("postgis_only")
def test_large_batches_are_assigned_by_postgis_by_default(db_url, tmp_path):
    """Without any setting, a file from the threshold on is left to PostGIS; a small one and SQLite are not."""
    pg_store = Store(db_url)
    sqlite_store = Store(f"sqlite:///{tmp_path / 'v.sqlite'}")
    threshold = territory_module.DATABASE_ASSIGNMENT_MIN_BYTES
    assert threshold is not None
    assert assigns_in_database(pg_store, threshold)
    assert not assigns_in_database(pg_store, threshold - 1)
    assert not assigns_in_database(sqlite_store, threshold * 10)
