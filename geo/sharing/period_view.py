"""A partner's view of a fixed calendar period: months protected one by one, longer periods derived from them.

The differencing attack, and why this holds against it
------------------------------------------------------
:func:`geo.sharing.privacy.partner_view` protects the counts of one period. A partner free to choose its dates
asks for two periods differing by one day and subtracts: the day's count comes out, whatever its size. Here a
partner reaches fixed periods only (:mod:`geo.sharing.periods`): completed calendar months, and quarters, years
and « depuis le début » made of whole months. The view of a month is :func:`partner_view` over that month. The
view of a longer period is **derived** from the views of its months — every figure, list and place it shows is
computed from what those month views publish, never from the reports again:

- a cell is the exact sum of its months' cells when none of them is suppressed; « < 3 » when exactly one is
  « < 3 » and the others read 0; otherwise « ≥ L », L being the least value the months' figures allow
  (published cells, 1 for each « < 3 », ``min_count`` for each « masqué »);
- a column's total is exact when all its cells are, else « ≥ » the sum of their least values;
- the items are those the month views list, as they list them (quartier, place, category pooled or withheld
  month by month); a place is drawn where listed items keep it, as in a month.

Two different months hold different reports: the unknowns of one month's table appear in no constraint of
another's, so what all the months publish together pins a masked cell only if one month's view alone does —
which the audit of :mod:`geo.sharing.disclosure` rules out. A derived view adds nothing to its months. So
the union of everything a partner reaches over all its periods leaks no masked count;
``tests/sharing/test_period_differencing.py`` checks it with an integer program over every reachable period.

Limits (stated in the README): the views are built at one moment ``now`` (ages and open statuses are those of
``now``); a partner comparing the same month on two days learns which reports changed status between them, and
reports imported late into a closed month change that month's figures from one day to the next. Neither is
audited across days.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.sharing.config import SharingSettings
from geo.sharing.disclosure import LISTED, PRIMARY, SECONDARY, SHOWN, ProtectedTable
from geo.sharing.periods import FixedPeriod
from geo.sharing.privacy import PartnerView, place_cells, read_scope, salt_of, view_of_frame
from geo.sharing.scope import PartnerScope
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["BOUNDED", "DerivedTable", "derive_table", "fixed_partner_view", "month_views", "combine_views"]

BOUNDED: Final = 3
"""Status of a derived cell only known from below (shown « ≥ L »)."""


@dataclass(frozen=True)
class DerivedTable:
    """The table of a period made of months, computed from the months' published cells only.

    Same reading interface as :class:`geo.sharing.disclosure.ProtectedTable` (``label``, ``total_label``,
    ``status``, ``listing``, ``counts``).

    Attributes
    ----------
    counts
        Exact counts (never published as such: only where ``status`` is :data:`SHOWN`).
    status
        :data:`SHOWN`, :data:`PRIMARY` or :data:`BOUNDED` per cell.
    lower
        The least value of each cell allowed by the months' published figures.
    listing
        Per group (row × class), the most protective listing any month applied (for the notes).
    min_count
        The threshold.
    """

    counts: np.ndarray
    status: np.ndarray
    lower: np.ndarray
    listing: np.ndarray
    min_count: int

    @property
    def pooled(self) -> np.ndarray:
        """Rows holding a cell that is not exact."""
        return (self.status != SHOWN).any(axis=1)

    def label(self, row: int, column: int) -> str:
        """Return a cell as a partner sees it."""
        state = self.status[row, column]
        if state == PRIMARY:
            return f"< {self.min_count}"
        if state == BOUNDED:
            return f"≥ {int(self.lower[row, column])}"
        return str(int(self.counts[row, column]))

    def total_label(self, column: int) -> str:
        """Return a column's total: exact when every cell is, else « ≥ » the sum of the cells' least values."""
        value = int(self.lower[:, column].sum())
        return str(value) if (self.status[:, column] == SHOWN).all() else f"≥ {value}"


def derive_table(tables: list[tuple[ProtectedTable, list[int]]], *, rows: int, min_count: int) -> DerivedTable:
    """Return the table of a union of months from the months' protected tables.

    ``tables``: each month's table with, for each of its rows, the index of that row in the derived table.
    """
    cols = 3
    counts = np.zeros((rows, cols), dtype=int)
    shown = np.zeros((rows, cols), dtype=int)
    primary = np.zeros((rows, cols), dtype=int)
    secondary = np.zeros((rows, cols), dtype=int)
    listing = np.full((rows, cols), LISTED)
    for table, where in tables:
        index = np.asarray(where, dtype=int)
        if not len(index):
            continue
        state = table.status
        np.add.at(counts, index, table.counts)
        np.add.at(shown, index, np.where(state == SHOWN, table.counts, 0))
        np.add.at(primary, index, (state == PRIMARY).astype(int))
        np.add.at(secondary, index, (state == SECONDARY).astype(int))
        np.maximum.at(listing, index, table.listing)
    lower = shown + primary + min_count * secondary
    status = np.full((rows, cols), SHOWN)
    hidden = (primary + secondary) > 0
    status[hidden] = BOUNDED
    status[hidden & (primary == 1) & (secondary == 0) & (shown == 0)] = PRIMARY
    return DerivedTable(counts=counts, status=status, lower=lower, listing=listing, min_count=min_count)


def month_views(store: Store, scope: PartnerScope, period: FixedPeriod, *, taxonomy: Taxonomy,
                settings: SharingSettings, territory: gpd.GeoDataFrame, now: pd.Timestamp,
                timezone: str) -> list[PartnerView]:
    """Return the protected view of each calendar month of ``period`` (the store is read once)."""
    frame = read_scope(store, scope, start=period.start, end=period.end, timezone=timezone)
    salt = salt_of(store)
    views = []
    stamps = frame["observed_at"]
    for start, end in period.months() or [(period.start, period.end)]:  # no month: an empty « depuis le début »
        part = frame[(stamps >= start) & (stamps < end)]
        view = view_of_frame(part, scope, taxonomy=taxonomy, settings=settings, territory=territory, start=start,
                             end=end, now=now, salt=salt)
        views.append(view)
    return views


def combine_views(views: list[PartnerView], scope: PartnerScope, period: FixedPeriod, *,
                  territory: gpd.GeoDataFrame, now: pd.Timestamp, min_count: int) -> PartnerView:
    """Return the view of ``period`` derived from the views of its months (see the module's description)."""
    codes = list(territory["code"]) if len(territory) else []
    if scope.neighbourhoods is not None:
        codes = [c for c in codes if c in scope.neighbourhoods]
    names = dict(zip(territory["code"], territory["name"], strict=True)) if len(territory) else {}
    seen = {code for view in views for code, _ in view.rows}
    codes += sorted({c for c in seen if c is not None} - set(codes))
    rows: list[tuple[str | None, str]] = [(c, names.get(c, "Hors territoire")) for c in codes]
    if None in seen:
        rows.append((None, "Hors territoire"))
    index = {code: i for i, (code, _) in enumerate(rows)}
    figures = derive_table([(v.figures, [index[code] for code, _ in v.rows]) for v in views], rows=len(rows),
                           min_count=min_count)
    frames = [v.items for v in views if len(v.items)] or [views[0].items]
    items = pd.concat(frames, ignore_index=True)
    items = items.sort_values(["is_open", "age_days"], ascending=[False, False], kind="stable")
    items = items.reset_index(drop=True)
    return PartnerView(scope=scope, items=items, start=period.start, end=period.end, now=now, min_count=min_count,
                       figures=figures, rows=tuple(rows), cells=place_cells(items, min_count=min_count), period=period)


def fixed_partner_view(store: Store, scope: PartnerScope, period: FixedPeriod, *, taxonomy: Taxonomy,
                       settings: SharingSettings, territory: gpd.GeoDataFrame | None = None,
                       now: pd.Timestamp | None = None, timezone: str = "Europe/Paris") -> PartnerView:
    """Return what a partner sees of a fixed period: a month's own view, or the view derived from its months."""
    now = pd.Timestamp.now(tz=timezone) if now is None else pd.Timestamp(now)
    if territory is None:
        territory = store.load_territory()
    views = month_views(store, scope, period, taxonomy=taxonomy, settings=settings, territory=territory, now=now,
                        timezone=timezone)
    if len(views) == 1:
        return replace(views[0], period=period)
    return combine_views(views, scope, period, territory=territory, now=now, min_count=settings.min_count)
