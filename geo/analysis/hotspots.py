"""Getis-Ord Gi* hot spots on a grid, with the false discovery rate applied.

Gi* compares the reports of a cell and its neighbours with the whole territory's average: a cell is a hot
spot when that neighbourhood holds many more reports than chance would put there. Inference is by
conditional permutations (esda, fixed seed); testing hundreds of cells at once would make some of them look
significant by luck alone, so the p-values are corrected for the false discovery rate (Benjamini–Hochberg,
:func:`esda.fdr`) before the cells are classed, as ArcGIS's hot spot analysis does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd
from scipy import sparse, stats

from geo.analysis import jit
from geo.analysis.fdr import fdr_adjust
from geo.analysis.grid import Grid, build_grid, contiguity_weights
from geo.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from libpysal.weights import W

    from geo.analysis.permutation_worker import PermutationWorker

__all__ = ["CLASSES", "LEVELS", "PERMUTATIONS", "SEED", "GiStar", "gi_star", "fdr_adjust", "classify",
           "hotspot_frame", "with_self", "analytical_z", "neighbours_gi_star", "MIN_REPORTS", "report_hotspots"]

CLASSES: Final = ("hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99")
LEVELS: Final = ((99, 0.01), (95, 0.05), (90, 0.10))
"""Confidence level and the FDR-corrected p-value it needs."""
PERMUTATIONS: Final = 999
SEED: Final = 20_240_601


@dataclass(frozen=True)
class GiStar:
    """Gi* of every cell.

    Attributes
    ----------
    z
        Standardised Gi* (positive: more reports around the cell than on average).
    p
        Two-sided p-value of the cell's Gi* against its permutation distribution (its mean and spread over
        the conditional permutations, normal tail), or against the analytical moments when ``permutations``
        is 0. esda's pseudo p-value ``(larger + 1) / (permutations + 1)`` is not used: it cannot go below
        1/1000 with 999 permutations, which after the FDR step would leave no cell at 99 % on a real grid.
    p_fdr
        ``p`` adjusted for the false discovery rate (Benjamini–Hochberg).
    classes
        One of :data:`CLASSES` per cell.
    inference
        ``"permutation"`` or ``"analytical"``.
    """

    z: np.ndarray
    p: np.ndarray
    p_fdr: np.ndarray
    classes: np.ndarray
    inference: str


def classify(z: np.ndarray, p_fdr: np.ndarray) -> np.ndarray:
    """Return the class of each cell: ``hot_99`` … ``cold_99`` from the sign of ``z`` and ``p_fdr``."""
    z = np.asarray(z, dtype=float)
    p_fdr = np.asarray(p_fdr, dtype=float)
    out = np.full(z.shape, "not_significant", dtype=object)
    for level, alpha in reversed(LEVELS):  # weakest first, stronger levels overwrite
        sig = np.isfinite(p_fdr) & (p_fdr <= alpha)
        out[sig & (z > 0)] = f"hot_{level}"
        out[sig & (z < 0)] = f"cold_{level}"
    return out


def with_self(w: W) -> W:
    """Return binary weights where each cell is also its own neighbour (Gi*'s star); ``w`` if already so."""
    from libpysal.weights.util import fill_diagonal  # noqa: PLC0415 - slow import, only for permutations

    if (w.sparse.diagonal() > 0).all():
        return w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not fully connected": detached quartiers are expected
        return fill_diagonal(w, 1.0)


def analytical_z(counts: np.ndarray, adjacency: sparse.spmatrix) -> np.ndarray:
    """Return Gi*'s z-scores under its analytical moments, as esda's ``G_Local(..., star=True).Zs``.

    The same arithmetic as esda (Getis & Ord 1995, binary weights, the cell itself included) in a few numpy
    lines, so that the first render of a page needs neither esda nor libpysal (seconds to import) nor numba;
    the tests check that both agree.
    """
    y = np.asarray(counts, dtype=float)
    a = sparse.csr_matrix(adjacency, dtype=float)
    a.setdiag(1.0)
    n = y.size
    total = y.sum()
    mean = total / n
    variance = (y ** 2).sum() / n - mean ** 2
    cardinality = np.asarray(a.sum(axis=1)).ravel()
    expected = cardinality / n
    spread = cardinality * (n - cardinality) / (n - 1) / n ** 2 * variance / mean ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ((a @ y) / total - expected) / np.sqrt(spread)
    return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)


