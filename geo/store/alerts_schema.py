"""Tables of the alerts capability: alerts with their evidence and history, partner subscriptions, digests sent.

Declared on :data:`geo.store.metadata.METADATA`; :func:`migrate` creates them in an older store (idempotent).
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["alerts", "alert_history", "alert_subscriptions", "digests", "migrate"]

# One row per alert. ``series_key`` identifies the series (or rule) it belongs to: at most one alert per series
# is open (status other than ``close``) at a time.
alerts = sa.Table(
    "alerts", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("series_key", sa.String(200), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),  # statistique | severite | proximite
    sa.Column("neighbourhood", sa.String(64)),
    sa.Column("category", sa.String(64)),
    sa.Column("week", sa.String(10), nullable=False),  # ISO date of the Monday (local time)
    sa.Column("observed", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("partner", sa.String(64)),
    sa.Column("report_ids", sa.Text, nullable=False),  # JSON list
    sa.Column("evidence", sa.Text),  # JSON: alpha, dispersion, baseline, rule parameters…
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

alert_history = sa.Table(
    "alert_history", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), index=True, nullable=False),
    sa.Column("changed_at", sa.BigInteger, nullable=False),
    sa.Column("changed_by", sa.Text),
    sa.Column("from_status", sa.String(16)),
    sa.Column("to_status", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
)

# How a partner wants its alerts: at once, or in a weekly digest on a given weekday; and its threshold rules.
alert_subscriptions = sa.Table(
    "alert_subscriptions", METADATA,
    sa.Column("partner", sa.String(64), primary_key=True),
    sa.Column("mode", sa.String(16), nullable=False),  # immediate | weekly
    sa.Column("weekday", sa.SmallInteger, nullable=False, default=0),  # 0 = Monday
    sa.Column("severity3", sa.Boolean, nullable=False, default=True),
    sa.Column("cluster_n", sa.Integer),
    sa.Column("cluster_distance_m", sa.Float),
    sa.Column("cluster_hours", sa.Float),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)

# Every digest attempt: what was due, whether it went out. A successful row makes the same digest not due again.
digests = sa.Table(
    "digests", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("partner", sa.String(64), nullable=False, index=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("period", sa.String(32), nullable=False),  # weekly: ISO Monday; immediate: first alert id
    sa.Column("alert_ids", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # envoye | echec
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)


def migrate(conn: sa.Connection) -> None:
    """Create the alerts tables where missing (idempotent)."""
    for table in (alerts, alert_history, alert_subscriptions, digests):
        table.create(conn, checkfirst=True)
