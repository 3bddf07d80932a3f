"""Small-count protection of a partner's counts: primary and complementary (secondary) suppression, audited.

A partner reaches the counts of one table — rows are quartiers (and « Hors territoire »), columns are nested
counts (reports ⊇ open ⊇ open for more than 10 days) — and the lists of items, which give the number of items
of each *group* (row × class: closed, open for at most 10 days, open for more) that they list. This module
decides which cells are published and how each group is listed: with its quartier (``LISTED``), without its
quartier nor its place (``POOLED``: the lists then only give the sum of the pooled groups of a class), or not at
all (``WITHHELD``).

The rule is the classic one of statistical disclosure control for frequency tables (threshold rule + cell
suppression with an audit, as in τ-Argus or the Eurostat/ONS handbooks):

1. **primary suppression**: a cell counting 1 to ``min_count - 1`` reports is shown « < min_count »;
2. **complementary (secondary) suppression**: the groups of a row holding a suppressed cell are pooled. Each
   class holding a primary cell then needs another suppressed cell in the pool, else the pooled sum minus the
   published cells gives the masked one back. The complementary cell is the smallest non-zero published cell
   of the same column (then of any column) that protects it — the « at least two suppressed cells per line »
   heuristic, checked by:
3. **audit**: the attacker's problem is solved exactly. For each primary cell, an integer program
   (:func:`scipy.optimize.milp`, HiGHS) finds its smallest and largest value compatible with *every* published
   figure: published cells exact, « < 3 » cells in ``[1, 2]``, « masqué » cells ``≥ 3``, listed groups exact,
   the pooled sums. A primary cell is protected when it keeps two feasible values (two cells « < 3 » summing to
   2, or a pooled sum of 4 against a complementary cell that cannot be below 3, are caught here);
4. **fallback** when no complementary cell protects a primary cell (few reports: a column whose other cells are
   0, e.g. one open report in all): nothing is pooled; in each row holding a primary cell (its widest column
   ``m``), the groups the primary cells are made of (classes ≥ ``m``) are withheld from the lists, the row's
   wider cells become complementary suppressions, and the other groups stay listed with their quartier (a
   quartier with 36 closed reports and 1 open keeps its 36 closed ones listed). If the audit still pins a cell
   (a wide cell of exactly 3), the whole row is withheld instead and its cells are shown as they are.

Totals are exact for a column with no suppressed cell, else « ≥ S » (S: its published cells). A complementary
cell is shown « masqué ». The auditor assumes the attacker knows this rule (hence which groups are pooled or
withheld). ``pytauargus`` 0.6.0 (τ-Argus on HiGHS, beta, EUPL) was looked at: it protects tables (optimal or
modular secondary suppression) but knows nothing of the lists of items, which are what gives masked counts away
here; the same solver (HiGHS, through SciPy, already a dependency) audits tables and lists together, and
``tests/sharing/test_disclosure_attack.py`` plays the attacker on every file a partner can take away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = ["SHOWN", "PRIMARY", "SECONDARY", "LISTED", "POOLED", "WITHHELD", "ProtectedTable", "protect_counts",
           "recoverable_cells", "classes_of"]

SHOWN: Final = 0
"""Status of a published cell."""
PRIMARY: Final = 1
"""Status of a cell counting 1 to ``min_count - 1`` (shown « < 3 »)."""
SECONDARY: Final = 2
"""Status of a complementary suppression (shown « masqué »)."""
LISTED: Final = 0
"""Listing of a group whose items are listed with their quartier."""
POOLED: Final = 1
"""Listing of a group whose items are listed without their quartier and place."""
WITHHELD: Final = 2
"""Listing of a group whose items are not listed."""


def classes_of(counts: np.ndarray) -> np.ndarray:
    """Return the class counts of nested cells: class ``j`` = cell ``j`` − cell ``j + 1`` (the last: itself)."""
    counts = np.asarray(counts, dtype=int)
    out = counts.copy()
    out[:, :-1] -= counts[:, 1:]
    if (out < 0).any():
        raise ValueError("les colonnes doivent être emboîtées (chaque colonne une partie de la précédente)")
    return out


@dataclass(frozen=True)
class ProtectedTable:
    """A table of nested counts with the status of each cell and the listing of each group.

    Attributes
    ----------
    counts
        Exact counts, rows × columns (never published as such).
    status
        :data:`SHOWN`, :data:`PRIMARY` or :data:`SECONDARY` per cell.
    listing
        :data:`LISTED`, :data:`POOLED` or :data:`WITHHELD` per group (row × class, see :func:`classes_of`).
    min_count
        The threshold.
    """

    counts: np.ndarray
    status: np.ndarray
    listing: np.ndarray
    min_count: int

    @property
    def pooled(self) -> np.ndarray:
        """Rows holding a suppressed cell."""
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


def _system(counts: np.ndarray, status: np.ndarray, listing: np.ndarray,
            min_count: int) -> tuple[np.ndarray, np.ndarray, list[LinearConstraint]]:
    """Return the bounds and constraints on the class counts of what is published."""
    rows, cols = counts.shape
    classes = classes_of(counts)
    size = rows * cols
    low, high = np.zeros(size), np.full(size, np.inf)
    listed = (listing == LISTED).ravel()
    low[listed] = high[listed] = classes.ravel()[listed]
    a, lo, hi = [], [], []
    for r in range(rows):
        for c in range(cols):
            row = np.zeros(size)
            row[r * cols + c:(r + 1) * cols] = 1.0  # cell c = classes c, c + 1, …
            state = status[r, c]
            a.append(row)
            if state == SHOWN:
                lo.append(counts[r, c])
                hi.append(counts[r, c])
            elif state == PRIMARY:
                lo.append(1)
                hi.append(min_count - 1)
            else:
                lo.append(min_count)
                hi.append(np.inf)
    for j in range(cols):
        pooled = np.flatnonzero(listing[:, j] == POOLED)
        if len(pooled):
            row = np.zeros(size)
            row[pooled * cols + j] = 1.0
            a.append(row)
            lo.append(classes[pooled, j].sum())
            hi.append(classes[pooled, j].sum())
    return low, high, [LinearConstraint(np.array(a), np.array(lo, float), np.array(hi, float))]


def recoverable_cells(counts: np.ndarray, status: np.ndarray, listing: np.ndarray, *, min_count: int,
                      cells: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Return the primary cells (of ``cells``, default all) whose exact value follows from what is published."""
    counts = np.asarray(counts, dtype=int)
    rows, cols = counts.shape
    if cells is None:
        cells = [(int(r), int(c)) for r, c in zip(*np.nonzero(status == PRIMARY), strict=True)]
    if not cells:
        return []
    low, high, constraints = _system(counts, status, listing, min_count)
    bad = []
    for r, c in cells:
        target = np.zeros(rows * cols)
        target[r * cols + c:(r + 1) * cols] = 1.0
        found = []
        for sign in (1.0, -1.0):
            result = milp(sign * target, integrality=np.ones(rows * cols), bounds=Bounds(low, high),
                          constraints=constraints)
            found.append(round(float(target @ result.x)) if result.status == 0 else None)
        if found[0] is None or found[0] == found[1]:  # (no solution cannot happen with true counts: unsafe)
            bad.append((r, c))
    return bad


