"""What is changing: trends per quartier and category, period comparisons, the weekday × hour table.

A trend is judged by the Mann-Kendall test (``pymannkendall``) on the weekly or monthly counts: it asks
whether later periods tend to hold more (or fewer) reports than earlier ones, without assuming a straight
line; Sen's slope says by how much per period. With dozens of quartier × category series, some would look
significant by chance, so each p-value is also corrected for the false discovery rate (``p_fdr``) and only
those pass as ``significant``. A comparison of two periods of equal length asks whether the change is more
than the usual variation of counts: under "same rate", the current count out of both is binomial with
probability 1/2 (the conditional test for two Poisson rates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from geo.analysis.aggregation import aggregate_reports, period_start
from geo.analysis.fdr import fdr_adjust
from geo.analysis.mannkendall import mann_kendall
from geo.errors import InputError

__all__ = ["TREND_KEYS", "ALPHA", "parse_trend_keys", "complete_end", "trend_series", "trend_table",
           "poisson_rate_test", "period_comparisons", "weekday_hour", "trends_report", "period_start_of"]

TREND_KEYS: Final = ("neighbourhood", "category")
ALPHA: Final = 0.05
WEEKDAYS_FR: Final = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def parse_trend_keys(text: str) -> list[str]:
    """Parse ``--by`` (``neighbourhood``, ``category`` or both, comma-separated)."""
    keys = [k.strip() for k in text.split(",") if k.strip()]
    if not keys or len(set(keys)) != len(keys) or not set(keys) <= set(TREND_KEYS):
        raise InputError(f"--by attend neighbourhood, category ou neighbourhood,category ; reçu {text!r}")
    return keys


def complete_end(reports: pd.DataFrame, *, to: pd.Timestamp | None = None) -> pd.Timestamp:
    """Return the exclusive end of the data: the local midnight after ``to``, else after the last report."""
    tz = reports["observed_at"].dt.tz
    if to is not None:
        day = pd.Timestamp(to)
        day = day.tz_localize(tz) if day.tzinfo is None else day.tz_convert(tz)
        return day.normalize() + pd.Timedelta(days=1)
    if reports.empty:
        return pd.Timestamp.now(tz=tz).normalize() + pd.Timedelta(days=1)
    return reports["observed_at"].max().normalize() + pd.Timedelta(days=1)


def trend_series(reports: pd.DataFrame, neighbourhoods: pd.DataFrame, *, by: Sequence[str], period: str,
                 end: pd.Timestamp) -> pd.DataFrame:
    """Return the counts per group and complete period (zeros filled in), periods as timestamps.

    A period not over at ``end`` (exclusive) is left out: a partial last period would look like a fall.
    """
    table = aggregate_reports(reports, neighbourhoods, by=[*by, period])
    table[period] = pd.to_datetime(table[period])
    freq = pd.tseries.frequencies.to_offset("W-MON" if period == "week" else "MS")
    period_end = (table[period] + freq).dt.tz_localize(end.tz) if len(table) else table[period]
    return table[period_end <= end].reset_index(drop=True)


def trend_table(series: pd.DataFrame, *, by: Sequence[str], period: str, alpha: float = ALPHA) -> pd.DataFrame:
    """Return one Mann-Kendall trend per group, the strongest significant ones first.

    Columns: the keys (and ``neighbourhood_name``), ``periods``, ``total``, ``direction`` (``increasing``,
    ``decreasing``, ``no_trend`` at level ``alpha``), ``tau``, ``p``, ``p_fdr``, ``sen_slope`` (reports per
    period), ``significant`` (direction not ``no_trend`` and ``p_fdr <= alpha``).
    """
    names = ["neighbourhood_name"] if "neighbourhood" in by and "neighbourhood_name" in series else []
    rows = []
    for key, group in series.sort_values(period).groupby(list(by), sort=True):
        keys = key if isinstance(key, tuple) else (key,)
        counts = group["count"].to_numpy(float)
        direction, tau, p, slope = mann_kendall(counts, alpha=alpha)
        extra = [group[names[0]].iloc[0]] if names else []
        rows.append((*keys, *extra, len(counts), int(counts.sum()), direction, tau, p, slope))
    columns = [*by, *names, "periods", "total", "direction", "tau", "p", "sen_slope"]
    table = pd.DataFrame(rows, columns=columns)
    table.insert(table.columns.get_loc("p") + 1, "p_fdr", fdr_adjust(table["p"].to_numpy()))
    table["significant"] = (table["direction"] != "no_trend") & (table["p_fdr"] <= alpha)
    for column in ("tau", "sen_slope"):
        table[column] = table[column].round(4)
    for column in ("p", "p_fdr"):
        table[column] = table[column].round(6)
    strength = table["tau"].abs()
    order = np.lexsort((-strength.to_numpy(), ~table["significant"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def poisson_rate_test(current: int, previous: int) -> float:
    """Return the two-sided p-value that two counts over equally long periods share one Poisson rate."""
    total = int(current) + int(previous)
    if total == 0:
        return 1.0
    return float(stats.binomtest(int(current), total, 0.5).pvalue)


def period_comparisons(reports: pd.DataFrame, *, by: Sequence[str], end: pd.Timestamp) -> pd.DataFrame:
    """Compare, per group, the last 4 weeks with the 4 before, and this month so far with a year before.

    Columns: the keys, ``last_4_weeks``, ``previous_4_weeks``, ``p_4_weeks``, ``month_to_date``,
    ``same_month_last_year``, ``p_year`` (:func:`poisson_rate_test`).
    """
    times = reports["observed_at"]
    four = pd.Timedelta(weeks=4)
    month_start = (end - pd.Timedelta(seconds=1)).normalize().replace(day=1)
    year = pd.DateOffset(years=1)
    windows = {
        "last_4_weeks": (end - four, end), "previous_4_weeks": (end - 2 * four, end - four),
        "month_to_date": (month_start, end), "same_month_last_year": (month_start - year, end - year),
    }
    # counted on integer group codes (one small array per report), not on a text copy of the keys of every report
    group, labels = _group_codes(reports, by)
    size = int(np.prod([len(values) for values in labels]))
    present = np.flatnonzero(np.bincount(group, minlength=size))
    table = pd.DataFrame(_key_columns(present, labels, by))
    for name, (lo, hi) in windows.items():
        inside = ((times >= lo) & (times < hi)).to_numpy(dtype=bool)
        table[name] = np.bincount(group[inside], minlength=size)[present].astype(np.int64)
    table.insert(table.columns.get_loc("previous_4_weeks") + 1, "p_4_weeks", [
        round(poisson_rate_test(a, b), 6) for a, b in zip(table["last_4_weeks"], table["previous_4_weeks"],
                                                          strict=True)])
    table["p_year"] = [round(poisson_rate_test(a, b), 6)
                       for a, b in zip(table["month_to_date"], table["same_month_last_year"], strict=True)]
    return table


def _group_codes(reports: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, list[list[str]]]:
    """Return each report's group number and each key's sorted labels (a missing key is ``hors_territoire``).

    Group numbers follow the order of the sorted key tuples, as a sorted group-by on the labels would.
    """
    group = np.zeros(len(reports), dtype=np.int64)
    labels: list[list[str]] = []
    for key in by:
        column = reports[key]
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.array.codes.astype(np.int64)
            names = [*column.array.categories.astype(object), "hors_territoire"]
            codes = np.where(codes < 0, len(names) - 1, codes)
        else:
            codes, uniques = pd.factorize(column.astype(object).where(column.notna(), "hors_territoire"))
            names = list(uniques)
        values = sorted(set(names))
        position = {v: i for i, v in enumerate(values)}
        remap = np.array([position[v] for v in names], dtype=np.int64)
        group = group * len(values) + (remap[codes] if len(codes) else codes)
        labels.append(values)
    return group, labels


def _key_columns(present: np.ndarray, labels: list[list[str]], by: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the key columns (object) of the group numbers ``present``."""
    out: dict[str, np.ndarray] = {}
    rest = present
    for key, values in zip(reversed(list(by)), reversed(labels), strict=True):
        out[key] = np.asarray(values, dtype=object)[rest % len(values)] if len(values) else np.array([], object)
        rest = rest // max(len(values), 1)
    return {key: out[key] for key in by}