def gi_star(counts: np.ndarray, w: W | sparse.spmatrix, *, permutations: int = PERMUTATIONS,
            seed: int = SEED) -> GiStar:
    """Compute Gi* (binary weights, the cell itself included) and class every cell.

    Parameters
    ----------
    counts
        Reports per cell, in the order of ``w``'s ids.
    w
        Contiguity or distance-band weights, e.g. :meth:`geo.analysis.grid.Grid.weights`, or their binary
        sparse matrix (:meth:`geo.analysis.grid.Grid.adjacency`).
    permutations
        Conditional permutations (esda, numba); 0 uses the analytical moments (:func:`analytical_z`:
        no esda, no numba).
    seed
        Seed of the permutations: the same inputs give the same result.
    """
    y = np.asarray(counts, dtype=float)
    n = y.size
    if n < 3 or y.sum() == 0 or np.all(y == y[0]):
        zeros = np.zeros(n)
        ones = np.ones(n)
        return GiStar(zeros, ones, ones, classify(zeros, ones),
                      "permutation" if permutations else "analytical")
    if not permutations:
        z = analytical_z(y, w if sparse.issparse(w) else w.sparse)
        p = np.minimum(2 * stats.norm.sf(np.abs(z)), 1.0)
        p_fdr = fdr_adjust(p)
        return GiStar(z, p, p_fdr, classify(z, p_fdr), "analytical")
    from esda import G_Local  # noqa: PLC0415 - imports numba: kept off the import path of pages
    from libpysal.weights import WSP  # noqa: PLC0415

    if sparse.issparse(w):
        w = WSP(sparse.csr_matrix(w)).to_W(silence_warnings=True)
    w = with_self(w)
    jit.enable_cache()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")  # "alternative" notice
        warnings.simplefilter("ignore", UserWarning)  # islands and disconnected parts are expected
        g = G_Local(y, w, transform="B", star=True, permutations=int(permutations), seed=int(seed), n_jobs=1,
                    keep_simulations=True)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    p = 2 * stats.norm.sf(np.abs(np.asarray(g.z_sim, dtype=float)))  # two-sided: ArcGIS's ±1.65/1.96/2.58
    p = np.where(np.isfinite(p), np.minimum(p, 1.0), 1.0)
    p_fdr = fdr_adjust(p)
    return GiStar(z, p, p_fdr, classify(z, p_fdr), "permutation")


def neighbours_gi_star(counts: np.ndarray, neighbours: Mapping[int, Sequence[int]], *,
                       permutations: int = PERMUTATIONS, seed: int = SEED) -> GiStar:
    """Return :func:`gi_star` on the contiguity weights of ``neighbours`` (:meth:`Grid.neighbours`).

    What the permutation worker (:mod:`geo.analysis.permutation_worker`) computes: the same weights as
    :meth:`Grid.weights`, hence the same result as :func:`report_hotspots` in this process.
    """
    return gi_star(counts, contiguity_weights(dict(neighbours)), permutations=permutations, seed=seed)


def hotspot_frame(grid_cells: pd.DataFrame, counts: np.ndarray, result: GiStar) -> pd.DataFrame:
    """Return ``grid_cells`` with ``count``, ``z``, ``p``, ``p_fdr``, ``class`` columns added."""
    out = grid_cells.copy()
    out["count"] = np.asarray(counts, dtype=np.int64)
    out["z"] = np.round(result.z, 4)
    out["p"] = np.round(result.p, 6)
    out["p_fdr"] = np.round(result.p_fdr, 6)
    out["class"] = result.classes
    return out


MIN_REPORTS: Final = 30
"""Fewer reports than this give no hot spot analysis (optimized hot spot analysis's minimum)."""


def report_hotspots(
    reports: pd.DataFrame, territory: pd.DataFrame, *, h3_res: int | None = None, cell_size: float | None = None,
    permutations: int = PERMUTATIONS, seed: int = SEED, worker: PermutationWorker | None = None,
) -> tuple[Grid, pd.DataFrame, GiStar]:
    """Grid the reports inside the territory and compute Gi* with FDR for every cell.

    Parameters
    ----------
    reports
        Columns ``lat``, ``lon`` and ``neighbourhood`` (reports with none are outside the territory and
        left out).
    territory
        Neighbourhood polygons (:meth:`geo.store.database.Store.load_territory`).
    h3_res, cell_size, permutations, seed
        See :func:`geo.analysis.grid.build_grid` and :func:`gi_star`.
    worker
        Compute the permutation inference in this worker process (same result) rather than here, so that
        this process never loads esda and numba (an app server); ignored when ``permutations`` is 0.

    Returns
    -------
    Grid, geopandas.GeoDataFrame, GiStar
        The grid, its cells (Lambert-93) with ``count``, ``z``, ``p``, ``p_fdr``, ``class``, and the raw result.

    Raises
    ------
    geo.errors.InputError
        With fewer than :data:`MIN_REPORTS` reports inside the territory, or a bad grid option.
    geo.analysis.permutation_worker.WorkerError
        When ``worker`` died before answering.
    """
    lat, lon = reports["lat"].to_numpy(float), reports["lon"].to_numpy(float)
    if "neighbourhood" in reports:  # the two columns only: no copy of a million-row frame's other columns
        inside = reports["neighbourhood"].notna().to_numpy()
        lat, lon = lat[inside], lon[inside]
    if len(lat) < MIN_REPORTS:
        raise InputError(f"au moins {MIN_REPORTS} signalements dans le territoire sont nécessaires pour "
                         f"chercher des points chauds ; trouvé {len(lat)}")
    grid = build_grid(territory, lat=lat, lon=lon, h3_res=h3_res, cell_size=cell_size)
    counts = grid.count(lat, lon)
    if permutations and worker is not None:
        result = worker.gi_star(counts, grid.neighbours(), permutations=permutations, seed=seed)
    else:
        w = grid.weights() if permutations else grid.adjacency()
        result = gi_star(counts, w, permutations=permutations, seed=seed)
    return grid, hotspot_frame(grid.cells, counts, result), result
