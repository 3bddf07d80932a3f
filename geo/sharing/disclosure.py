"""Small-count protection of a partner's table of counts: primary and complementary (secondary) suppression.

A partner reaches the counts of one table — rows are quartiers (and « Hors territoire »), columns are nested
counts (reports ⊇ open ⊇ open for more than 10 days) — and, through the lists of items, the per-column sums of
the rows whose items are listed without their quartier. This module decides which cells are published.

The rule is the classic one of statistical disclosure control for frequency tables (threshold rule + cell
suppression, as in τ-Argus or the Eurostat/ONS handbooks):

1. **primary suppression**: a cell counting 1 to ``min_count - 1`` reports is shown « < min_count »;
2. **complementary (secondary) suppression**: a row holding a suppressed cell is *pooled* — its items are listed
   without their quartier, so the lists only give the sum of the pooled rows per column. Each column holding a
   primary cell then needs another suppressed cell in the pool, else that sum minus the published cells gives the
   masked one back. The complementary cell is the smallest non-zero published cell of the same column (then of
   any column) — the « at least two suppressed cells per line » heuristic;
3. **audit**: the heuristic alone is not enough with nested columns and with the interval a partner knows for
   « < 3 » cells (two cells « < 3 » summing to 2 are both 1). So the table is audited the way an attacker would
   attack it: for each primary cell, an integer program (:func:`scipy.optimize.milp`, HiGHS) finds its smallest
   and largest value compatible with *every* published figure (published cells exact, « < 3 » cells in
   ``[1, 2]``, complementary cells ``≥ 3``, nested columns, the pooled sums). While some primary cell has a
   single feasible value, one more complementary cell is suppressed (the smallest that protects it);
4. **fallback**: when no single complementary cell protects a primary cell (few reports: a column whose other
   cells are 0 or just 3), the complementary cells are dropped and the items of the rows holding a primary cell
   are left out of every list (:attr:`ProtectedTable.listed` is ``False``). Totals stay « ≥ S », so no equation
   involves a masked cell any more: each keeps its two values 1 and 2 (the other rows are exact, and nesting
   only bounds a masked cell by published cells ≥ 3 or by other masked cells).

A complementary cell is shown « masqué » (it is not small; a partner may know it is at least ``min_count``).
A maintained Python implementation of cell suppression with this audit was not found in the project's
dependencies; the rule is small enough to state and test here (``tests/sharing/test_disclosure.py`` plays the
attacker on every file a partner can take away).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["SHOWN", "PRIMARY", "SECONDARY", "ProtectedTable", "protect_counts", "recoverable_cells"]

SHOWN: Final = 0
"""Status of a published cell."""
PRIMARY: Final = 1
"""Status of a cell counting 1 to ``min_count - 1`` (shown « < 3 »)."""
SECONDARY: Final = 2
"""Status of a complementary suppression (shown « masqué »)."""


@dataclass(frozen=True)
class ProtectedTable:
    """A table of counts with the status of each cell.

    Attributes
    ----------
    counts
        Exact counts, rows × columns (never published as such).
    status
        :data:`SHOWN`, :data:`PRIMARY` or :data:`SECONDARY` per cell.
    listed
        Whether the items of pooled rows are listed (without their place); ``False``: they are not listed at
        all (the fallback), and no cell is a complementary suppression.
    min_count
        The threshold.
    """

    counts: np.ndarray
    status: np.ndarray
    listed: bool
    min_count: int

    @property
    def pooled(self) -> np.ndarray:
        """Rows holding a suppressed cell: their items lose their place in every list."""
        return (self.status != SHOWN).any(axis=1)

    def label(self, row: int, column: int) -> str:
        """Return a cell as a partner sees it."""
        state = self.status[row, column]
        if state == PRIMARY:
            return f"< {self.min_count}"
        if state == SECONDARY:
            return "masqué"
        return str(int(self.counts[row, column]))

    def total_label(self, column: int) -> str:
        """Return a column's total: exact when nothing is suppressed in it, else « ≥ S » (S: published cells)."""
        shown = self.status[:, column] == SHOWN
        value = int(self.counts[shown, column].sum())
        return str(value) if shown.all() else f"≥ {value}"


