"""Figures of the home page: a period against the period before and the same period a year earlier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

__all__ = ["WeekFigures", "PeriodWindows", "period_windows", "period_figures", "week_figures",
           "neighbourhood_changes", "WAITING_DAYS"]

WAITING_DAYS = 10
WEEK = pd.Timedelta(days=7)
YEAR = pd.Timedelta(days=364)  # 52 weeks: the same weekdays one year earlier


@dataclass(frozen=True)
class WeekFigures:
    """Counts for one window ``[start, end)`` (a week or any period).

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


@dataclass(frozen=True)
class PeriodWindows:
    """The chosen period ``[start, end)`` and the two it is compared with, all of the same length.

    Attributes
    ----------
    this
        The chosen period.
    before
        The period of the same length just before it.
    year
        The same period 52 weeks earlier (same weekdays).
    """

    this: tuple[pd.Timestamp, pd.Timestamp]
    before: tuple[pd.Timestamp, pd.Timestamp]
    year: tuple[pd.Timestamp, pd.Timestamp]

    @property
    def days(self) -> int:
        """Length of each window in whole days."""
        return (self.this[1].date() - self.this[0].date()).days


def period_windows(first_day: dt.date, last_day: dt.date, *, tz: str) -> PeriodWindows:
    """Return the windows of the calendar days ``first_day`` to ``last_day`` (both included), local time.

    Raises
    ------
    ValueError
        When ``last_day`` is before ``first_day``.
    """
    if last_day < first_day:
        raise ValueError(f"the period ends on {last_day} but is expected to end on or after its start {first_day}")
    days = (last_day - first_day).days + 1

    def local(day: dt.date) -> pd.Timestamp:  # calendar days: a window across a DST change keeps its midnights
        return pd.Timestamp(day).tz_localize(tz)

    shift = dt.timedelta(days=YEAR.days)
    end_day = last_day + dt.timedelta(days=1)
    before_day = first_day - dt.timedelta(days=days)
    return PeriodWindows(this=(local(first_day), local(end_day)), before=(local(before_day), local(first_day)),
                         year=(local(first_day - shift), local(end_day - shift)))


def _window(reports: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *, open_statuses: Collection[str],
            degradations: Collection[str]) -> WeekFigures:
    observed = reports["observed_at"]
    inside = (observed >= start) & (observed < end)
    is_open = reports["status"].isin(list(open_statuses))
    waiting = is_open & (observed < end - pd.Timedelta(days=WAITING_DAYS))
    return WeekFigures(
        start=start, end=end, reports=int(inside.sum()),
        open_degradations=int((inside & is_open & reports["category"].isin(list(degradations))).sum()),
        waiting=int(waiting.sum()),
    )


def period_figures(reports: pd.DataFrame, windows: PeriodWindows, *, open_statuses: Collection[str],
                   degradations: Collection[str]) -> dict[str, WeekFigures]:
    """Return the figures of the chosen period (``this``), the one before (``last``) and a year earlier (``year``).

    Parameters
    ----------
    reports
        Columns ``observed_at`` (tz-aware), ``status``, ``category``; NOT restricted to the period (the
        other two windows are counted from them too).
    windows
        From :func:`period_windows`.
    open_statuses, degradations
        Status codes counted as open; category codes counted as dégradations.
    """
    kwargs = {"open_statuses": open_statuses, "degradations": degradations}
    return {"this": _window(reports, *windows.this, **kwargs), "last": _window(reports, *windows.before, **kwargs),
            "year": _window(reports, *windows.year, **kwargs)}


def week_figures(reports: pd.DataFrame, *, now: pd.Timestamp, open_statuses: Collection[str],
                 degradations: Collection[str]) -> dict[str, WeekFigures]:
    """Return the figures of the 7 days ending at ``now`` (``this``), the 7 before (``last``) and a year before."""
    windows = PeriodWindows(this=(now - WEEK, now), before=(now - 2 * WEEK, now - WEEK),
                            year=(now - WEEK - YEAR, now - YEAR))
    return period_figures(reports, windows, open_statuses=open_statuses, degradations=degradations)


def neighbourhood_changes(reports: pd.DataFrame, names: pd.Series, *, now: pd.Timestamp | None = None,
                          windows: PeriodWindows | None = None, top: int = 5) -> pd.DataFrame:
    """Return the neighbourhoods whose count changed most between a period and the one before.

    Parameters
    ----------
    windows
        The period and the one before; by default the 7 days ending at ``now`` and the 7 before.

    Returns
    -------
    pandas.DataFrame
        Columns ``neighbourhood``, ``name``, ``this_week``, ``last_week`` (counts in the period and the one
        before), ``change``; largest absolute change first; at most ``top`` rows, none with both counts at 0.
    """
    if windows is None:
        if now is None:
            raise ValueError("neighbourhood_changes needs `now` or `windows`; neither was given")
        windows = PeriodWindows(this=(now - WEEK, now), before=(now - 2 * WEEK, now - WEEK),
                                year=(now - WEEK - YEAR, now - YEAR))
    observed = reports["observed_at"]
    (start, end), (before_start, before_end) = windows.this, windows.before
    this = reports.loc[(observed >= start) & (observed < end), "neighbourhood"].value_counts()
    last = reports.loc[(observed >= before_start) & (observed < before_end), "neighbourhood"].value_counts()
    table = pd.DataFrame({"this_week": this, "last_week": last}).fillna(0).astype(int)
    table["change"] = table["this_week"] - table["last_week"]
    table = table[(table["this_week"] + table["last_week"]) > 0]
    table = table.reindex(table["change"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    table.index.name = "neighbourhood"
    table = table.reset_index()
    table.insert(1, "name", table["neighbourhood"].map(names).astype(object).fillna("Hors territoire"))
    return table