def weekday_hour(reports: pd.DataFrame) -> pd.DataFrame:
    """Return the number of reports per local weekday (rows, Monday first, French names) and hour (0–23)."""
    # local wall-clock microseconds since 1970-01-01 (a Thursday), counted with bincount: no per-report frame
    wall = reports["observed_at"].dt.tz_localize(None).array.as_unit("us").asi8 if len(reports) else np.zeros(0, int)
    hours = wall // 3_600_000_000
    cells = ((hours // 24 + 3) % 7) * 24 + hours % 24
    table = pd.DataFrame(np.bincount(cells, minlength=7 * 24).reshape(7, 24).astype(np.int64))
    table.index = pd.Index(WEEKDAYS_FR, name="jour")
    table.columns = pd.Index([f"{h}h" for h in range(24)], name="heure")
    return table


def trends_report(reports: pd.DataFrame, neighbourhoods: pd.DataFrame, *, by: Sequence[str], period: str,
                  end: pd.Timestamp, alpha: float = ALPHA) -> pd.DataFrame:
    """Return the trend table joined with the period comparisons, one row per group (see both functions)."""
    if period not in ("week", "month"):
        raise InputError(f"--period attend week ou month ; reçu {period!r}")
    series = trend_series(reports, neighbourhoods, by=by, period=period, end=end)
    table = trend_table(series, by=by, period=period, alpha=alpha)
    comparisons = period_comparisons(reports, by=by, end=end)
    table = table.merge(comparisons, on=list(by), how="left")
    counts = [c for c in comparisons.columns if c not in by and not c.startswith("p_")]
    table[counts] = table[counts].fillna(0).astype(np.int64)
    table[["p_4_weeks", "p_year"]] = table[["p_4_weeks", "p_year"]].fillna(1.0)
    return table


def period_start_of(times: pd.Series, period: str) -> pd.Series:
    """Return the start of each time's period (re-exported for pages drawing the series)."""
    return period_start(times, period)
