"""The coordinator's list of reports: search, ageing bands and *en retard* against the partner's target delay.

Ageing bands are DansMaRue's: less than 48 hours, 48 hours to 10 days, more than 10 days, counted from the
observation for reports still open. A relayed report is *en retard* when more days have passed since its (last)
relay than its partner's target delay and it is still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.store import schema
from geo.store.database import Store, fetch_frame
from geo.store.workflow_schema import partners as partners_table
from geo.workflow.lifecycle import CLOSED_STATUSES

__all__ = ["AGEING_BANDS", "ReportQuery", "ageing_band", "relay_times", "list_reports", "count_reports",
           "LIST_COLUMNS"]

AGEING_BANDS = {"moins_48h": "< 48 h", "48h_10j": "48 h – 10 j", "plus_10j": "> 10 j", "clos": "clos"}
"""Band code -> French label; ``clos`` for reports no longer open."""
LIST_COLUMNS = ("id", "source_id", "observed_at", "category", "neighbourhood", "status", "partner", "age_days",
                "ageing", "relayed_at", "overdue", "duplicate_of")


@dataclass(frozen=True)
class ReportQuery:
    """Which reports :func:`list_reports` returns (every criterion given must hold).

    Attributes
    ----------
    text
        Found (case-insensitive) in the stored id, the source id or the description.
    categories, neighbourhoods, statuses, partners
        Codes to keep; an empty tuple keeps all. ``neighbourhoods`` may hold ``""`` for outside the territory,
        ``partners`` ``""`` for reports without a partner.
    bands
        Ageing band codes (:data:`AGEING_BANDS`).
    overdue
        Keep only reports *en retard*.
    min_age_days, max_age_days
        Age bounds in days (since observation).
    start, end
        Half-open interval on the observation time.
    """

    text: str = ""
    categories: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    bands: tuple[str, ...] = ()
    overdue: bool = False
    min_age_days: float | None = None
    max_age_days: float | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


def ageing_band(age_hours: pd.Series, statuses: pd.Series) -> pd.Series:
    """Return each report's ageing band code (:data:`AGEING_BANDS`) from its age in hours and its status."""
    band = np.select([age_hours < 48, age_hours <= 240], ["moins_48h", "48h_10j"], "plus_10j")
    band = np.where(statuses.isin(list(CLOSED_STATUSES)).to_numpy(), "clos", band)
    return pd.Series(band, index=age_hours.index, dtype=object, name="ageing")


def relay_times(store: Store, report_ids: Sequence[str] | None = None) -> pd.Series:
    """Return the time (UTC) of each report's last change to ``transmis``, indexed by report id."""
    table = schema.status_history
    query = (sa.select(table.c.report_id, sa.func.max(table.c.changed_at))
             .where(table.c.to_status == "transmis").group_by(table.c.report_id))
    parts = []
    with store.engine.connect() as conn:
        if report_ids is None:
            parts.append(fetch_frame(conn, query, ["id", "t"]))
        else:
            ids = list(report_ids)
            for start in range(0, len(ids), 500):
                parts.append(fetch_frame(conn, query.where(table.c.report_id.in_(ids[start:start + 500])),
                                         ["id", "t"]))
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["id", "t"])
    return pd.Series(pd.to_datetime(found["t"].astype("int64"), unit="s", utc=True).to_numpy(),
                     index=pd.Index(found["id"], dtype=object), name="relayed_at")


def _targets(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(partners_table.c.id, partners_table.c.target_days)
                            .where(partners_table.c.target_days.is_not(None))).all()
    return {pid: int(days) for pid, days in rows}


