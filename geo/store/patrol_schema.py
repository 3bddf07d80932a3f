"""Tables of saved patrol plans: the plan, its stops, and the reports a team entered on the round."""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["patrol_plans", "patrol_stops", "patrol_reports", "migrate", "PLAN_STATUSES"]

# ``planned`` when saved, ``done`` once the teams have walked it.
PLAN_STATUSES = ("planned", "done")

patrol_plans = sa.Table(
    "patrol_plans", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
    sa.Column("starts_at", sa.BigInteger, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("teams", sa.Integer, nullable=False),
    sa.Column("shift_minutes", sa.Float, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="planned"),
    sa.Column("done_at", sa.BigInteger),
    sa.Column("created_by", sa.Text),
    # the request, walking options and every candidate with its priority (JSON), to reopen and adjust
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("geojson", sa.Text, nullable=False),
)

patrol_stops = sa.Table(
    "patrol_stops", METADATA,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team", sa.Integer, primary_key=True),
    sa.Column("stop_order", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("arrival", sa.BigInteger, nullable=False),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("ref", sa.Text),
    sa.Column("neighbourhood", sa.String(64)),
)

patrol_reports = sa.Table(
    "patrol_reports", METADATA,
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("patrol_plans.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("report_id", sa.String(96), sa.ForeignKey("reports.id"), primary_key=True),
    sa.Column("linked_at", sa.BigInteger, nullable=False),
)


def migrate(conn: sa.Connection) -> None:
    """Create the patrol tables where missing (idempotent)."""
    for table in (patrol_plans, patrol_stops, patrol_reports):
        table.create(conn, checkfirst=True)
