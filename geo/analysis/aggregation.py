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


def _local_days(times: pd.Series) -> np.ndarray:
    """Return each tz-aware time's local calendar day as days since 1970-01-01 (``int64``)."""
    local = times.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    return local.astype(np.int64)


def _factorize_text(values: pd.Series, *, order: list[str] | None = None,
                    missing: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Return integer codes of a text (or categorical) Series and its levels.

    Levels are ``order`` (then any value present but not in it) or the sorted values present; missing
    values take the level ``missing`` when it is given.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
    else:
        cat = pd.Categorical(values.astype(object))
    raw_codes = np.asarray(cat.codes, dtype=np.int64)
    used = np.bincount(raw_codes[raw_codes >= 0], minlength=len(cat.categories)) > 0
    present = [str(c) for c, u in zip(cat.categories, used, strict=True) if u]
    has_missing = bool((raw_codes < 0).any())
    if order is None:
        levels = sorted(present + ([missing] if has_missing and missing is not None else []))
    else:
        levels = list(order) + [v for v in sorted(present) if v not in set(order)]
        if has_missing and missing is not None and missing not in levels:
            levels.append(missing)
    position = {v: i for i, v in enumerate(levels)}
    remap = np.array([position.get(str(c), -1) for c in cat.categories] + [position.get(missing, -1)],
                     dtype=np.int64)
    return remap[raw_codes], levels  # -1 (missing) indexes the last entry: the ``missing`` level


def _key_codes(reports: pd.DataFrame, key: str, neighbourhoods: pd.DataFrame) -> tuple[np.ndarray, list]:
    """Return the integer code of each report for one group key, and the key's levels (full ranges)."""
    if key in PERIOD_KEYS:
        days = reports["local_day"].to_numpy(np.int64) if "local_day" in reports else _local_days(
            reports["observed_at"])
        if key == "week":
            steps = (days + 3) // 7  # weeks since Monday 1969-12-29 (1970-01-01 was a Thursday)
        else:
            steps = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        if not len(steps):
            return steps, pd.DatetimeIndex([])
        first, last = int(steps.min()), int(steps.max())
        if key == "week":
            index = pd.to_datetime(np.arange(first, last + 1) * 7 - 3, unit="D")
        else:
            index = pd.DatetimeIndex(np.arange(first, last + 1).astype("datetime64[M]").astype("datetime64[ns]"))
        return steps - first, index
    if key == "neighbourhood":
        return _factorize_text(reports["neighbourhood"], order=list(neighbourhoods["code"]), missing=OUTSIDE)
    return _factorize_text(reports[key])


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
    codes, levels = zip(*(_key_codes(reports, key, neighbourhoods) for key in by), strict=True)
    dims = tuple(len(level) for level in levels)
    if 0 in dims:
        counts = np.zeros(0, dtype=np.int64)
    else:
        known = np.logical_and.reduce([c >= 0 for c in codes])  # a missing category or registre is not counted
        kept = [c[known] for c in codes] if not known.all() else list(codes)
        flat = np.ravel_multi_index(kept, dims) if len(by) > 1 else kept[0]
        counts = np.bincount(flat, minlength=int(np.prod(dims)))
    full = pd.MultiIndex.from_product(levels, names=list(by))
    table = full.to_frame(index=False)
    table["count"] = counts
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