def _conditions(query: ReportQuery, now: pd.Timestamp) -> list[sa.ColumnElement[bool]]:
    """Return the SQL conditions of ``query`` (all but the ageing bands and lateness, computed afterwards)."""
    table = schema.reports
    conditions = []
    if query.text.strip():
        pattern = f"%{query.text.strip().lower()}%"
        conditions.append(sa.or_(sa.func.lower(table.c.id).like(pattern),
                                 sa.func.lower(sa.func.coalesce(table.c.source_id, "")).like(pattern),
                                 sa.func.lower(sa.func.coalesce(table.c.description, "")).like(pattern)))
    for column, values in ((table.c.category, query.categories), (table.c.status, query.statuses)):
        if values:
            conditions.append(column.in_(list(values)))
    for column, values in ((table.c.neighbourhood, query.neighbourhoods), (table.c.partner, query.partners)):
        if values:
            named = [v for v in values if v]
            either = [column.in_(named)] if named else []
            if "" in values:
                either.append(column.is_(None))
            conditions.append(sa.or_(*either))
    if query.start is not None:
        conditions.append(table.c.observed_at >= int(pd.Timestamp(query.start).timestamp()))
    if query.end is not None:
        conditions.append(table.c.observed_at < int(pd.Timestamp(query.end).timestamp()))
    if query.max_age_days is not None:
        conditions.append(table.c.observed_at >= int(now.timestamp() - query.max_age_days * 86_400))
    if query.min_age_days is not None:
        conditions.append(table.c.observed_at <= int(now.timestamp() - query.min_age_days * 86_400))
    return conditions


def count_reports(store: Store, query: ReportQuery | None = None, *, now: pd.Timestamp | None = None) -> int:
    """Return how many reports :func:`list_reports` would return without a limit (one SQL count when it can)."""
    query = query or ReportQuery()
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    if query.bands or query.overdue:
        return len(list_reports(store, query, now=now))
    select = sa.select(sa.func.count()).select_from(schema.reports)
    conditions = _conditions(query, now)
    if conditions:
        select = select.where(*conditions)
    with store.engine.connect() as conn:
        return int(conn.execute(select).scalar())


def list_reports(store: Store, query: ReportQuery | None = None, *, now: pd.Timestamp | None = None,
                 timezone: str = "Europe/Paris", limit: int | None = None) -> pd.DataFrame:
    """Return the reports matching ``query``, newest first, with their age, ageing band and lateness.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LIST_COLUMNS`: ``observed_at`` and ``relayed_at`` tz-aware in ``timezone``, ``age_days``
        (float, since observation), ``ageing`` (band code), ``overdue`` (bool).
    """
    query = query or ReportQuery()
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    table = schema.reports
    select = sa.select(table.c.id, table.c.source_id, table.c.observed_at, table.c.category, table.c.neighbourhood,
                       table.c.status, table.c.partner, table.c.duplicate_of)
    conditions = _conditions(query, now)
    if conditions:
        select = select.where(*conditions)
    select = select.order_by(table.c.observed_at.desc(), table.c.id)
    if limit is not None and not query.bands and not query.overdue:  # else bands and lateness decide first
        select = select.limit(limit)
    with store.engine.connect() as conn:
        frame = fetch_frame(conn, select, ["id", "source_id", "observed_at", "category", "neighbourhood", "status",
                                           "partner", "duplicate_of"])
    observed = pd.to_datetime(pd.to_numeric(frame["observed_at"]).astype("int64"), unit="s", utc=True)
    age_hours = (now - observed).dt.total_seconds() / 3600.0
    frame["observed_at"] = observed.dt.tz_convert(timezone)
    frame["age_days"] = age_hours / 24.0
    frame["ageing"] = ageing_band(age_hours, frame["status"])
    relayed = relay_times(store, frame["id"].tolist()) if len(frame) < 5_000 else relay_times(store)
    frame["relayed_at"] = frame["id"].map(relayed).dt.tz_convert(timezone) if len(relayed) else pd.NaT
    frame["relayed_at"] = pd.to_datetime(frame["relayed_at"], utc=True).dt.tz_convert(timezone)
    target = frame["partner"].map(_targets(store)).astype("float64")
    waited = (now - frame["relayed_at"].dt.tz_convert("UTC")).dt.total_seconds() / 86_400.0
    frame["overdue"] = (frame["status"].isin(["transmis", "pris_en_charge"]) & (waited > target)).fillna(False)
    frame["overdue"] = frame["overdue"].astype(bool)
    if query.bands:
        frame = frame[frame["ageing"].isin(list(query.bands))]
    if query.overdue:
        frame = frame[frame["overdue"]]
    frame = frame[list(LIST_COLUMNS)].reset_index(drop=True)
    return frame.head(limit) if limit is not None else frame
