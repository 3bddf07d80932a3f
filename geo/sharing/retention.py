"""Retention: reports older than a configured age lose their personal data.

Anonymising a report removes its free text (``description``), its author, its raw row and its photos;
its category, place, time and status stay for the statistics. An imported file is kept whole to read raw rows
back (``source_files``): it is deleted, with the raw rows of its quarantined lines, once every report of its
batch is past the limit (a file with some younger reports is kept and counted as such).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd
import sqlalchemy as sa

from geo.sharing.accounts import record_action
from geo.store import schema
from geo.store.database import Store
from geo.store.workflow_schema import photos

__all__ = ["RetentionPlan", "cutoff_for", "plan_retention", "apply_retention", "PERSONAL_COLUMNS"]

PERSONAL_COLUMNS = ("description", "author", "raw")
"""Report columns emptied by retention (plus every column whose name starts with ``photo``)."""


@dataclass(frozen=True)
class RetentionPlan:
    """What retention does (or would do) to the store.

    Attributes
    ----------
    cutoff
        Reports observed before this moment are anonymised.
    reports
        Reports older than ``cutoff`` that still hold personal data.
    files
        Imported files to delete (every report of their batch is older than ``cutoff``).
    files_kept
        Imported files kept because their batch also has younger reports.
    quarantine_rows
        Raw rows of quarantined lines to empty (those of the deleted files' batches).
    photos
        Photos of reports older than ``cutoff`` to delete.
    applied
        Whether the changes were made.
    """

    cutoff: str
    months: int
    reports: int
    files: int
    files_kept: int
    quarantine_rows: int
    photos: int
    applied: bool

    def summary(self) -> dict:
        """Return the plan as a JSON-able dict."""
        return asdict(self)


def cutoff_for(months: int, *, now: pd.Timestamp | None = None) -> pd.Timestamp:
    """Return the moment ``months`` months before ``now`` (UTC)."""
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    return now - pd.DateOffset(months=int(months))


def _personal_columns(conn: sa.Connection) -> list[str]:
    columns = [c["name"] for c in sa.inspect(conn).get_columns("reports")]
    return [c for c in columns if c in PERSONAL_COLUMNS or c.lower().startswith("photo")]


def _work(conn: sa.Connection, cutoff: int) -> tuple[sa.ColumnElement, list[int], int]:
    reports = schema.reports
    columns = _personal_columns(conn)
    holds = sa.or_(*[sa.column(c).isnot(None) for c in columns])
    old_with_data = sa.and_(reports.c.observed_at < cutoff, holds)
    batch_ages = (sa.select(reports.c.batch_id, sa.func.max(reports.c.observed_at).label("newest"))
                  .where(reports.c.batch_id.isnot(None)).group_by(reports.c.batch_id).subquery())
    with_files = sa.select(schema.source_files.c.batch_id).distinct()
    filed = set(conn.execute(with_files).scalars())
    ages = {b: n for b, n in conn.execute(sa.select(batch_ages.c.batch_id, batch_ages.c.newest))}
    drop = sorted(b for b in filed if b in ages and ages[b] < cutoff)
    kept = len([b for b in filed if b not in drop])
    return old_with_data, drop, kept


def plan_retention(store: Store, *, months: int, now: pd.Timestamp | None = None) -> RetentionPlan:
    """Return what :func:`apply_retention` would change, changing nothing."""
    cutoff = cutoff_for(months, now=now)
    stamp = int(cutoff.timestamp())
    with store.engine.connect() as conn:
        old_with_data, drop, kept = _work(conn, stamp)
        count = conn.execute(sa.select(sa.func.count()).select_from(schema.reports).where(old_with_data)).scalar()
        quarantined = conn.execute(sa.select(sa.func.count()).select_from(schema.quarantine)
                                   .where(schema.quarantine.c.batch_id.in_(drop), schema.quarantine.c.raw != "{}")
                                   ).scalar() if drop else 0
        old_photos = conn.execute(sa.select(sa.func.count()).select_from(photos).where(
            photos.c.report_id.in_(sa.select(schema.reports.c.id).where(schema.reports.c.observed_at < stamp)))
        ).scalar()
    return RetentionPlan(cutoff=cutoff.isoformat(), months=int(months), reports=int(count), files=len(drop),
                         files_kept=kept, quarantine_rows=int(quarantined), photos=int(old_photos), applied=False)


def apply_retention(store: Store, *, months: int, by: str, now: pd.Timestamp | None = None) -> RetentionPlan:
    """Anonymise reports older than ``months`` months, delete the files only they needed; return what was done."""
    plan = plan_retention(store, months=months, now=now)
    stamp = int(pd.Timestamp(plan.cutoff).timestamp())
    with store.transaction() as conn:
        old_with_data, drop, _ = _work(conn, stamp)
        columns = _personal_columns(conn)
        conn.execute(schema.reports.update().where(old_with_data)
                     .values({**{c: None for c in columns}, "updated_at": int(pd.Timestamp.now().timestamp())}))
        conn.execute(photos.delete().where(photos.c.report_id.in_(
            sa.select(schema.reports.c.id).where(schema.reports.c.observed_at < stamp))))
        if drop:
            conn.execute(schema.source_files.delete().where(schema.source_files.c.batch_id.in_(drop)))
            conn.execute(schema.quarantine.update().where(schema.quarantine.c.batch_id.in_(drop)).values(raw="{}"))
        record_action(store, by, "retention_applied",
                      f"{plan.reports} signalements anonymisés avant {plan.cutoff}, {plan.files} fichiers supprimés",
                      conn=conn)
    return RetentionPlan(**{**plan.summary(), "applied": True})
