"""Tables of the store and the migrations that bring an older store up to date."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["METADATA", "SCHEMA_VERSION", "MIGRATIONS", "meta", "batches", "neighbourhoods", "reports",
           "quarantine", "status_history", "source_files"]

meta = sa.Table(
    "meta", METADATA,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

batches = sa.Table(
    "batches", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("source_format", sa.String(32), nullable=False),
    sa.Column("imported_at", sa.BigInteger, nullable=False),
    sa.Column("imported_by", sa.Text),
    sa.Column("read", sa.Integer, nullable=False, default=0),
    sa.Column("stored", sa.Integer, nullable=False, default=0),
    sa.Column("duplicates", sa.Integer, nullable=False, default=0),
    sa.Column("quarantined", sa.Integer, nullable=False, default=0),
    sa.Column("outside_territory", sa.Integer, nullable=False, default=0),
    sa.Column("options", sa.Text),
    # an undone batch keeps its row, with who undid it, when, and what went with it (see _record_batch_removal)
    sa.Column("removed_at", sa.BigInteger),
    sa.Column("removed_by", sa.Text),
    sa.Column("removed_reports", sa.Integer),
    sa.Column("removed_quarantine", sa.Integer),
)

neighbourhoods = sa.Table(
    "neighbourhoods", METADATA,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("population", sa.Integer),
    sa.Column("priority", sa.Boolean, nullable=False, default=False),
    sa.Column("geometry_wkb", sa.LargeBinary, nullable=False),
    sa.Column("source_name", sa.Text),
)

reports = sa.Table(
    "reports", METADATA,
    sa.Column("id", sa.String(96), primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id")),
    sa.Column("source_id", sa.Text),
    sa.Column("observed_at", sa.BigInteger, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("category_label", sa.Text),
    sa.Column("registre", sa.String(64), nullable=False),
    sa.Column("severity", sa.SmallInteger, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("team", sa.Text),
    sa.Column("author", sa.Text),
    sa.Column("neighbourhood", sa.String(64)),
    sa.Column("flags", sa.Text),
    # the raw row: for file imports, ``row_number`` in the batch's kept file (see ``source_files``);
    # ``raw`` holds the row itself only where no file is kept (field form)
    sa.Column("raw", sa.Text),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("row_number", sa.Integer),
)

# Each imported file, kept whole (zlib-compressed parts), so that every report's raw row can be read back.
source_files = sa.Table(
    "source_files", METADATA,
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), primary_key=True),
    sa.Column("part", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

quarantine = sa.Table(
    "quarantine", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("batches.id"), index=True, nullable=False),
    sa.Column("row_number", sa.Integer, nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
)

status_history = sa.Table(
    "status_history", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report_id", sa.String(96), sa.ForeignKey("reports.id"), index=True, nullable=False),
    sa.Column("changed_at", sa.BigInteger, nullable=False),
    sa.Column("changed_by", sa.Text),
    sa.Column("from_status", sa.String(32)),
    sa.Column("to_status", sa.String(32), nullable=False),
    sa.Column("note", sa.Text),
)


def _create_v1(conn: sa.Connection) -> None:
    METADATA.create_all(conn)


def _keep_source_files(conn: sa.Connection) -> None:
    """v2: keep imported files and each report's row number in them; drop the secondary indexes.

    Every reader scans the reports (analyses load them whole, a million in well under a second), while
    each index made an import of a million rows several seconds slower.
    """
    columns = {c["name"] for c in sa.inspect(conn).get_columns("reports")}
    if "row_number" not in columns:
        conn.execute(sa.text("ALTER TABLE reports ADD COLUMN row_number INTEGER"))
    source_files.create(conn, checkfirst=True)
    for name in ("ix_reports_batch_id", "ix_reports_neighbourhood", "ix_reports_observed_at", "ix_reports_category"):
        conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))


_REMOVAL_COLUMNS = {"removed_at": "BIGINT", "removed_by": "TEXT", "removed_reports": "INTEGER",
                    "removed_quarantine": "INTEGER"}


def _record_batch_removal(conn: sa.Connection) -> None:
    """v3: a batch can be undone; its row records who undid it, when, and how many rows went with it."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("batches")}
    for name, kind in _REMOVAL_COLUMNS.items():
        if name not in columns:
            conn.execute(sa.text(f"ALTER TABLE batches ADD COLUMN {name} {kind}"))


# Capabilities declare their tables beside this module, on the same METADATA (they import the tables above).
from geo.store import (  # noqa: E402
    accounts_schema,
    alerts_schema,
    changes_schema,
    patrol_schema,
    postgis_schema,
    structures_schema,
    workflow_schema,
)

# Each entry brings a store from version ``index`` to ``index + 1``; append, never edit. Entries after the
# first must be idempotent: on a new store ``_create_v1`` has already created every declared table.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [_create_v1, _keep_source_files, workflow_schema.migrate,
                                                     _record_batch_removal, alerts_schema.migrate,
                                                     patrol_schema.migrate, accounts_schema.migrate,
                                                     postgis_schema.migrate, structures_schema.migrate,
                                                     changes_schema.migrate]
SCHEMA_VERSION = len(MIGRATIONS)