def _bounds(counts: np.ndarray, status: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    flat, state = counts.ravel().astype(float), status.ravel()
    low = np.where(state == SHOWN, flat, np.where(state == PRIMARY, 1.0, float(min_count)))
    high = np.where(state == SHOWN, flat, np.where(state == PRIMARY, float(min_count - 1), np.inf))
    return low, high


def _constraints(counts: np.ndarray, status: np.ndarray, *, nested: bool, listed: bool) -> list[LinearConstraint]:
    rows, cols = counts.shape
    out = []
    if nested and cols > 1:  # x[r, c + 1] <= x[r, c]
        a = np.zeros((rows * (cols - 1), rows * cols))
        for r in range(rows):
            for c in range(cols - 1):
                a[r * (cols - 1) + c, r * cols + c] = -1.0
                a[r * (cols - 1) + c, r * cols + c + 1] = 1.0
        out.append(LinearConstraint(a, -np.inf, 0.0))
    pooled = (status != SHOWN).any(axis=1)
    if listed and pooled.any():  # the lists give the sum of the pooled rows, per column
        a = np.zeros((cols, rows * cols))
        for c in range(cols):
            a[c, np.flatnonzero(pooled) * cols + c] = 1.0
        sums = counts[pooled].sum(axis=0).astype(float)
        out.append(LinearConstraint(a, sums, sums))
    return out


def _range(index: int, low: np.ndarray, high: np.ndarray, constraints: list[LinearConstraint]) -> tuple[float, float]:
    size = len(low)
    c = np.zeros(size)
    c[index] = 1.0
    integrality = np.ones(size)
    found = []
    for sign in (1.0, -1.0):
        result = milp(sign * c, integrality=integrality, bounds=Bounds(low, high), constraints=constraints)
        if result.status != 0:  # infeasible cannot happen with true counts; treat anything odd as unsafe
            return (0.0, 0.0)
        found.append(result.x[index])
    return round(found[0]), round(found[1])


def recoverable_cells(counts: np.ndarray, status: np.ndarray, *, min_count: int, nested: bool = True,
                      listed: bool = True, cells: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Return the primary cells (of ``cells``, default all) whose exact value follows from what is published."""
    counts = np.asarray(counts)
    low, high = _bounds(counts, status, min_count)
    constraints = _constraints(counts, status, nested=nested, listed=listed)
    cols = counts.shape[1]
    bad = []
    indices = np.flatnonzero(status.ravel() == PRIMARY) if cells is None else [r * cols + c for r, c in cells]
    for index in indices:
        lowest, highest = _range(int(index), low, high, constraints)
        if lowest == highest:
            bad.append((int(index) // cols, int(index) % cols))
    return bad


def protect_counts(counts: np.ndarray, *, min_count: int = 3, nested: bool = True) -> ProtectedTable:
    """Return ``counts`` with primary and complementary suppressions (see the module's description).

    Parameters
    ----------
    counts
        Non-negative integer counts, rows × columns.
    min_count
        Cells from 1 to ``min_count - 1`` are masked.
    nested
        Whether each column counts a subset of the previous one (a row is non-increasing).
    """
    counts = np.asarray(counts, dtype=int).reshape(len(counts), -1) if len(counts) else np.zeros((0, 1), int)
    status = np.where((counts > 0) & (counts < min_count), PRIMARY, SHOWN)
    listed = True

    def unsafe(state: np.ndarray, cell: tuple[int, int] | None = None) -> list[tuple[int, int]]:
        return recoverable_cells(counts, state, min_count=min_count, nested=nested, listed=listed,
                                 cells=None if cell is None else [cell])

    while status.any() and (bad := unsafe(status)):
        row, col = bad[0]
        free = (status == SHOWN) & (counts > 0)
        same = [(int(counts[r, col]), r, col) for r in np.flatnonzero(free[:, col])]
        other = [(int(counts[r, c]), r, c) for r, c in zip(*np.nonzero(free), strict=True) if c != col]
        candidates = [(r, c) for _, r, c in sorted(same)] + [(r, c) for _, r, c in sorted(other)]
        chosen = None
        for r, c in candidates:
            trial = status.copy()
            trial[r, c] = SECONDARY
            if not unsafe(trial, (row, col)):
                chosen = (r, c)
                break
        if chosen is None:  # no complementary cell protects it: leave the small rows' items out of the lists
            status = np.where(status == PRIMARY, PRIMARY, SHOWN)
            listed = False
            break
        status[chosen] = SECONDARY
    return ProtectedTable(counts=counts, status=status, listed=listed, min_count=min_count)
