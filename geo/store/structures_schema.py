"""The register of structures (Pimms, mediation services) sharing one database, with its migration.

A store always has one structure: the *default* one (id 1), whose tables are the database's own (the default
schema, or the SQLite file). On PostgreSQL, each further structure keeps the very same tables in a schema of its
own (:mod:`geo.store.structures`); this register, in the default schema only, lists them all.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from geo.store.metadata import METADATA

__all__ = ["structures", "DEFAULT_ID", "DEFAULT_CODE", "DEFAULT_NAME", "migrate"]

DEFAULT_ID = 1
DEFAULT_CODE = "principale"
DEFAULT_NAME = "Pimms Médiation Dijon"

structures = sa.Table(
    "structures", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    # the database schema holding the structure's tables; NULL for the default structure (the default schema)
    sa.Column("schema_name", sa.String(63)),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)


def migrate(conn: sa.Connection) -> None:
    """Create the register when missing and record the default structure in it (idempotent).

    Every row already stored belongs to the default structure: its tables are the ones it was stored in.
    In a structure's own schema the register is created (it is declared on the shared metadata) but stays
    empty: only the default schema's register counts.
    """
    structures.create(conn, checkfirst=True)
    if (conn.get_execution_options().get("schema_translate_map") or {}).get(None):
        return
    if conn.execute(sa.select(structures.c.id).where(structures.c.id == DEFAULT_ID)).first() is None:
        conn.execute(structures.insert().values(id=DEFAULT_ID, code=DEFAULT_CODE, name=DEFAULT_NAME,
                                                schema_name=None, created_at=int(time.time())))
