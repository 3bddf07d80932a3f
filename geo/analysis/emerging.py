"""Emerging hot spots: how each cell's hot or cold spot status evolves over time.

Reports are binned by cell and by week or month (a space-time cube); Gi* is computed at every time step
(:func:`geo.analysis.hotspots.gi_star`, permutations with a fixed seed, FDR applied within the step), a
Mann-Kendall test (``pymannkendall``) says whether the cell's Gi* z-score rises or falls over the steps, and
each cell gets one pattern of the published rules of ArcGIS's *Emerging Hot Spot Analysis* (also those of
R's ``sfdep``), built on a 90 % share of the steps:

``new``
    hot at the last step and never significant before;
``consecutive``
    an unbroken run of at least two hot steps at the end, never significant before the run, and hot in
    less than 90 % of the steps;
``intensifying`` / ``diminishing``
    hot in at least 90 % of the steps including the last, the intensity rising / falling significantly;
``persistent``
    hot in at least 90 % of the steps including the last, no significant trend;
``oscillating``
    hot at the last step, cold at some earlier step, hot in less than 90 % of the steps;
``sporadic``
    hot at the last step, on and off before, never cold, hot in less than 90 % of the steps;
``historical``
    hot in at least 90 % of the steps but not at the last one;

and the same for cold spots (``…_cold``, with the trend's direction reversed: an intensifying cold spot
gets colder); ``no_pattern`` otherwise. Codes read ``intensifying_hot``, ``persistent_cold``….
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from geo.analysis.aggregation import period_start
from geo.analysis.grid import Grid, contiguity_weights
from geo.analysis.hotspots import SEED, gi_star, with_self
from geo.analysis.mannkendall import mann_kendall

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from libpysal.weights import W
    from scipy import sparse

    from geo.analysis.permutation_worker import PermutationWorker

__all__ = ["KINDS", "PATTERNS", "SHARE", "EmergingResult", "classify_pattern", "space_time_cube",
           "step_gi_star", "neighbours_step_gi_star", "emerging_hotspots"]

KINDS: Final = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating",
                "historical")
PATTERNS: Final = (*(f"{k}_hot" for k in KINDS), *(f"{k}_cold" for k in KINDS), "no_pattern")
SHARE: Final = 0.9
"""The rules' share of time steps."""
PERMUTATIONS: Final = 199
"""Permutations per time step (sfdep's default): enough for the 90 % level, cheap enough for 100 steps."""


def _long_kind(last: bool, trend: str, *, stronger: str, weaker: str) -> str:
    """Pattern of a side significant in at least 90 % of the steps."""
    if not last:
        return "historical"
    return {stronger: "intensifying", weaker: "diminishing"}.get(trend, "persistent")


def _recent_kind(on: np.ndarray, other: np.ndarray) -> str:
    """Pattern of a side significant at the last step but in less than 90 % of the steps."""
    n = on.size
    run = n - (np.flatnonzero(~on)[-1] + 1)
    before = on[: n - run] | other[: n - run]
    if run == 1 and not before.any() and not other[-1]:
        return "new"
    if run >= 2 and not before.any():
        return "consecutive"
    return "oscillating" if other.any() else "sporadic"


def _side_pattern(on: np.ndarray, other: np.ndarray, trend: str, *, stronger: str, weaker: str) -> str | None:
    """Apply the rules to one side (``on``: steps significant on this side, ``other``: on the other)."""
    if not on.any():
        return None
    if on.sum() / on.size >= SHARE:
        return _long_kind(bool(on[-1]), trend, stronger=stronger, weaker=weaker)
    return _recent_kind(on, other) if on[-1] else None


def classify_pattern(z: np.ndarray, significant: np.ndarray, *, trend: str) -> str:
    """Return the emerging hot spot pattern of one cell.

    Parameters
    ----------
    z
        Gi* z-score at each time step, oldest first.
    significant
        Whether the cell is a significant hot or cold spot (FDR-corrected) at each step.
    trend
        Mann-Kendall direction of ``z``: ``increasing``, ``decreasing`` or ``no_trend``.
    """
    z = np.asarray(z, dtype=float)
    significant = np.asarray(significant, dtype=bool)
    hot, cold = significant & (z > 0), significant & (z < 0)
    last_hot, last_cold = bool(hot[-1]) if hot.size else False, bool(cold[-1]) if cold.size else False
    # the side that holds the last step decides first; else the side present in 90 % of the steps
    order = ("hot", "cold") if last_hot or (not last_cold and hot.sum() >= cold.sum()) else ("cold", "hot")
    for side in order:
        if side == "hot":
            kind = _side_pattern(hot, cold, trend, stronger="increasing", weaker="decreasing")
        else:
            kind = _side_pattern(cold, hot, trend, stronger="decreasing", weaker="increasing")
        if kind is not None:
            return f"{kind}_{side}"
    return "no_pattern"


