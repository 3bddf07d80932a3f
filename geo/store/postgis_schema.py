"""PostGIS geometries of a PostgreSQL store: report points and neighbourhood polygons, each under a GiST index.

On PostgreSQL, ``reports.geom`` is a ``geometry(Point, 4326)`` and ``neighbourhoods.geom`` a
``geometry(Geometry, 4326)``, both *generated* columns (``GENERATED ALWAYS AS … STORED``): the database computes
them from ``lon``/``lat`` and ``geometry_wkb`` on every insert or update, so no writer (import, field entry,
territory, restore) has to know of them and they can never disagree with the columns they come from. They are not
declared on :data:`geo.store.metadata.METADATA` (SQLite has no geometry type): :func:`migrate` adds them, both as
a step of :data:`geo.store.schema.MIGRATIONS` for an existing store and after ``METADATA.create_all`` for a new
one (a new store skips the migrations). On SQLite it does nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import base as postgresql_base

from geo.errors import StoreError
from geo.store.metadata import METADATA

__all__ = ["Geometry", "migrate", "ensure_postgis", "has_geometries", "REPORT_GEOMETRY_INDEX",
           "NEIGHBOURHOOD_GEOMETRY_INDEX"]

REPORT_GEOMETRY_INDEX = "ix_reports_geom"
NEIGHBOURHOOD_GEOMETRY_INDEX = "ix_neighbourhoods_geom"

# table -> (column definition, index name)
_GEOMETRIES = {
    "reports": ("geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED",
                REPORT_GEOMETRY_INDEX),
    "neighbourhoods": ("geometry(Geometry, 4326) GENERATED ALWAYS AS "
                       "(ST_SetSRID(ST_GeomFromWKB(geometry_wkb), 4326)) STORED", NEIGHBOURHOOD_GEOMETRY_INDEX),
}


class Geometry(sa.types.UserDefinedType):
    """PostGIS's ``geometry`` as SQLAlchemy's inspector reports it (read as WKB hex text, never written)."""

    cache_ok = True

    def __init__(self, *_typmod: object) -> None:  # the inspector passes the type modifiers (Point, 4326)
        super().__init__()

    def get_col_spec(self, **_kw: object) -> str:
        """Return the type's name in DDL."""
        return "geometry"


# the inspector names the type of ``geom`` instead of warning that it does not know it
postgresql_base.ischema_names.setdefault("geometry", Geometry)


def ensure_postgis(conn: sa.Connection) -> None:
    """Make sure the PostGIS extension is installed in ``conn``'s database, installing it if allowed.

    Raises
    ------
    StoreError
        When PostGIS is not installed and cannot be (not available on the server, or no right to install it).
    """
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").first() is not None:
        return
    database = conn.exec_driver_sql("SELECT current_database()").scalar()
    available = conn.exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").first()
    if available is None:
        raise StoreError(
            f"l'extension PostGIS n'est pas disponible sur le serveur PostgreSQL de la base {database!r} : "
            "installez-la (paquet Debian postgresql-NN-postgis-3) puis relancez"
        )
    try:
        with conn.begin_nested():  # a refusal must not abort the whole transaction
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    except sa.exc.DBAPIError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StoreError(
            f"l'extension PostGIS n'est pas installée dans la base {database!r} et ce compte ne peut pas "
            f"l'installer ({reason}) : demandez à l'administrateur d'exécuter « CREATE EXTENSION postgis; » "
            "dans cette base, puis relancez"
        ) from None


def _columns(conn: sa.Connection, table: str) -> set[str]:
    rows = conn.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %(table)s", {"table": table})
    return {row[0] for row in rows}


def migrate(conn: sa.Connection) -> None:
    """Add the geometry columns and their GiST indexes on PostgreSQL (idempotent); nothing on other databases."""
    if conn.dialect.name != "postgresql":
        return
    ensure_postgis(conn)
    for table, (definition, index) in _GEOMETRIES.items():
        columns = _columns(conn, table)
        if not columns:  # not created (yet)
            continue
        if "geom" not in columns:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN geom {definition}")
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {index} ON {table} USING gist (geom)")


def has_geometries(conn: sa.Connection) -> bool:
    """Tell whether ``conn``'s store has the PostGIS geometry columns (PostgreSQL, migrated)."""
    return conn.dialect.name == "postgresql" and {"geom"} <= _columns(conn, "neighbourhoods") \
        and {"geom"} <= _columns(conn, "reports")


def _after_create_all(target: sa.MetaData, connection: sa.Connection, **_kw: object) -> None:
    migrate(connection)


# A new store is made by ``METADATA.create_all`` and skips the migrations: add the geometries then too.
sa.event.listen(METADATA, "after_create", _after_create_all)
