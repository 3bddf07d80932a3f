"""Tables of accounts, sessions, login attempts and the audit log (who changed what), with their migration."""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["users", "sessions", "login_attempts", "audit_log", "migrate"]

users = sa.Table(
    "users", METADATA,
    sa.Column("login", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.Text),  # argon2id; NULL for accounts that sign in through OpenID Connect
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("partner_id", sa.String(64)),
    sa.Column("display_name", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.String(64)),
)

sessions = sa.Table(
    "sessions", METADATA,
    # the SHA-256 of the session token: the token itself is only ever in the user's session
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("login", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("last_seen", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)

login_attempts = sa.Table(
    "login_attempts", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("login", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
)

audit_log = sa.Table(
    "audit_log", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("login", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("detail", sa.Text),
)


def migrate(conn: sa.Connection) -> None:
    """Create the account tables when missing (idempotent)."""
    for table in (users, sessions, login_attempts, audit_log):
        table.create(conn, checkfirst=True)
