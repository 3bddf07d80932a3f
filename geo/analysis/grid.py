"""The analysis grid: hexagonal cells clipped to the territory, empty cells inside it kept.

Hot-spot statistics compare each cell with its neighbours; a cell inside the territory with no report is
information (few problems there), so every cell that overlaps the territory is kept, with a count of 0 when
empty. Cells are either H3 hexagons (``h3_res``) or regular hexagons in Lambert-93 (``cell_size``, the
distance in metres between the centres of two neighbouring cells). Without either, the size is chosen from
the data, as optimized hot spot analysis does, by :func:`default_cell_size`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import geopandas as gpd
import h3.api.basic_int as h3
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy import sparse
from scipy.spatial import cKDTree

from geo.errors import InputError

if TYPE_CHECKING:
    from libpysal.weights import W

__all__ = [
    "METRIC_CRS", "MIN_CELLS", "MAX_CELLS", "MIN_SHARE", "Grid", "build_grid", "contiguity_weights",
    "default_cell_size",
    "hexagon_area", "spacing_of_area",
]

METRIC_CRS: Final = "EPSG:2154"
MIN_CELLS: Final = 30
"""The default size never gives fewer cells than this over the territory."""
MAX_CELLS: Final = 2_500
"""The default size never gives more cells than this over the territory (the map and GeoJSON stay small)."""
NN_SAMPLE: Final = 50_000
"""Beyond this many reports, nearest-neighbour distances are measured on a seeded sample."""
MIN_SHARE: Final = 0.05
"""A cell is kept when at least this share of its area lies inside the territory (no slivers)."""
_LOCATE_CHUNK: Final = 131_072
"""Points located at a time by :meth:`Grid.locate`."""
_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_SQRT3 = math.sqrt(3.0)


def hexagon_area(spacing: float) -> float:
    """Return the area (m²) of a regular hexagon whose neighbours' centres lie ``spacing`` metres away."""
    return _SQRT3 / 2 * spacing * spacing


def spacing_of_area(area: float) -> float:
    """Return the centre spacing (m) of a regular hexagon of ``area`` m² (inverse of :func:`hexagon_area`)."""
    return math.sqrt(2 * area / _SQRT3)