def _pooling(status: np.ndarray) -> np.ndarray:
    listing = np.full(status.shape, LISTED)
    listing[(status != SHOWN).any(axis=1)] = POOLED
    return listing


def _pooled_protection(counts: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (status, listing) with pooled rows and complementary cells, or ``None`` when it cannot protect."""
    status = np.where((counts > 0) & (counts < min_count), PRIMARY, SHOWN)
    while bad := recoverable_cells(counts, status, _pooling(status), min_count=min_count):
        row, col = bad[0]
        free = (status == SHOWN) & (counts > 0)
        same = sorted((int(counts[r, col]), int(r), col) for r in np.flatnonzero(free[:, col]))
        other = sorted((int(counts[r, c]), int(r), int(c)) for r, c in zip(*np.nonzero(free), strict=True)
                       if c != col)
        for _, r, c in same + other:
            trial = status.copy()
            trial[r, c] = SECONDARY
            if not recoverable_cells(counts, trial, _pooling(trial), min_count=min_count, cells=[(row, col)]):
                status = trial
                break
        else:
            return None
    return status, _pooling(status)


def _withheld_protection(counts: np.ndarray, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (status, listing) of the fallback: the small groups of each row withheld (see the module)."""
    status = np.where((counts > 0) & (counts < min_count), PRIMARY, SHOWN)
    listing = np.full(counts.shape, LISTED)
    for r in np.flatnonzero((status == PRIMARY).any(axis=1)):
        widest = int(np.flatnonzero(status[r] == PRIMARY)[0])
        listing[r, widest:] = WITHHELD
        status[r, :widest] = SECONDARY
        mine = [(int(r), int(c)) for c in np.flatnonzero(status[r] == PRIMARY)]
        if recoverable_cells(counts, status, listing, min_count=min_count, cells=mine):
            listing[r] = WITHHELD
            status[r, :widest] = SHOWN
    return status, listing


def protect_counts(counts: np.ndarray, *, min_count: int = 3) -> ProtectedTable:
    """Return nested ``counts`` with their suppressions and listings (see the module's description).

    Parameters
    ----------
    counts
        Non-negative integer counts, rows × columns, each column counting a part of the previous one.
    min_count
        Cells from 1 to ``min_count - 1`` are masked.
    """
    counts = np.asarray(counts, dtype=int)
    classes_of(counts)  # checks the nesting
    found = _pooled_protection(counts, min_count)
    status, listing = found if found is not None else _withheld_protection(counts, min_count)
    return ProtectedTable(counts=counts, status=status, listing=listing, min_count=min_count)
