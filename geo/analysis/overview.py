"""Figures of the home page: this week against last week and the same week last year."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

__all__ = ["WeekFigures", "week_figures", "neighbourhood_changes", "WAITING_DAYS"]

WAITING_DAYS = 10
WEEK = pd.Timedelta(days=7)
YEAR = pd.Timedelta(days=364)  # 52 weeks: the same weekdays one year earlier


@dataclass(frozen=True)
class WeekFigures:
    """Counts for one 7-day window ``[start, end)``.

    Attributes
    ----------
    reports
        Reports observed in the window.
    open_degradations
        Dégradations observed in the window that are still open.
    waiting
        Open reports that, at the window's end, had been waiting more than :data:`WAITING_DAYS` days.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    reports: int
    open_degradations: int
    waiting: int


def _window(reports: pd.DataFrame, end: pd.Timestamp, *, open_statuses: Collection[str],
            degradations: Collection[str]) -> WeekFigures:
    start = end - WEEK
    observed = reports["observed_at"]
    inside = (observed >= start) & (observed < end)
    is_open = reports["status"].isin(list(open_statuses))
    waiting = is_open & (observed < end - pd.Timedelta(days=WAITING_DAYS))
    return WeekFigures(
        start=start, end=end, reports=int(inside.sum()),
        open_degradations=int((inside & is_open & reports["category"].isin(list(degradations))).sum()),
        waiting=int(waiting.sum()),
    )


def week_figures(reports: pd.DataFrame, *, now: pd.Timestamp, open_statuses: Collection[str],
                 degradations: Collection[str]) -> dict[str, WeekFigures]:
    """Return the figures of the last 7 days (``this``), the 7 before (``last``) and a year before (``year``).

    Parameters
    ----------
    reports
        Columns ``observed_at`` (tz-aware), ``status``, ``category``.
    now
        End of the current window.
    open_statuses, degradations
        Status codes counted as open; category codes counted as dégradations.
    """
    kwargs = {"open_statuses": open_statuses, "degradations": degradations}
    return {"this": _window(reports, now, **kwargs), "last": _window(reports, now - WEEK, **kwargs),
            "year": _window(reports, now - YEAR, **kwargs)}


def neighbourhood_changes(reports: pd.DataFrame, names: pd.Series, *, now: pd.Timestamp, top: int = 5
                          ) -> pd.DataFrame:
    """Return the neighbourhoods whose 7-day count changed most against the 7 days before.

    Returns
    -------
    pandas.DataFrame
        Columns ``neighbourhood``, ``name``, ``this_week``, ``last_week``, ``change``; largest absolute
        change first; at most ``top`` rows, none with both counts at 0.
    """
    observed = reports["observed_at"]
    this = reports.loc[(observed >= now - WEEK) & (observed < now), "neighbourhood"].value_counts()
    last = reports.loc[(observed >= now - 2 * WEEK) & (observed < now - WEEK), "neighbourhood"].value_counts()
    table = pd.DataFrame({"this_week": this, "last_week": last}).fillna(0).astype(int)
    table["change"] = table["this_week"] - table["last_week"]
    table = table[(table["this_week"] + table["last_week"]) > 0]
    table = table.reindex(table["change"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    table.index.name = "neighbourhood"
    table = table.reset_index()
    table.insert(1, "name", table["neighbourhood"].map(names).fillna("Hors territoire"))
    return table
