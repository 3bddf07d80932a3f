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
                    missing: str | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Return raw integer codes of a text (or categorical) Series, the level of each raw code, and the levels.

    Raw code 0 is a missing value, raw code ``k + 1`` the Series' ``k``-th category; the levels are ``order``
    (then any value present but not in it) or the sorted values present, and missing values take the level
    ``missing`` when it is given (else their level is -1: not counted). Counting on raw codes and moving the
    small histogram to the levels (:func:`aggregate_reports`) spares a pass over every report per key.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
    else:
        cat = pd.Categorical(values.astype(object))
    raw = np.add(cat.codes, 1, dtype=np.intp)  # -1 (missing) becomes 0
    used = np.bincount(raw, minlength=len(cat.categories) + 1) > 0
    present = [str(c) for c, u in zip(cat.categories, used[1:], strict=True) if u]
    has_missing = bool(used[0])
    if order is None:
        levels = sorted(present + ([missing] if has_missing and missing is not None else []))
    else:
        levels = list(order) + [v for v in sorted(present) if v not in set(order)]
        if has_missing and missing is not None and missing not in levels:
            levels.append(missing)
    position = {v: i for i, v in enumerate(levels)}
    level_of_raw = np.array([position.get(missing, -1)] + [position.get(str(c), -1) for c in cat.categories],
                            dtype=np.intp)
    return raw, level_of_raw, levels


def _key_codes(reports: pd.DataFrame, key: str,
               neighbourhoods: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list | pd.DatetimeIndex]:
    """Return each report's raw code for one group key, the level of each raw code, and the key's levels."""
    if key in PERIOD_KEYS:
        days = reports["local_day"].to_numpy(np.int64) if "local_day" in reports else _local_days(
            reports["observed_at"])
        if key == "week":
            steps = (days + 3) // 7  # weeks since Monday 1969-12-29 (1970-01-01 was a Thursday)
        else:
            steps = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        if not len(steps):
            return steps, np.zeros(0, dtype=np.intp), pd.DatetimeIndex([])
        first, last = int(steps.min()), int(steps.max())
        if key == "week":
            index = pd.to_datetime(np.arange(first, last + 1) * 7 - 3, unit="D")
        else:
            index = pd.DatetimeIndex(np.arange(first, last + 1).astype("datetime64[M]").astype("datetime64[ns]"))
        return steps - first, np.arange(last - first + 1, dtype=np.intp), index
    if key == "neighbourhood":
        return _factorize_text(reports["neighbourhood"], order=list(neighbourhoods["code"]), missing=OUTSIDE)
    return _factorize_text(reports[key])


def _to_levels(histogram: np.ndarray, level_maps: Sequence[np.ndarray], dims: Sequence[int]) -> np.ndarray:
    """Move a histogram over raw codes to the levels, axis by axis (raw codes of level -1 are dropped)."""
    for axis, level_of_raw in enumerate(level_maps):
        shape = list(histogram.shape)
        shape[axis] = dims[axis]
        moved = np.zeros(shape, dtype=np.int64)
        kept = np.flatnonzero(level_of_raw >= 0)
        target = [slice(None)] * histogram.ndim
        source = [slice(None)] * histogram.ndim
        target[axis], source[axis] = level_of_raw[kept], kept
        np.add.at(moved, tuple(target), histogram[tuple(source)])
        histogram = moved
    return histogram


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
    raw, level_maps, levels = zip(*(_key_codes(reports, key, neighbourhoods) for key in by), strict=True)
    dims = tuple(len(level) for level in levels)
    if 0 in dims:
        counts = np.zeros(0, dtype=np.int64)
    else:
        raw_dims = tuple(len(m) for m in level_maps)
        flat = np.ravel_multi_index(raw, raw_dims) if len(by) > 1 else raw[0]
        histogram = np.bincount(flat, minlength=int(np.prod(raw_dims))).reshape(raw_dims)
        counts = _to_levels(histogram, level_maps, dims).ravel()
    # periods as ISO dates on the (short) levels rather than on every row of the table
    levels = [level.strftime("%Y-%m-%d") if key in PERIOD_KEYS else level
              for key, level in zip(by, levels, strict=True)]
    full = pd.MultiIndex.from_product(levels, names=list(by))
    table = full.to_frame(index=False)
    table["count"] = counts
    if "neighbourhood" in by:
        info = neighbourhoods.set_index("code")
        table.insert(by.index("neighbourhood") + 1, "neighbourhood_name",
                     table["neighbourhood"].map(info["name"]).astype(object).fillna("Hors territoire"))
        population = table["neighbourhood"].map(info["population"]).astype("Float64")
        table["population"] = population.astype("Int64")
        table["rate_per_1000"] = (table["count"] / population * 1000).round(3)
        table.loc[~np.isfinite(table["rate_per_1000"].astype(float)), "rate_per_1000"] = pd.NA
    return table.sort_values(list(by), kind="stable").reset_index(drop=True)


def local_bounds(start: str | None, end: str | None, *, timezone: str) -> tuple[pd.Timestamp | None, ...]:
    """Turn inclusive local dates (``2026-01-01``, ``2026-01-31``) into a half-open UTC interval."""
    lo = pd.Timestamp(start).tz_localize(timezone) if start else None
    hi = (pd.Timestamp(end) + pd.Timedelta(days=1)).tz_localize(timezone) if end else None
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"--to ({end}) is expected to be on or after --from ({start})")
    return lo, hi