@dataclass(frozen=True)
class Grid:
    """Cells covering a territory.

    Attributes
    ----------
    cells
        One row per cell, indexed by the cell id (text), ``geometry`` clipped to the territory in
        Lambert-93 (EPSG:2154), ``x``, ``y`` the unclipped cell's centre.
    kind
        ``"h3"`` or ``"hex"`` (regular hexagons in Lambert-93).
    cell_size_m
        Centre spacing in metres (for H3, that of a regular hexagon of the cells' mean area).
    h3_res
        H3 resolution, or ``None``.
    """

    cells: gpd.GeoDataFrame
    kind: str
    cell_size_m: float
    h3_res: int | None
    _keys: np.ndarray  # sorted integer keys of the cells (H3 index or packed axial coordinates)
    _order: np.ndarray  # position in ``cells`` of each sorted key

    def __len__(self) -> int:
        return len(self.cells)

    def locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Return the position in :attr:`cells` of each point's cell, ``-1`` outside every kept cell."""
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        if lat.size > _LOCATE_CHUNK:  # a few MB of temporaries at a time, not ~100 MB per million points
            return np.concatenate([self._locate(lat[i:i + _LOCATE_CHUNK], lon[i:i + _LOCATE_CHUNK])
                                   for i in range(0, lat.size, _LOCATE_CHUNK)])
        return self._locate(lat, lon)

    def _locate(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        keys = np.full(lat.shape, -1, dtype=np.int64)
        ok = np.isfinite(lat) & np.isfinite(lon)
        if self.kind == "h3":
            to_cell = h3.latlng_to_cell
            keys[ok] = np.fromiter(
                (to_cell(a, b, self.h3_res) for a, b in zip(lat[ok].tolist(), lon[ok].tolist(), strict=True)),
                dtype=np.uint64, count=int(ok.sum()),
            ).astype(np.int64)
        else:
            x, y = _TO_METRIC.transform(lon[ok], lat[ok])
            q, r = _axial_round(np.asarray(x), np.asarray(y), self.cell_size_m)
            keys[ok] = _pack(q, r)
        pos = np.searchsorted(self._keys, keys)
        pos = np.clip(pos, 0, len(self._keys) - 1)
        found = (self._keys[pos] == keys) & ok
        return np.where(found, self._order[pos], -1)

    def count(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Return the number of points in each cell (0 for empty cells), in :attr:`cells` order."""
        where = self.locate(lat, lon)
        return np.bincount(where[where >= 0], minlength=len(self.cells)).astype(np.int64)

    def weights(self) -> W:
        """Return libpysal binary contiguity weights (cells sharing an edge), each cell its own neighbour (Gi*).

        Cells without a kept neighbour (e.g. a small quartier apart from the others) have only themselves.
        """
        return contiguity_weights(self.neighbours())

    def adjacency(self) -> sparse.csr_matrix:
        """Return the same neighbours as :meth:`weights` as a binary sparse matrix (diagonal included)."""
        neighbours = self.neighbours()
        rows = np.repeat(np.arange(len(neighbours)), [len(v) for v in neighbours.values()])
        cols = np.concatenate([np.asarray(v, dtype=np.int64) for v in neighbours.values()])
        n = len(neighbours)
        return sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))

    def neighbours(self) -> dict[int, list[int]]:
        """Return each cell's position and those of the cells sharing an edge with it, itself included."""
        ids = list(range(len(self.cells)))
        neighbours: dict[int, list[int]] = {i: [i] for i in ids}
        lookup = dict(zip(self._keys.tolist(), self._order.tolist(), strict=True))
        if self.kind == "h3":
            for key, i in lookup.items():
                for other in h3.grid_ring(int(np.uint64(np.int64(key))), 1):
                    j = lookup.get(int(np.int64(np.uint64(other))))
                    if j is not None:
                        neighbours[i].append(j)
        else:
            q, r = _unpack(self._keys)
            for dq, dr in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (-1, 1)):
                other = _pack(q + dq, r + dr)
                pos = np.clip(np.searchsorted(self._keys, other), 0, len(self._keys) - 1)
                hit = self._keys[pos] == other
                for i, j in zip(self._order[hit].tolist(), self._order[pos[hit]].tolist(), strict=True):
                    neighbours[i].append(j)
        return {i: sorted(v) for i, v in neighbours.items()}

    def to_wgs84(self) -> gpd.GeoDataFrame:
        """Return :attr:`cells` with WGS84 geometry (for GeoJSON and maps)."""
        return self.cells.to_crs("EPSG:4326")


def contiguity_weights(neighbours: dict[int, list[int]]) -> W:
    """Return libpysal binary weights of ``neighbours`` (as :meth:`Grid.neighbours` gives them), in their order.

    The one construction of the grid's weights, in this process or in the permutation worker
    (:mod:`geo.analysis.permutation_worker`), so that both compute the same Gi*.
    """
    from libpysal.weights import W  # noqa: PLC0415 - libpysal takes seconds to import: only when needed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands are expected (cells alone in a detached quartier)
        return W(neighbours, id_order=list(neighbours), silence_warnings=True)


def _pack(q: np.ndarray, r: np.ndarray) -> np.ndarray:
    return (np.asarray(q, dtype=np.int64) << 32) + (np.asarray(r, dtype=np.int64) + (1 << 31))


def _unpack(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r = (keys & ((1 << 32) - 1)) - (1 << 31)
    q = (keys - (r + (1 << 31))) >> 32
    return q, r


def _axial_round(x: np.ndarray, y: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the axial coordinates of the pointy-top hexagon holding each point (cube rounding)."""
    rf = y / (spacing * _SQRT3 / 2)
    qf = x / spacing - rf / 2
    sf = -qf - rf
    q, r, s = np.round(qf), np.round(rf), np.round(sf)
    dq, dr, ds = np.abs(q - qf), np.abs(r - rf), np.abs(s - sf)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype(np.int64), r.astype(np.int64)


def _hex_polygons(q: np.ndarray, r: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cx = spacing * (q + r / 2)
    cy = spacing * _SQRT3 / 2 * r
    side = spacing / _SQRT3
    angles = np.radians(30 + 60 * np.arange(7))
    ring = np.stack([cx[:, None] + side * np.cos(angles), cy[:, None] + side * np.sin(angles)], axis=-1)
    return shapely.polygons(ring), cx, cy


def _nn_sample(n: int) -> np.ndarray | None:
    """Return the positions of the seeded sample of :data:`NN_SAMPLE` among ``n`` reports (``None``: all)."""
    return np.random.default_rng(0).choice(n, NN_SAMPLE, replace=False) if n > NN_SAMPLE else None


def default_cell_size(x: np.ndarray, y: np.ndarray, *, area_m2: float, total: int | None = None) -> float:
    """Choose a cell spacing (m) from the reports' nearest-neighbour distances.

    Twice the mean distance from each report to its nearest other report (on a seeded sample of
    :data:`NN_SAMPLE` reports beyond that, scaled back by the square root of the sampling rate): under a
    uniform spread that gives a cell of about one report, smaller where reports cluster. The result is then
    bounded so that the territory (``area_m2``) holds between :data:`MIN_CELLS` and :data:`MAX_CELLS` cells,
    and rounded to 10 m.

    Parameters
    ----------
    x, y
        Report positions in Lambert-93 (metres).
    area_m2
        Area of the territory.
    total
        When given, ``x`` and ``y`` are already the seeded sample (:func:`_nn_sample`) of ``total`` reports.
    """
    spacing = 0.0
    if len(x) >= 2:
        points = np.column_stack([x, y])
        scale = 1.0
        n = len(points) if total is None else total
        if n > NN_SAMPLE:  # a seeded sample: distances grow as 1/sqrt(density), so scale them back
            if total is None:
                points = points[_nn_sample(n)]
            scale = math.sqrt(NN_SAMPLE / n)
        distances, _ = cKDTree(points).query(points, k=2)
        spacing = 2 * float(np.mean(distances[:, 1])) * scale
    smallest = spacing_of_area(area_m2 / MAX_CELLS)
    largest = spacing_of_area(area_m2 / MIN_CELLS)
    spacing = min(max(spacing, smallest), largest)
    return max(10.0, math.ceil(spacing / 10) * 10.0)


def _territory_shape(territory: gpd.GeoDataFrame) -> shapely.Geometry:
    if territory is None or len(territory) == 0:
        raise InputError("aucun territoire n'est chargé : chargez les quartiers avec « python -m geo territory »")
    return shapely.make_valid(territory.to_crs(METRIC_CRS).geometry.union_all())


def build_grid(
    territory: gpd.GeoDataFrame, *, lat: np.ndarray | None = None, lon: np.ndarray | None = None,
    h3_res: int | None = None, cell_size: float | None = None,
) -> Grid:
    """Cover ``territory`` with hexagons clipped to it, keeping the empty ones.

    Parameters
    ----------
    territory
        Neighbourhood polygons (any CRS), e.g. :meth:`geo.store.database.Store.load_territory`.
    lat, lon
        Report positions (WGS84), used only to choose the default cell size.
    h3_res
        H3 resolution (0–15); exclusive with ``cell_size``.
    cell_size
        Centre spacing in metres of regular hexagons in Lambert-93.

    Raises
    ------
    geo.errors.InputError
        When no territory is loaded, both sizes are given, or a size is out of range.
    """
    if h3_res is not None and cell_size is not None:
        raise InputError("donnez soit une résolution H3, soit une taille de maille en mètres, pas les deux")
    shape = _territory_shape(territory)
    if h3_res is not None:
        if not 0 <= int(h3_res) <= 15:
            raise InputError(f"la résolution H3 doit être entre 0 et 15 ; reçu {h3_res}")
        return _h3_grid(territory, shape, int(h3_res))
    if cell_size is None:
        x = y = np.empty(0)
        total = None
        if lat is not None and lon is not None and len(lat):
            lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
            keep = np.isfinite(lat) & np.isfinite(lon)
            lat, lon = lat[keep], lon[keep]
            total = len(lat)
            sample = _nn_sample(total)
            if sample is not None:  # only the sampled reports are projected (a second per million otherwise)
                lat, lon = lat[sample], lon[sample]
            x, y = _TO_METRIC.transform(lon, lat)
        cell_size = default_cell_size(np.asarray(x), np.asarray(y), area_m2=shape.area, total=total)
    cell_size = float(cell_size)
    if not math.isfinite(cell_size) or cell_size <= 0:
        raise InputError(f"la taille de maille doit être un nombre de mètres positif ; reçu {cell_size}")
    expected = shape.area / hexagon_area(cell_size)
    if expected > 200_000:
        raise InputError(f"une maille de {cell_size:g} m donnerait environ {expected:,.0f} cellules sur ce "
                         "territoire (200 000 au plus) : choisissez une maille plus grande")
    return _hex_grid(shape, cell_size)


def _hex_grid(shape: shapely.Geometry, spacing: float) -> Grid:
    minx, miny, maxx, maxy = shape.bounds
    row_h = spacing * _SQRT3 / 2
    rs = np.arange(math.floor(miny / row_h) - 1, math.ceil(maxy / row_h) + 2)
    q_parts, r_parts = [], []
    for r in rs:
        q0 = math.floor(minx / spacing - r / 2) - 1
        q1 = math.ceil(maxx / spacing - r / 2) + 1
        qs = np.arange(q0, q1 + 1)
        q_parts.append(qs)
        r_parts.append(np.full(qs.size, r))
    q = np.concatenate(q_parts).astype(np.int64)
    r = np.concatenate(r_parts).astype(np.int64)
    polygons, cx, cy = _hex_polygons(q, r, spacing)
    return _clip("hex", polygons, shape, cx=cx, cy=cy, keys=_pack(q, r), spacing=spacing, res=None,
                 ids=[f"{a}:{b}" for a, b in zip(q.tolist(), r.tolist(), strict=True)])


def _h3_grid(territory: gpd.GeoDataFrame, shape: shapely.Geometry, res: int) -> Grid:
    outline = territory.to_crs("EPSG:4326").geometry.union_all().buffer(0)
    h3shape = h3.geo_to_h3shape(outline.__geo_interface__)
    cells = sorted(set(h3.h3shape_to_cells_experimental(h3shape, res, contain="overlap")))
    if len(cells) > 200_000:
        raise InputError(f"la résolution H3 {res} donnerait {len(cells):,} cellules sur ce territoire "
                         "(200 000 au plus) : choisissez une résolution plus petite")
    rings = [[(lng, lat) for lat, lng in h3.cell_to_boundary(c)] for c in cells]
    polygons = gpd.GeoSeries([shapely.Polygon(ring) for ring in rings], crs="EPSG:4326").to_crs(METRIC_CRS)
    centres = polygons.centroid
    keys = np.array(cells, dtype=np.uint64).astype(np.int64)
    spacing = spacing_of_area(float(h3.average_hexagon_area(res, unit="m^2")))
    return _clip("h3", polygons.to_numpy(), shape, cx=centres.x.to_numpy(), cy=centres.y.to_numpy(), keys=keys,
                 spacing=spacing, res=res, ids=[h3.int_to_str(c) for c in cells])


def _clip(kind: str, polygons: np.ndarray, shape: shapely.Geometry, *, cx: np.ndarray, cy: np.ndarray,
          keys: np.ndarray, spacing: float, res: int | None, ids: list[str]) -> Grid:
    shapely.prepare(shape)
    touching = shapely.intersects(shape, polygons)
    clipped = np.empty(len(polygons), dtype=object)
    clipped[touching] = shapely.intersection(polygons[touching], shape)
    share = np.zeros(len(polygons))
    share[touching] = shapely.area(clipped[touching]) / shapely.area(polygons[touching])
    keep = np.flatnonzero(touching & (share >= MIN_SHARE))
    if keep.size == 0:
        raise InputError("aucune cellule de la grille ne recouvre le territoire : maille trop grande ?")
    cells = gpd.GeoDataFrame(
        {"x": cx[keep], "y": cy[keep]}, geometry=list(clipped[keep]), crs=METRIC_CRS,
        index=pd.Index([ids[i] for i in keep], name="cell"),
    )
    kept_keys = keys[keep]
    order = np.argsort(kept_keys, kind="stable")
    return Grid(cells=cells, kind=kind, cell_size_m=float(spacing), h3_res=res, _keys=kept_keys[order],
                _order=order)
