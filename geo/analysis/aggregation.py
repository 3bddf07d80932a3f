"""Count reports per neighbourhood, category and period, with rates per 1,000 inhabitants.

Counts come from the neighbourhood stored with each report at ingest: a group-by, never a spatial join.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["GROUP_KEYS", "OUTSIDE", "aggregate_reports", "parse_group_keys", "period_start", "local_bounds"]

GROUP_KEYS = ("neighbourhood", "category", "registre", "week", "month")
PERIOD_KEYS = ("week", "month")
OUTSIDE = "hors_territoire"


def parse_group_keys(text: str) -> list[str]:
    """Parse ``"neighbourhood,category,week"`` into keys, checking each.

    Raises
    ------
    ValueError
        When a key is unknown, repeated, or both ``week`` and ``month`` are asked for.
    """
    keys = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown or not keys:
        raise ValueError(f"--by was {text!r} but each key is expected to be in {list(GROUP_KEYS)}")
    if len(set(keys)) != len(keys) or {"week", "month"} <= set(keys):
        raise ValueError(f"--by was {text!r}: keys must not repeat and only one of week, month may be given")
    return keys


def period_start(times: pd.Series, period: str) -> pd.Series:
    """Return the local date starting each time's week (Monday) or month, as ``datetime64`` (naive)."""
    local = times.dt.tz_localize(None).dt.normalize()
    if period == "week":
        return local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    return local.dt.to_period("M").dt.start_time


def _full_range(values: pd.Series, period: str) -> pd.DatetimeIndex:
    freq = "W-MON" if period == "week" else "MS"
    return pd.date_range(values.min(), values.max(), freq=freq)


def aggregate_reports(
    reports: pd.DataFrame, neighbourhoods: pd.DataFrame, *, by: Sequence[str],
) -> pd.DataFrame:
    """Count reports per group, with zero counts filled in and a rate per 1,000 inhabitants.

    Parameters
    ----------
    reports
        Columns ``neighbourhood``, ``category``, ``registre``, ``observed_at`` (tz-aware) as needed by ``by``.
    neighbourhoods
        Columns ``code``, ``name``, ``population`` of the territory.
    by
        Group keys among :data:`GROUP_KEYS`. Every neighbourhood appears, with 0 where it has no report;
        reports outside the territory count under :data:`OUTSIDE`.

    Returns
    -------
    pandas.DataFrame
        The keys (periods as ISO dates), ``neighbourhood_name`` when grouped by neighbourhood,
        ``count``, ``population`` and ``rate_per_1000`` (empty where the population is unknown).
    """
    frame = pd.DataFrame(index=reports.index)
    for key in by:
        if key in PERIOD_KEYS:
            frame[key] = period_start(reports["observed_at"], key)
        elif key == "neighbourhood":
            frame[key] = reports["neighbourhood"].astype(object).where(reports["neighbourhood"].notna(), OUTSIDE)
        else:
            frame[key] = reports[key].astype(object)
    counts = frame.groupby(list(by), sort=False).size().rename("count")
    levels = []
    for key in by:
        present = counts.index.get_level_values(key).unique() if len(counts) else pd.Index([])
        if key == "neighbourhood":
            values = list(neighbourhoods["code"]) + ([OUTSIDE] if OUTSIDE in set(present) else [])
        elif key in PERIOD_KEYS:
            values = _full_range(pd.Series(present), key) if len(present) else pd.DatetimeIndex([])
        else:
            values = sorted(present)
        levels.append(values)
    full = pd.MultiIndex.from_product(levels, names=list(by))
    table = counts.reindex(full, fill_value=0).reset_index()
    if "neighbourhood" in by:
        info = neighbourhoods.set_index("code")
        table.insert(by.index("neighbourhood") + 1, "neighbourhood_name",
                     table["neighbourhood"].map(info["name"]).fillna("Hors territoire"))
        population = table["neighbourhood"].map(info["population"]).astype("Float64")
        table["population"] = population.astype("Int64")
        table["rate_per_1000"] = (table["count"] / population * 1000).round(3)
        table.loc[~np.isfinite(table["rate_per_1000"].astype(float)), "rate_per_1000"] = pd.NA
    for key in by:
        if key in PERIOD_KEYS:
            table[key] = table[key].dt.strftime("%Y-%m-%d")
    return table.sort_values(list(by), kind="stable").reset_index(drop=True)


def local_bounds(start: str | None, end: str | None, *, timezone: str) -> tuple[pd.Timestamp | None, ...]:
    """Turn inclusive local dates (``2026-01-01``, ``2026-01-31``) into a half-open UTC interval."""
    lo = pd.Timestamp(start).tz_localize(timezone) if start else None
    hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(timezone) if end else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"--to ({end}) is expected to be on or after --from ({start})")
    return lo, hi
