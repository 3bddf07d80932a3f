"""PostGIS geometries of a PostgreSQL store: generated point and polygon columns under GiST indexes."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import StoreError
from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import import_file
from geo.store import postgis_schema, schema
from geo.store.backup import backup_store, restore_store
from geo.store.database import Store
from geo.store.snapshot import snapshot_columns
from tests.conftest import FIXTURES, NORTH_POINT, OUTSIDE_POINT

NOW = pd.Timestamp("2026-03-10 12:00", tz="Europe/Paris")


@pytest.fixture
def postgis_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostGIS geometries exist on PostgreSQL only (see the SQLite test above)")


def _gist_indexes(store: Store) -> dict[str, str]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND indexdef ILIKE %s", ("%USING gist (geom)%",)).all()
    return dict(rows)


def _geometry_mismatches(store: Store) -> tuple[int, int]:
    """Return (reports, reports whose geometry is not exactly their lon/lat in EPSG:4326)."""
    with store.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(
            "SELECT count(*), count(*) FILTER (WHERE geom IS NULL OR ST_X(geom) <> lon OR ST_Y(geom) <> lat "
            "OR ST_SRID(geom) <> 4326 OR GeometryType(geom) <> 'POINT') FROM reports").one())


def _field_report(store: Store, taxonomy, lat: float, lon: float) -> str:
    entry = FieldEntry(lat=lat, lon=lon, category="tags", observed_at=NOW - pd.Timedelta(hours=2),
                       description="saisie terrain")
    result = record_report(store, entry, taxonomy=taxonomy, now=NOW)
    assert not result.errors
    return result.report_id


def test_sqlite_store_has_no_geometry_and_the_migration_is_a_no_op(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'v.sqlite'}")
    with store.engine.begin() as conn:
        postgis_schema.migrate(conn)
        assert not postgis_schema.has_geometries(conn)
        assert "geom" not in {c["name"] for c in sa.inspect(conn).get_columns("reports")}
    assert store.schema_version() == schema.SCHEMA_VERSION


def test_points_and_polygons_have_gist_indexed_geometries(tmp_store, taxonomy, backend, postgis_only):
    indexes = _gist_indexes(tmp_store)
    assert set(indexes) == {"reports", "neighbourhoods"}
    assert postgis_schema.REPORT_GEOMETRY_INDEX in indexes["reports"]
    with tmp_store.engine.connect() as conn:
        assert postgis_schema.has_geometries(conn)
        kinds = dict(conn.exec_driver_sql(
            "SELECT f_table_name, type FROM geometry_columns WHERE f_geometry_column = 'geom' AND srid = 4326").all())
        assert kinds == {"reports": "POINT", "neighbourhoods": "GEOMETRY"}
        # the polygons are the stored WKB, unchanged
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM neighbourhoods WHERE ST_AsBinary(geom) <> geometry_wkb OR geom IS NULL"
        ).scalar() == 0

    summary = import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    assert summary.stored > 0
    field_id = _field_report(tmp_store, taxonomy, *NORTH_POINT)
    _field_report(tmp_store, taxonomy, *OUTSIDE_POINT)
    total, wrong = _geometry_mismatches(tmp_store)
    assert total == summary.stored + 2 and wrong == 0
    with tmp_store.engine.connect() as conn:
        # the index answers a spatial query, and the field report's point is where it was entered
        inside = conn.exec_driver_sql(
            "SELECT r.id FROM reports r JOIN neighbourhoods n ON ST_Contains(n.geom, r.geom) WHERE n.code = 'nord'"
        ).scalars().all()
    assert field_id in inside
    assert "geom" not in snapshot_columns(tmp_store)  # the columnar snapshot holds lon/lat, not the point again


def test_an_older_store_gains_the_geometries_by_migration(tmp_store, taxonomy, backend, postgis_only):
    import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    with tmp_store.engine.begin() as conn:
        for table in ("reports", "neighbourhoods"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN geom")
        # the store as it was before the PostGIS step (and every step after it)
        tmp_store._set_meta(conn, "schema_version", str(schema.MIGRATIONS.index(postgis_schema.migrate)))
        assert not postgis_schema.has_geometries(conn)
    store = Store(tmp_store.url)
    assert store.schema_version() == schema.SCHEMA_VERSION
    assert set(_gist_indexes(store)) == {"reports", "neighbourhoods"}
    total, wrong = _geometry_mismatches(store)
    assert total > 0 and wrong == 0
    with store.engine.begin() as conn:  # idempotent
        postgis_schema.migrate(conn)
        postgis_schema.migrate(conn)
    assert set(_gist_indexes(store)) == {"reports", "neighbourhoods"}


def test_a_database_without_postgis_that_cannot_install_it_gets_a_clear_error(backend, request, postgis_only):
    import psycopg

    server = request.getfixturevalue("postgres_server")
    url = server.create_database("sans_postgis", postgis=False)
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=sans_postgis",
                         autocommit=True) as conn:
        conn.execute("CREATE ROLE veille_app LOGIN")
        conn.execute("GRANT ALL ON SCHEMA public TO veille_app")
    with pytest.raises(StoreError, match=r"PostGIS n'est pas installée .*CREATE EXTENSION postgis"):
        Store(url.replace("postgres@", "veille_app@"))
    # nothing half-made: the store was created in one transaction, rolled back
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=sans_postgis") as conn:
        assert conn.execute("SELECT to_regclass('public.reports')").fetchone()[0] is None
    # the owner can install it: the same database then becomes a store
    assert Store(url).schema_version() == schema.SCHEMA_VERSION


def test_backup_and_restore_keep_the_geometries(tmp_store, taxonomy, tmp_path, backend, postgis_only):
    import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    _field_report(tmp_store, taxonomy, *NORTH_POINT)
    before = tmp_store.read_reports(columns=["id", "lat", "lon", "neighbourhood"]).sort_values("id")
    backup = tmp_path / "s.bak"
    backup_store(tmp_store, backup)
    _field_report(tmp_store, taxonomy, *OUTSIDE_POINT)
    restored = restore_store(tmp_store, backup)
    store = Store(tmp_store.url)
    assert restored.reports == len(before)
    after = store.read_reports(columns=["id", "lat", "lon", "neighbourhood"]).sort_values("id")
    pd.testing.assert_frame_equal(after.reset_index(drop=True), before.reset_index(drop=True))
    assert set(_gist_indexes(store)) == {"reports", "neighbourhoods"}
    total, wrong = _geometry_mismatches(store)
    assert total == len(before) and wrong == 0
    _field_report(store, taxonomy, *OUTSIDE_POINT)  # and the restored store takes new reports with their point
    assert _geometry_mismatches(store) == (len(before) + 1, 0)
