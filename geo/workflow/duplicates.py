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


def suggest_duplicates(store: Store, *, distance_m: float = DEFAULT_DISTANCE_M, hours: float = DEFAULT_HOURS,
                       report_ids: Sequence[str] | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        Columns ``report_id``, ``original_id``, ``category``, ``distance_m``, ``hours_apart``, ordered by report.
    """
    table = schema.reports
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.observed_at, table.c.lat, table.c.lon, table.c.category,
                                      table.c.status).where(table.c.status != "doublon")).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "t", "lat", "lon", "category", "status"])
    found: list[tuple] = []
    wanted = None if report_ids is None else set(report_ids)
    for category, group in frame.groupby("category", sort=True):
        if len(group) < 2:
            continue
        x, y = _TO_L93.transform(group["lon"].to_numpy(float), group["lat"].to_numpy(float))
        xy = np.column_stack([x, y])
        pairs = cKDTree(xy).query_pairs(r=distance_m, output_type="ndarray")
        if not len(pairs):
            continue
        t = group["t"].to_numpy("int64")
        ids = group["id"].to_numpy(object)
        open_ = ~group["status"].isin(list(CLOSED_STATUSES)).to_numpy()
        a, b = pairs[:, 0], pairs[:, 1]
        later = np.where(t[a] >= t[b], a, b)
        earlier = np.where(t[a] >= t[b], b, a)
        gap = np.abs(t[a] - t[b]) / 3600.0
        keep = (gap <= hours) & open_[later] & (ids[later] != ids[earlier])
        dist = np.hypot(*(xy[later] - xy[earlier]).T)
        for i, j, d, g in zip(later[keep], earlier[keep], dist[keep], gap[keep], strict=True):
            if wanted is None or ids[i] in wanted:
                found.append((ids[i], ids[j], category, round(float(d), 1), round(float(g), 2)))
    result = pd.DataFrame(found, columns=list(SUGGESTION_COLUMNS))
    # nearest earlier report first; one suggestion per report
    result = result.sort_values(["report_id", "distance_m", "hours_apart"]).drop_duplicates("report_id")
    return result.reset_index(drop=True)


def confirm_duplicate(store: Store, report_id: str, original_id: str, *, by: str | None = None,
                      comment: str | None = None, at: pd.Timestamp | None = None) -> StatusChange:
    """Mark ``report_id`` as ``doublon`` of ``original_id`` (a change kept in its history)."""
    return change_status(store, report_id, "doublon", duplicate_of=original_id, by=by, comment=comment, at=at)
