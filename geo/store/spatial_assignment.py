"""Assign staged reports to neighbourhoods in PostGIS, as :func:`geo.ingest.territory.assign_neighbourhoods` does.

A large batch bound for a PostGIS store can skip the assignment in Python: its rows are copied into a temporary
table (:meth:`geo.store.database.Store.load_staged`) and one ``UPDATE`` gives each row without a neighbourhood
the first neighbourhood, in the order the territory is read (by code), whose polygon intersects its point
(``ST_Intersects``: a point on a border belongs to both sides, and goes to the first); a point in none stays
without one, outside the territory. The polygons are ``neighbourhoods.geom`` under their GiST index
(:mod:`geo.store.postgis_schema`).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

__all__ = ["assign_staged"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def assign_staged(conn: sa.Connection, table: str) -> int:
    """Set ``neighbourhood`` where it is empty in ``table`` (with ``lon`` and ``lat``); return how many got one.

    Parameters
    ----------
    table
        A table of this connection, such as a staged chunk copied by ``COPY``.
    """
    if conn.dialect.name != "postgresql":
        raise ValueError(f"expected a PostgreSQL connection for a PostGIS assignment; found {conn.dialect.name}")
    if not _NAME.match(table):
        raise ValueError(f"expected a plain table name; found {table!r}")
    # PostGIS's function costs make the planner compile this statement (JIT): a third of a second per chunk
    jit = conn.exec_driver_sql("SELECT current_setting('jit')").scalar()
    conn.exec_driver_sql("SELECT set_config('jit', 'off', true)")  # for this transaction, restored below
    # min(code) is the first neighbourhood in the order of ``ORDER BY code`` (Store.load_territory's)
    assigned = int(conn.exec_driver_sql(
        f"UPDATE {table} AS s SET neighbourhood = hit.code FROM ("
        f" SELECT p.ctid AS row_id, min(n.code) AS code FROM {table} AS p JOIN neighbourhoods AS n"
        "  ON ST_Intersects(n.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))"
        "  WHERE p.neighbourhood IS NULL GROUP BY p.ctid"
        ") AS hit WHERE s.ctid = hit.row_id"
    ).rowcount)
    conn.exec_driver_sql("SELECT set_config('jit', %s, true)", (jit,))
    return assigned
