"""Weekly counts per quartier × category and per quartier (all categories), ISO weeks in local time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.aggregation import period_start

__all__ = ["SeriesKey", "WeeklySeries", "weekly_series", "week_of", "evaluation_cut"]


@dataclass(frozen=True)
class SeriesKey:
    """A series: a quartier and a category, or ``category=None`` for all categories of the quartier."""

    neighbourhood: str
    category: str | None

    def key(self) -> str:
        """Return the stable text key used to deduplicate stored alerts."""
        return f"stat|{self.neighbourhood}|{self.category or '*'}"


@dataclass
class WeeklySeries:
    """Weekly counts of every series over the same consecutive Mondays.

    Attributes
    ----------
    weeks
        Mondays (naive local dates), oldest first; the last one is the week evaluated.
    counts
        One array per series, aligned on ``weeks``.
    week_of_report
        The Monday of each report (indexed like the reports given).
    """

    weeks: pd.DatetimeIndex
    counts: dict[SeriesKey, np.ndarray]
    week_of_report: pd.Series


def week_of(day: pd.Timestamp) -> pd.Timestamp:
    """Return the Monday (naive, midnight) of the ISO week holding ``day``."""
    day = pd.Timestamp(day).normalize()
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    return day - pd.Timedelta(days=day.day_of_week)


def evaluation_cut(as_of: pd.Timestamp | str, *, timezone: str) -> pd.Timestamp:
    """Return the exclusive upper bound of observation times seen on date ``as_of``: the next local midnight."""
    day = pd.Timestamp(as_of)
    if day.tzinfo is not None:
        day = day.tz_convert(timezone).tz_localize(None)
    return (day.normalize() + pd.Timedelta(days=1)).tz_localize(timezone, nonexistent="shift_forward",
                                                                 ambiguous=False)


def weekly_series(reports: pd.DataFrame, *, as_of: pd.Timestamp | str, timezone: str,
                  neighbourhoods: list[str] | None = None) -> WeeklySeries:
    """Count reports per week for every quartier × category and every quartier, up to ``as_of`` included.

    Parameters
    ----------
    reports
        Columns ``observed_at`` (tz-aware), ``neighbourhood``, ``category``. Reports outside the territory
        (no neighbourhood) and reports observed after ``as_of`` are left out.
    as_of
        The date of evaluation: its week (possibly partial) is the last one.
    neighbourhoods
        Quartiers to give a series even when they hold no report.

    Returns
    -------
    WeeklySeries
        Weeks from the first complete week of data (the first Monday on or after the first report) to the
        week of ``as_of``; zero weeks are real zeros.
    """
    cut = evaluation_cut(as_of, timezone=timezone)
    seen = reports[(reports["observed_at"] < cut) & reports["neighbourhood"].notna()]
    last = week_of(cut - pd.Timedelta(days=1))
    if seen.empty:
        return WeeklySeries(pd.DatetimeIndex([last]), {}, pd.Series(dtype="datetime64[ns]"))
    weeks_of = period_start(seen["observed_at"].dt.tz_convert(timezone), "week")
    first_day = seen["observed_at"].min().tz_convert(timezone).tz_localize(None).normalize()
    first = week_of(first_day) if first_day.day_of_week == 0 else week_of(first_day) + pd.Timedelta(days=7)
    first = min(first, last)
    weeks = pd.date_range(first, last, freq="7D")
    position = ((weeks_of - first).dt.days // 7).to_numpy()
    inside = position >= 0
    nbh = seen["neighbourhood"].astype(str).to_numpy()[inside]
    cat = seen["category"].astype(str).to_numpy()[inside]
    pos = position[inside]
    counts: dict[SeriesKey, np.ndarray] = {}
    frame = pd.DataFrame({"n": nbh, "c": cat, "p": pos})
    for (n, c), group in frame.groupby(["n", "c"], sort=True):
        counts[SeriesKey(n, c)] = np.bincount(group["p"].to_numpy(), minlength=len(weeks)).astype(float)
    for n, group in frame.groupby("n", sort=True):
        counts[SeriesKey(n, None)] = np.bincount(group["p"].to_numpy(), minlength=len(weeks)).astype(float)
    for n in neighbourhoods or []:
        counts.setdefault(SeriesKey(n, None), np.zeros(len(weeks)))
    return WeeklySeries(weeks, counts, weeks_of)
