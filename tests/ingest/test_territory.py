"""Boundary files (geo.ingest.territory): reading, CRS checks, point assignment and re-assignment of stored reports."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from geo.demo.territory import DEMO_TERRITORY_PATH
from geo.errors import InputError, TerritoryError
from geo.ingest.importer import import_file
from geo.ingest.territory import assign_neighbourhoods, install_territory, looks_like_lonlat, parse_crs, read_boundaries
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT, make_territory


def boundaries(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    gdf = make_territory().rename(columns={"code": "CODE_IRIS", "name": "NOM_IRIS", "population": "P21_POP",
                                           "priority": "QPV"})
    return gdf.to_crs(crs) if crs else gdf


def read(path, **kwargs) -> gpd.GeoDataFrame:
    return read_boundaries(path, code="CODE_IRIS", name="NOM_IRIS", **kwargs)


def test_geojson_boundaries(tmp_path):
    path = tmp_path / "iris.geojson"
    boundaries().to_file(path)
    territory = read(path, population="P21_POP", priority="QPV")
    assert list(territory.columns) == ["code", "name", "population", "priority", "geometry"]
    assert list(territory["code"]) == ["nord", "sud"]
    assert list(territory["population"]) == [2000, 500]
    assert list(territory["priority"]) == [False, True]
    assert territory.crs == "EPSG:4326"


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_lambert93_boundaries_are_reprojected(tmp_path, suffix):
    path = tmp_path / f"iris{suffix}"
    boundaries("EPSG:2154").to_file(path)
    territory = read(path)
    assert territory.crs == "EPSG:4326"
    np.testing.assert_allclose(territory.total_bounds, make_territory().total_bounds, atol=1e-3)


@pytest.mark.parametrize("values", [[False, True], [0, 1], ["non", "oui"], ["false", "TRUE"], ["0", "1"],
                                    ["", "x"]])
def test_priority_field_is_read_as_yes_or_no(tmp_path, values):
    path = tmp_path / "iris.geojson"
    boundaries().assign(QPV=values).to_file(path)
    assert list(read(path, priority="QPV")["priority"]) == [False, True]


def test_population_is_optional(tmp_path):
    path = tmp_path / "iris.geojson"
    boundaries().to_file(path)
    assert read(path)["population"].isna().all()


def test_a_file_without_crs_in_lambert93_is_refused_with_a_crs_hint(tmp_path):
    path = tmp_path / "iris.shp"
    boundaries("EPSG:2154").to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(TerritoryError, match=r"declares no CRS.*--crs 2154"):
        read(path)
    territory = read(path, crs="2154")
    np.testing.assert_allclose(territory.total_bounds, make_territory().total_bounds, atol=1e-3)


def test_a_geojson_without_crs_member_in_lambert93_is_refused(tmp_path):
    # GeoJSON is WGS84 by definition, so GDAL says EPSG:4326: the coordinates tell otherwise
    features = json.loads(boundaries("EPSG:2154").to_json())
    features.pop("crs", None)
    path = tmp_path / "iris_l93.geojson"
    path.write_text(json.dumps(features), encoding="utf-8")
    with pytest.raises(TerritoryError, match=r"not longitudes/latitudes.*--crs"):
        read(path)
    assert list(read(path, crs=2154)["code"]) == ["nord", "sud"]


def test_a_file_without_crs_in_lonlat_is_taken_as_wgs84(tmp_path):
    path = tmp_path / "iris.shp"
    boundaries().to_file(path)
    path.with_suffix(".prj").unlink()
    territory = read(path)
    assert territory.crs == "EPSG:4326"
    np.testing.assert_allclose(territory.total_bounds, make_territory().total_bounds)


def test_an_unknown_crs_option_is_refused(tmp_path):
    path = tmp_path / "iris.geojson"
    boundaries().to_file(path)
    with pytest.raises(InputError, match=r"--crs 'EPSG:99999'.*2154"):
        read(path, crs="EPSG:99999")


def test_parse_crs():
    assert parse_crs("2154").to_epsg() == 2154
    assert parse_crs(4326).to_epsg() == 4326
    with pytest.raises(InputError):
        parse_crs("lambert")


@pytest.mark.parametrize(("bounds", "expected"), [
    ((5.0, 47.28, 5.08, 47.36), True), ((-180, -90, 180, 90), True),
    ((850000, 6680000, 860000, 6700000), False), ((5.0, 47.0, 5.1, 95.0), False),
])
def test_looks_like_lonlat(bounds, expected):
    assert looks_like_lonlat(bounds) is expected


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"code": "CODE", "name": "NOM_IRIS"}, "no field 'CODE' \\(--code\\)"),
    ({"code": "CODE_IRIS", "name": "NOM_IRIS", "population": "POP"}, "no field 'POP' \\(--population\\)"),
])
def test_missing_fields_are_named(tmp_path, kwargs, message):
    path = tmp_path / "iris.geojson"
    boundaries().to_file(path)
    with pytest.raises(TerritoryError, match=message):
        read_boundaries(path, **kwargs)


def test_non_polygons_are_refused(tmp_path):
    gdf = boundaries()
    gdf.loc[1, "geometry"] = LineString([(5.0, 47.3), (5.1, 47.3)])
    path = tmp_path / "mixte.geojson"
    gdf.to_file(path)
    with pytest.raises(TerritoryError, match="must hold polygons; found \\['LineString', 'Polygon'\\]"):
        read(path)


def test_repeated_codes_are_refused(tmp_path):
    gdf = boundaries()
    gdf["CODE_IRIS"] = ["x", "x"]
    path = tmp_path / "double.geojson"
    gdf.to_file(path)
    with pytest.raises(TerritoryError, match="codes must be unique; \\['x'\\]"):
        read(path)


@pytest.mark.parametrize(("content", "message"), [("", "cannot read"), ('{"type": "FeatureCollection", "features": []}',
                                                                        "holds no feature")])
def test_unreadable_or_empty_files_are_refused(tmp_path, content, message):
    path = tmp_path / "x.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TerritoryError, match=message):
        read(path)


def test_invalid_polygons_are_repaired(tmp_path):
    bowtie = gpd.GeoDataFrame({"CODE_IRIS": ["b"], "NOM_IRIS": ["Nœud"]}, crs="EPSG:4326",
                              geometry=gpd.GeoSeries.from_wkt(["POLYGON((5 47, 5.1 47.1, 5.1 47, 5 47.1, 5 47))"]))
    path = tmp_path / "bowtie.geojson"
    bowtie.to_file(path)
    territory = read(path)
    assert territory.geometry.is_valid.all()


def test_assign_neighbourhoods():
    territory = make_territory()
    lat = np.array([NORTH_POINT[0], SOUTH_POINT[0], OUTSIDE_POINT[0], 47.32])
    lon = np.array([NORTH_POINT[1], SOUTH_POINT[1], OUTSIDE_POINT[1], 5.04])
    codes = assign_neighbourhoods(lon, lat, territory)
    assert list(codes) == ["nord", "sud", None, "nord"]  # a point on the shared border goes to the first
    assert list(assign_neighbourhoods(lon, lat, territory.iloc[::-1])) == ["nord", "sud", None, "sud"]
    assert len(assign_neighbourhoods(np.array([]), np.array([]), territory)) == 0
    assert list(assign_neighbourhoods(lon, lat, territory.iloc[:0])) == [None] * 4


def test_install_territory_reassigns_stored_reports(empty_store, taxonomy, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("date;categorie;latitude;longitude\n"
                    f"2026-03-02;tags;{NORTH_POINT[0]};{NORTH_POINT[1]}\n"
                    f"2026-03-02;tags;{SOUTH_POINT[0]};{SOUTH_POINT[1]}\n"
                    f"2026-03-02;tags;{OUTSIDE_POINT[0]};{OUTSIDE_POINT[1]}\n", encoding="utf-8")
    import_file(empty_store, path, taxonomy=taxonomy)
    assert empty_store.read_reports()["neighbourhood"].isna().all()

    result = install_territory(empty_store, make_territory(), source_name="t")
    assert result == {"neighbourhoods": 2, "reports": 3, "changed": 2, "outside_territory": 1}
    assert sorted(empty_store.read_reports()["neighbourhood"].dropna()) == ["nord", "sud"]

    # a new territory where the north is bigger and the south is gone
    bigger = gpd.GeoDataFrame({"code": ["grand"], "name": ["Grand quartier"], "population": [100],
                               "priority": [False]}, geometry=[box(5.0, 47.33, 5.1, 47.4)], crs="EPSG:4326")
    result = install_territory(empty_store, bigger, source_name="t2")
    assert result == {"neighbourhoods": 1, "reports": 3, "changed": 2, "outside_territory": 2}
    assert empty_store.read_reports()["neighbourhood"].dropna().tolist() == ["grand"]
    assert list(empty_store.load_territory()["code"]) == ["grand"]


def test_install_territory_is_one_transaction(tmp_store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("coupure")

    monkeypatch.setattr(type(tmp_store), "set_neighbourhoods", broken)
    other = make_territory().assign(code=["a", "b"])
    with pytest.raises(RuntimeError, match="coupure"):
        install_territory(tmp_store, other, source_name="x")
    assert list(tmp_store.load_territory()["code"]) == ["nord", "sud"]


def test_point_helper_matches_territory():
    territory = make_territory()
    assert territory.contains(Point(NORTH_POINT[1], NORTH_POINT[0])).tolist() == [True, False]


def test_both_assignment_paths_agree(monkeypatch):
    from geo.ingest import territory as territory_module

    cells = [box(5.0 + i * 0.01, 47.3, 5.01 + i * 0.01, 47.31) for i in range(80)]
    grid = gpd.GeoDataFrame({"code": [f"c{i}" for i in range(80)], "name": "x", "population": 1, "priority": False},
                            geometry=cells, crs="EPSG:4326")
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(4.99, 5.82, 5000), rng.uniform(47.299, 47.311, 5000)
    lon[:10] = 5.01  # on a shared border: the first polygon in order wins
    lat[:10] = 47.305
    indexed = territory_module.assign_neighbourhoods(lon, lat, grid)
    monkeypatch.setattr(territory_module, "PER_POLYGON_LIMIT", 10_000)
    looped = territory_module.assign_neighbourhoods(lon, lat, grid)
    assert list(indexed) == list(looped)
    assert set(indexed[:10]) == {"c0"}
    assert (indexed == None).sum() > 0 and (indexed != None).sum() > 0  # noqa: E711 - object array


def _grid_territory(n: int) -> gpd.GeoDataFrame:
    """``n`` x ``n`` adjoining squares over Dijon: many shared borders and corners."""
    step = 0.1 / n
    cells = [box(4.98 + i * step, 47.28 + j * step, 4.98 + (i + 1) * step, 47.28 + (j + 1) * step)
             for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame({"code": [f"c{k}" for k in range(len(cells))]}, geometry=cells, crs="EPSG:4326")


@pytest.mark.parametrize("territory", [
    pytest.param(read_boundaries(DEMO_TERRITORY_PATH, code="code", name="name"), id="demo-quartiers"),
    pytest.param(_grid_territory(3), id="few-polygons"),
    pytest.param(_grid_territory(12), id="spatial-index"),  # above PER_POLYGON_LIMIT
])
def test_assignment_is_the_geopandas_spatial_join(territory):
    """The same codes as ``gpd.sjoin(points, territory, predicate="intersects")``, first polygon on a border."""
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = territory.total_bounds
    lon = np.concatenate([rng.uniform(minx - 0.01, maxx + 0.01, 4000),
                          np.round(rng.uniform(minx, maxx, 500), 3)])  # many points on the grid's borders
    lat = np.concatenate([rng.uniform(miny - 0.01, maxy + 0.01, 4000), np.round(rng.uniform(miny, maxy, 500), 3)])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    joined = gpd.sjoin(points, territory[["code", "geometry"]].reset_index(names="order"), how="left",
                       predicate="intersects")
    expected = joined.sort_values("order", kind="stable").groupby(level=0)["code"].first()
    expected = expected.reindex(points.index).astype(object).where(expected.notna(), None).tolist()
    assert assign_neighbourhoods(lon, lat, territory).tolist() == expected
    assert sum(code is None for code in expected) > 0 and len({c for c in expected if c}) > 1
