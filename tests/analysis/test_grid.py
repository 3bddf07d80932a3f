"""The analysis grid: clipped to the territory, empty cells kept, sizes from options or the data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo.analysis.grid import MAX_CELLS, MIN_CELLS, build_grid, default_cell_size, hexagon_area
from geo.errors import InputError
from tests.conftest import make_territory


def test_hex_grid_covers_the_territory_and_keeps_empty_cells():
    territory = make_territory()
    grid = build_grid(territory, cell_size=500)
    shape = territory.to_crs(2154).geometry.union_all()
    # clipped: no cell reaches outside, and together they cover the territory up to dropped slivers
    assert all(shape.buffer(1e-6).contains(g) for g in grid.cells.geometry)
    assert grid.cells.geometry.union_all().area == pytest.approx(shape.area, rel=0.02)
    counts = grid.count(np.array([47.34, 47.34]), np.array([5.04, 5.04]))
    assert counts.sum() == 2 and (counts == 0).sum() == len(grid) - 1  # every empty cell is still there
    assert grid.cell_size_m == 500
    assert grid.cells.geometry.area.max() == pytest.approx(hexagon_area(500), rel=1e-6)


def test_points_go_to_the_cell_that_contains_them():
    grid = build_grid(make_territory(), cell_size=300)
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(47.285, 47.355, 400), rng.uniform(5.005, 5.075, 400)
    where = grid.locate(lat, lon)
    points = gpd.GeoSeries.from_xy(lon, lat, crs=4326).to_crs(2154)
    for i in np.flatnonzero(where >= 0)[:100]:
        assert grid.cells.geometry.iloc[where[i]].buffer(1e-6).contains(points.iloc[i])
    assert grid.locate(np.array([48.85]), np.array([2.35]))[0] == -1  # Paris: outside every cell


def test_hex_neighbours_are_the_six_cells_around():
    grid = build_grid(make_territory(), cell_size=400)
    w = grid.weights()
    cells = grid.cells
    for i, neighbours in list(w.neighbors.items())[:200]:
        assert i in neighbours  # Gi*: the cell itself
        others = [j for j in neighbours if j != i]
        assert len(others) <= 6
        for j in others:
            d = np.hypot(cells["x"].iloc[i] - cells["x"].iloc[j], cells["y"].iloc[i] - cells["y"].iloc[j])
            assert d == pytest.approx(400, rel=1e-6)
    assert max(len(v) for v in w.neighbors.values()) == 7


def test_h3_grid_is_clipped_and_its_neighbours_share_an_edge():
    grid = build_grid(make_territory(), h3_res=8)
    assert grid.kind == "h3" and grid.h3_res == 8 and len(grid) > 20
    w = grid.weights()
    assert max(len(v) for v in w.neighbors.values()) == 7
    assert grid.cells.geometry.union_all().area == pytest.approx(
        make_territory().to_crs(2154).geometry.union_all().area, rel=0.03)
    counts = grid.count(np.array([47.34]), np.array([5.04]))
    assert counts.sum() == 1


def test_default_size_follows_nearest_neighbour_distances_within_bounds():
    rng = np.random.default_rng(0)
    area = 4_000.0 * 4_000.0
    sparse = default_cell_size(rng.uniform(0, 4000, 400), rng.uniform(0, 4000, 400), area_m2=area)
    dense = default_cell_size(rng.uniform(0, 4000, 4000), rng.uniform(0, 4000, 4000), area_m2=area)
    assert dense < sparse  # more reports, finer cells
    # 400 uniform points: mean NN distance ≈ 0.5 / sqrt(density) = 100 m, so about 200 m
    assert 170 <= sparse <= 230
    assert area / hexagon_area(default_cell_size(np.zeros(2), np.zeros(2), area_m2=area)) <= MAX_CELLS * 1.05
    assert area / hexagon_area(default_cell_size(np.array([0, 4000.0]), np.array([0, 0.0]),
                                                 area_m2=area)) >= MIN_CELLS * 0.95


def test_default_size_on_many_reports_uses_a_sample_that_agrees():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 20_000, 120_000), rng.uniform(0, 20_000, 120_000)
    from geo.analysis import grid as grid_module

    sampled = grid_module.default_cell_size(x, y, area_m2=1e6)  # an area where the cell-count bounds do not bind
    full_spacing = 2 * np.mean(__import__("scipy").spatial.cKDTree(np.c_[x, y]).query(np.c_[x, y], k=2)[0][:, 1])
    assert sampled == pytest.approx(full_spacing, rel=0.05, abs=10)


def test_grid_options_are_checked():
    with pytest.raises(InputError, match="pas les deux"):
        build_grid(make_territory(), h3_res=8, cell_size=200)
    with pytest.raises(InputError, match="entre 0 et 15"):
        build_grid(make_territory(), h3_res=16)
    with pytest.raises(InputError, match="positif"):
        build_grid(make_territory(), cell_size=-5)
    with pytest.raises(InputError, match="territoire"):
        build_grid(gpd.GeoDataFrame({"code": []}, geometry=[], crs=4326), cell_size=100)


def test_grid_works_far_from_dijon():
    squares = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["A", "B"], "population": [1, 1]},
                               geometry=[box(-1.70, 48.10, -1.68, 48.12), box(-1.68, 48.10, -1.66, 48.12)],
                               crs=4326)  # Rennes
    grid = build_grid(squares, lat=np.full(50, 48.11), lon=np.full(50, -1.69))
    assert MIN_CELLS <= len(grid) <= MAX_CELLS * 1.1
    assert grid.count(np.full(50, 48.11), np.full(50, -1.69)).max() == 50
