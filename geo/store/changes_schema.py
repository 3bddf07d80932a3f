"""The change log of an SQLite store's reports: which reports were updated or deleted, in order (triggers).

An SQLite store's snapshot (:mod:`geo.store.snapshot_builder`) is brought up to date from the previous one when
few reports changed: rows appended since then have a larger ``rowid``, and rows updated or deleted since then
are named here. The log is written by triggers on ``reports``, so that no write path (field entry, status or
category change, quartier reassignment, partner routing, retention, an undone batch…) can forget it; appends need
no entry (the import's million-row inserts pay nothing for it).

``report_changes.seq`` only grows (``AUTOINCREMENT``); ``deleted`` is 1 for a report gone (or an id changed
away from). PostgreSQL stores rebuild their snapshot in full through a binary ``COPY`` and keep no such log:
:func:`migrate` does nothing there.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["CHANGES_TABLE", "HISTORY_KEY", "PRUNED_KEY", "KEPT_CHANGES", "migrate", "prune"]

CHANGES_TABLE = "report_changes"
HISTORY_KEY = "history"
"""Meta key naming the store's history: set anew by a restore, so that no snapshot of the content it replaced
is ever brought up to date with the restored content's log."""

PRUNED_KEY = "changes_pruned"
"""Meta key: the last ``seq`` removed from the log. A snapshot older than it is read again in full."""
KEPT_CHANGES = 100_000
"""Entries the log keeps when it is pruned (by each import, :meth:`geo.store.database.Store.transaction`)."""

_STATEMENTS = (
    f"CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "report_id TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0)",
    f"CREATE TRIGGER IF NOT EXISTS reports_changed AFTER UPDATE ON reports BEGIN "
    f"INSERT INTO {CHANGES_TABLE} (report_id, deleted) SELECT OLD.id, 1 WHERE OLD.id IS NOT NEW.id; "
    f"INSERT INTO {CHANGES_TABLE} (report_id, deleted) VALUES (NEW.id, 0); END",
    f"CREATE TRIGGER IF NOT EXISTS reports_removed AFTER DELETE ON reports BEGIN "
    f"INSERT INTO {CHANGES_TABLE} (report_id, deleted) VALUES (OLD.id, 1); END",
)


def migrate(conn: sa.Connection) -> None:
    """Create the change log and its triggers on SQLite (idempotent); nothing on other databases."""
    if conn.dialect.name != "sqlite":
        return
    if not sa.inspect(conn).has_table("reports"):
        return
    for statement in _STATEMENTS:
        conn.exec_driver_sql(statement)


def prune(conn: sa.Connection, *, keep: int = KEPT_CHANGES) -> int:
    """Remove all but the last ``keep`` entries of the log (SQLite, in ``conn``'s transaction); return how many.

    A snapshot older than the entries removed can no longer be brought up to date: the meta key
    :data:`PRUNED_KEY` tells the snapshot builder so.
    """
    if conn.dialect.name != "sqlite" or not sa.inspect(conn).has_table(CHANGES_TABLE):
        return 0
    last = conn.exec_driver_sql(f"SELECT coalesce(max(seq), 0) FROM {CHANGES_TABLE}").scalar()
    bound = int(last) - keep
    if bound <= 0:
        return 0
    removed = conn.exec_driver_sql(f"DELETE FROM {CHANGES_TABLE} WHERE seq <= ?", (bound,)).rowcount
    if removed:
        conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                             "value = excluded.value", (PRUNED_KEY, str(bound)))
    return int(removed)


def _after_create_all(target: sa.MetaData, connection: sa.Connection, **_kw: object) -> None:
    migrate(connection)


# A new store is made by ``METADATA.create_all`` and skips the migrations: add the log then too.
sa.event.listen(METADATA, "after_create", _after_create_all)
