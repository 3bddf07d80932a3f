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
from typing import Final

import numpy as np
import pandas as pd
from libpysal.weights import W
from libpysal.weights.util import fill_diagonal
from scipy import stats

from geo.analysis import jit
from geo.analysis.fdr import fdr_adjust
from geo.analysis.grid import Grid, build_grid
from geo.errors import InputError

__all__ = ["CLASSES", "LEVELS", "PERMUTATIONS", "SEED", "GiStar", "gi_star", "fdr_adjust", "classify",
           "hotspot_frame", "with_self", "MIN_REPORTS", "report_hotspots"]

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
    if (w.sparse.diagonal() > 0).all():
        return w
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "not fully connected": detached quartiers are expected
        return fill_diagonal(w, 1.0)


def gi_star(counts: np.ndarray, w: W, *, permutations: int = PERMUTATIONS, seed: int = SEED) -> GiStar:
    """Compute Gi* (binary weights, the cell itself included) and class every cell.

    Parameters
    ----------
    counts
        Reports per cell, in the order of ``w``'s ids.
    w
        Contiguity or distance-band weights, e.g. :meth:`geo.analysis.grid.Grid.weights`.
    permutations
        Conditional permutations for the pseudo p-value (esda's ``p_sim``); 0 uses the normal approximation
        (no numba compilation).
    seed
        Seed of the permutations: the same inputs give the same result.
    """
    from esda import G_Local  # noqa: PLC0415 - imports numba: kept off the import path of pages

    y = np.asarray(counts, dtype=float)
    n = y.size
    if n < 3 or y.sum() == 0 or np.all(y == y[0]):
        zeros = np.zeros(n)
        ones = np.ones(n)
        return GiStar(zeros, ones, ones, classify(zeros, ones),
                      "permutation" if permutations else "analytical")
    w = with_self(w)
    if permutations:
        jit.enable_cache()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")  # "alternative" notice
        warnings.simplefilter("ignore", UserWarning)  # islands and disconnected parts are expected
        g = G_Local(y, w, transform="B", star=True, permutations=int(permutations), seed=int(seed), n_jobs=1,
                    keep_simulations=bool(permutations))
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    spread = np.asarray(g.z_sim if permutations else g.Zs, dtype=float)
    p = 2 * stats.norm.sf(np.abs(spread))  # two-sided, as ArcGIS's ±1.65 / 1.96 / 2.58 bins
    p = np.where(np.isfinite(p), np.minimum(p, 1.0), 1.0)
    p_fdr = fdr_adjust(p)
    return GiStar(z, p, p_fdr, classify(z, p_fdr), "permutation" if permutations else "analytical")


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
    permutations: int = PERMUTATIONS, seed: int = SEED,
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

    Returns
    -------
    Grid, geopandas.GeoDataFrame, GiStar
        The grid, its cells (Lambert-93) with ``count``, ``z``, ``p``, ``p_fdr``, ``class``, and the raw result.

    Raises
    ------
    geo.errors.InputError
        With fewer than :data:`MIN_REPORTS` reports inside the territory, or a bad grid option.
    """
    inside = reports[reports["neighbourhood"].notna()] if "neighbourhood" in reports else reports
    lat, lon = inside["lat"].to_numpy(float), inside["lon"].to_numpy(float)
    if len(inside) < MIN_REPORTS:
        raise InputError(f"au moins {MIN_REPORTS} signalements dans le territoire sont nécessaires pour "
                         f"chercher des points chauds ; trouvé {len(inside)}")
    grid = build_grid(territory, lat=lat, lon=lon, h3_res=h3_res, cell_size=cell_size)
    counts = grid.count(lat, lon)
    result = gi_star(counts, grid.weights(), permutations=permutations, seed=seed)
    return grid, hotspot_frame(grid.cells, counts, result), result
