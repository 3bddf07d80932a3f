"""Suggest likely duplicates: reports of the same category close in space (Lambert-93) and in time.

A suggestion pairs a report with an earlier one it may repeat; the coordinator confirms it with
:func:`confirm_duplicate`, which marks the later report ``doublon`` of the earlier one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyproj
import sqlalchemy as sa
from scipy.spatial import cKDTree

from geo.store import schema
from geo.store.database import Store
from geo.workflow.lifecycle import CLOSED_STATUSES, StatusChange, change_status

__all__ = ["DEFAULT_DISTANCE_M", "DEFAULT_HOURS", "suggest_duplicates", "confirm_duplicate"]

DEFAULT_DISTANCE_M = 50.0
DEFAULT_HOURS = 72.0
_TO_L93 = pyproj.Transformer.from_crs(4326, 2154, always_xy=True)
SUGGESTION_COLUMNS = ("report_id", "original_id", "category", "distance_m", "hours_apart")


_MIN_BLOCK = 4_096
_BLOCK = 20_000
"""Most reports of one category taken at a time (in time order, a block spanning at most ``hours``) when pairs are
searched: with their candidates of the ``hours`` before, a block bounds the pairs held at once, which over a whole
category grew with the store (GBs)."""


def suggest_duplicates(store: Store, *, distance_m: float = DEFAULT_DISTANCE_M, hours: float = DEFAULT_HOURS,
                       report_ids: Sequence[str] | None = None, reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return pairs (report, earlier report) of one category within ``distance_m`` metres and ``hours`` hours.

    Only reports not closed are suggested as duplicates; the earlier report may be in any status but
    ``doublon``. Each report is paired with its nearest earlier candidate.

    Parameters
    ----------
    distance_m
        Greatest distance in metres, measured in Lambert-93 (EPSG:2154).
    hours
        Greatest time between the two observations.
    report_ids
        Only suggest for these reports (their originals may be any report).
    reports
        The store's reports already at hand (columns ``id``, ``observed_at`` tz-aware, ``lat``, ``lon``,
        ``category``, ``status``; the pages' memory-mapped frame), instead of reading them from ``store``.

    Returns
    -------
    pandas.DataFrame
        Columns ``report_id``, ``original_id``, ``category``, ``distance_m``, ``hours_apart``, ordered by report.
    """
    if reports is None:
        table = schema.reports
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.id, table.c.observed_at, table.c.lat, table.c.lon,
                                          table.c.category, table.c.status)).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "t", "lat", "lon", "category", "status"])
        ids, seconds = frame["id"], frame["t"].to_numpy("int64")
        lat, lon, category, status = frame["lat"], frame["lon"], frame["category"], frame["status"]
    else:
        ids, seconds = reports["id"], reports["observed_at"].array.as_unit("s").asi8
        lat, lon, category, status = reports["lat"], reports["lon"], reports["category"], reports["status"]
    # One category at a time, one block of time at a time: nothing per report but a few flags is held at once
    # (the pages' frame is memory-mapped: its columns are not copied whole).
    codes = category.array if isinstance(category.dtype, pd.CategoricalDtype) else pd.Categorical(category)
    candidate = (status != "doublon").to_numpy(dtype=bool)
    is_open = ~status.isin(list(CLOSED_STATUSES)).to_numpy(dtype=bool)
    later_rows: list[np.ndarray] = []
    earlier_rows: list[np.ndarray] = []
    found_parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    window = np.int64(np.floor(hours * 3600.0))  # whole seconds, as the times: gap <= hours <=> gap <= window
    for code in sorted(range(len(codes.categories)), key=lambda k: str(codes.categories[k])):
        group = np.flatnonzero((codes.codes == code) & candidate)  # store order, as a group-by keeps it
        if len(group) < 2:
            continue
        x, y = _TO_L93.transform(np.asarray(lon)[group].astype(float),
                                 np.asarray(lat)[group].astype(float))
        t = seconds[group]
        open_ = is_open[group]
        order = np.argsort(t, kind="stable")  # positions in the group, by time
        times = t[order]
        first = 0
        while first < len(order):
            # a block spans about ``hours`` (from _MIN_BLOCK to _BLOCK reports): pairs far apart in time are rarely
            # formed, and blocks are not so small that their number costs more than their pairs
            last = int(np.searchsorted(times, times[first] + window, side="right"))
            last = min(max(last, first + _MIN_BLOCK), first + _BLOCK, len(order))
            block_first, first = first, last
            # candidates: the block and the reports of the ``hours`` before its first one
            start = int(np.searchsorted(times, times[block_first] - window, side="left"))
            span = order[start:last]
            pairs = cKDTree(np.column_stack([x[span], y[span]])).query_pairs(r=distance_m, output_type="ndarray")
            if not len(pairs):
                continue
            local_a, local_b = pairs[:, 0], pairs[:, 1]
            in_block = np.maximum(local_a, local_b) >= block_first - start  # the earlier part's: done before
            a, b = span[local_a[in_block]], span[local_b[in_block]]
            a, b = np.minimum(a, b), np.maximum(a, b)  # group order, as one search over the whole group pairs them
            later = np.where(t[a] >= t[b], a, b)
            earlier = np.where(t[a] >= t[b], b, a)
            gap = np.abs(t[a] - t[b]) / 3600.0
            keep = (gap <= hours) & open_[later]
            dist = np.hypot(x[later] - x[earlier], y[later] - y[earlier])
            later_rows.append(group[later[keep]])
            earlier_rows.append(group[earlier[keep]])
            found_parts.append((str(codes.categories[code]), dist[keep], gap[keep]))
    found: list[tuple] = []
    wanted = None if report_ids is None else set(report_ids)
    later_all = np.concatenate(later_rows) if later_rows else np.zeros(0, dtype=np.int64)
    if len(later_all):  # (blocks may all have kept no pair)
        earlier_all = np.concatenate(earlier_rows)
        dist_all = np.concatenate([dist for _, dist, _ in found_parts])
        names_all = np.concatenate([np.full(len(dist), k, dtype=np.int32) for k, (_, dist, _) in
                                    enumerate(found_parts)])
        # only the candidates whose rounded distance can be their report's nearest are looked at further
        # (in their order: the choice among equals is unchanged); a report has dozens of others within reach
        _, which = np.unique(later_all, return_inverse=True)
        nearest = np.full(which.max() + 1, np.inf)
        np.minimum.at(nearest, which, dist_all)
        close = np.flatnonzero(dist_all <= nearest[which] + 0.1 + 1e-6)
        later_ids = ids.take(later_all[close]).tolist()
        earlier_ids = ids.take(earlier_all[close]).tolist()
        names = [found_parts[k][0] for k in names_all[close].tolist()]
        dists = dist_all[close].tolist()
        gaps = np.concatenate([gap for _, _, gap in found_parts])[close].tolist()
        for i, j, name, d, g in zip(later_ids, earlier_ids, names, dists, gaps, strict=True):
            if i != j and (wanted is None or i in wanted):
                found.append((i, j, name, round(d, 1), round(g, 2)))
    result = pd.DataFrame(found, columns=list(SUGGESTION_COLUMNS))
    # nearest earlier report first; one suggestion per report (ties: the earlier report first in store order)
    result = result.sort_values(["report_id", "distance_m", "hours_apart"], kind="stable").drop_duplicates("report_id")
    return result.reset_index(drop=True)


def confirm_duplicate(store: Store, report_id: str, original_id: str, *, by: str | None = None,
                      comment: str | None = None, at: pd.Timestamp | None = None) -> StatusChange:
    """Mark ``report_id`` as ``doublon`` of ``original_id`` (a change kept in its history)."""
    return change_status(store, report_id, "doublon", duplicate_of=original_id, by=by, comment=comment, at=at)