def space_time_cube(where: np.ndarray, times: pd.Series, *, cells: int, period: str, steps: int | None = None,
                    end: pd.Timestamp | None = None, now: pd.Timestamp | None = None,
                    ) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Count reports per cell and time step.

    Parameters
    ----------
    where
        Cell position of each report (``-1``: outside the grid, left out).
    times
        Observation times (tz-aware, local).
    cells
        Number of cells.
    period
        ``"week"`` (Monday to Sunday) or ``"month"``.
    steps
        Keep only the last ``steps`` periods (default: every period from the first report to the last).
    end
        Last period included is the one holding ``end``. By default, the one holding the last report, unless
        that period is still running at ``now`` (then the one before: a partial last step would look like
        a drop everywhere).
    now
        The current time (default: the clock), tz-aware.

    Returns
    -------
    numpy.ndarray, pandas.DatetimeIndex
        Counts of shape ``(cells, steps)`` and the start of each step.
    """
    if period not in ("week", "month"):
        raise ValueError(f"period was {period!r}; expected 'week' or 'month'")
    keep = np.asarray(where) >= 0
    starts = period_start(times[keep].reset_index(drop=True), period)
    if starts.empty:
        return np.zeros((cells, 0), dtype=np.int64), pd.DatetimeIndex([])
    freq = "W-MON" if period == "week" else "MS"
    offset = pd.tseries.frequencies.to_offset(freq)
    if end is None:
        last = starts.max()
        now = pd.Timestamp.now(tz=times.dt.tz) if now is None else now
        if last == period_start(pd.Series([now.tz_convert(times.dt.tz)]), period).iloc[0]:
            last = last - offset
    else:
        last = period_start(pd.Series([end]), period).iloc[0]
    first = starts.min() if steps is None else last - (steps - 1) * offset
    index = pd.date_range(first, last, freq=freq)
    step = index.get_indexer(starts)
    ok = step >= 0
    cube = np.zeros((cells, len(index)), dtype=np.int64)
    np.add.at(cube, (np.asarray(where)[keep][ok], step[ok]), 1)
    return cube, index


@dataclass(frozen=True)
class EmergingResult:
    """Emerging hot spot analysis of a grid.

    Attributes
    ----------
    cells
        Per cell: ``count`` (reports over the steps), ``pattern``, ``trend``, ``tau``, ``p_trend``,
        ``hot_steps``, ``cold_steps``. The Mann-Kendall test runs only on cells significant at some step
        (the rules need it nowhere else): elsewhere ``trend`` is ``not_tested`` and ``tau``, ``p_trend`` empty.
    cube
        Counts per cell and step.
    z, significant
        Gi* z-score and significance per cell and step.
    steps
        Start of each step.
    """

    cells: pd.DataFrame
    cube: np.ndarray
    z: np.ndarray
    significant: np.ndarray
    steps: pd.DatetimeIndex


def step_gi_star(cube: np.ndarray, w: W | sparse.spmatrix, *, alpha: float, permutations: int,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return Gi*'s z-score and FDR significance at ``alpha`` of every cell (rows) at every step (columns).

    The seed of step ``t`` is ``seed + t``; ``w`` as :func:`geo.analysis.hotspots.gi_star` takes it.
    """
    n_cells, n_steps = cube.shape
    z = np.zeros((n_cells, n_steps))
    significant = np.zeros((n_cells, n_steps), dtype=bool)
    for t in range(n_steps):
        result = gi_star(cube[:, t], w, permutations=permutations, seed=seed + t)
        z[:, t] = result.z
        significant[:, t] = result.p_fdr <= alpha
    return z, significant


def neighbours_step_gi_star(cube: np.ndarray, neighbours: Mapping[int, Sequence[int]], *, alpha: float,
                            permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`step_gi_star` on the weights of ``neighbours``, as :func:`emerging_hotspots` builds them.

    What the permutation worker (:mod:`geo.analysis.permutation_worker`) computes.
    """
    w = with_self(contiguity_weights(dict(neighbours)))
    return step_gi_star(cube, w, alpha=alpha, permutations=permutations, seed=seed)


def emerging_hotspots(grid: Grid, cube: np.ndarray, steps: pd.DatetimeIndex, *, alpha: float = 0.10,
                      trend_alpha: float = 0.05, permutations: int = PERMUTATIONS,
                      seed: int = SEED, worker: PermutationWorker | None = None) -> EmergingResult:
    """Classify every cell of ``grid`` from its space-time ``cube`` (see :func:`space_time_cube`).

    Parameters
    ----------
    alpha
        FDR-corrected level for a step to count as a significant hot or cold spot (90 % confidence).
    trend_alpha
        Level of the Mann-Kendall test on the z-scores.
    permutations, seed
        Of each step's Gi* (the seed of step ``t`` is ``seed + t``).
    worker
        Compute the steps' permutation Gi* in this worker process (same result) rather than here, so that
        this process never loads esda and numba (an app server); ignored when ``permutations`` is 0.

    Raises
    ------
    geo.analysis.permutation_worker.WorkerError
        When ``worker`` died before answering.
    """
    n_cells, n_steps = cube.shape
    if n_steps < 2:
        raise ValueError(f"emerging hot spots need at least 2 time steps; found {n_steps}")
    if permutations and worker is not None:
        z, significant = worker.step_gi_star(cube, grid.neighbours(), alpha=alpha, permutations=permutations,
                                             seed=seed)
    else:
        w = with_self(grid.weights()) if permutations else grid.adjacency()
        z, significant = step_gi_star(cube, w, alpha=alpha, permutations=permutations, seed=seed)
    rows = []
    for i in range(n_cells):
        if not significant[i].any():  # never a hot or cold spot: no pattern, whatever the trend
            rows.append(("no_pattern", "not_tested", np.nan, np.nan))
            continue
        trend, tau, p, _ = mann_kendall(z[i], alpha=trend_alpha)
        rows.append((classify_pattern(z[i], significant[i], trend=trend), trend, tau, p))
    frame = pd.DataFrame(rows, columns=["pattern", "trend", "tau", "p_trend"], index=grid.cells.index)
    frame.insert(0, "count", cube.sum(axis=1))
    frame["hot_steps"] = (significant & (z > 0)).sum(axis=1)
    frame["cold_steps"] = (significant & (z < 0)).sum(axis=1)
    return EmergingResult(frame, cube, z, significant, steps)
