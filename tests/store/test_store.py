"""The report store: schema, transactions, batches, reports and territory round-trips."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import StoreError
from geo.store import schema
from geo.store.database import READ_COLUMNS, REPORT_FIELDS, Store
from tests.conftest import make_territory


def report(rid: str, *, observed_at: int = 1_772_460_000, neighbourhood: str | None = "nord", batch_id=None,
           category: str = "tags") -> tuple:
    values = {"id": rid, "batch_id": batch_id, "source_id": None, "observed_at": observed_at, "lat": 47.34,
              "lon": 5.04, "category": category, "category_label": category, "registre": "veille_technique",
              "severity": 1, "status": "nouveau", "description": "texte libre", "team": None, "author": None,
              "neighbourhood": neighbourhood, "flags": None, "raw": "{}", "created_at": 0, "updated_at": 0,
              "row_number": None}
    return tuple(values[f] for f in REPORT_FIELDS)


def test_new_store_is_at_the_current_schema_version(db_url):
    store = Store(db_url)
    assert store.schema_version() == schema.SCHEMA_VERSION
    assert store.data_version() == 0
    assert store.count_reports() == 0
    assert Store(db_url).schema_version() == schema.SCHEMA_VERSION  # reopening migrates nothing


def test_store_folder_is_created(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a' / 'b' / 'veille.sqlite'}")
    assert (tmp_path / "a" / "b" / "veille.sqlite").exists()
    assert store.count_reports() == 0


def test_a_store_newer_than_the_code_is_refused(db_url):
    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="99"))
    with pytest.raises(StoreError, match="schema version 99, newer"):
        Store(db_url)


def test_an_older_store_is_migrated(db_url, monkeypatch):
    store = Store(db_url)
    steps = []
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, lambda conn: steps.append("v2")])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    latest = len(schema.MIGRATIONS)
    assert Store(db_url).schema_version() == latest
    assert steps == ["v2"]
    assert store.schema_version() == latest
    Store(db_url)
    assert steps == ["v2"]  # applied once


def test_a_version_1_store_gets_row_numbers_and_kept_files(db_url):
    """The real v1 -> v2 migration, on a store laid out as version 1 was."""
    store = Store(db_url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE source_files")
        conn.exec_driver_sql("ALTER TABLE reports DROP COLUMN row_number")
        conn.exec_driver_sql("CREATE INDEX ix_reports_neighbourhood ON reports (neighbourhood)")
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="1"))
    migrated = Store(db_url)
    assert migrated.schema_version() == schema.SCHEMA_VERSION
    inspector = sa.inspect(migrated.engine)
    assert "row_number" in {c["name"] for c in inspector.get_columns("reports")}
    assert inspector.has_table("source_files")
    assert "ix_reports_neighbourhood" not in {i["name"] for i in inspector.get_indexes("reports")}


def test_transaction_commits_and_bumps_data_version(tmp_store):
    version = tmp_store.data_version()
    with tmp_store.transaction() as conn:
        assert tmp_store.insert_reports(conn, [report("a"), report("b")]) == 2
    assert tmp_store.count_reports() == 2
    assert tmp_store.data_version() == version + 1


def test_transaction_rolls_back_everything_on_error(tmp_store):
    version = tmp_store.data_version()
    with pytest.raises(RuntimeError, match="boom"), tmp_store.transaction() as conn:
        batch_id = tmp_store.begin_batch(conn, source_name="x.csv", content_hash="h", source_format="csv")
        tmp_store.insert_reports(conn, [report("a", batch_id=batch_id)])
        tmp_store.insert_quarantine(conn, [{"batch_id": batch_id, "row_number": 2, "raw": "{}", "reasons": "[]"}])
        raise RuntimeError("boom")
    assert tmp_store.count_reports() == 0
    assert tmp_store.list_batches().empty
    assert tmp_store.read_quarantine().empty
    assert tmp_store.data_version() == version


def test_insert_reports_skips_ids_already_stored(tmp_store):
    with tmp_store.transaction() as conn:
        assert tmp_store.insert_reports(conn, [report("a"), report("a"), report("b")]) == 2
    with tmp_store.transaction() as conn:
        assert tmp_store.insert_reports(conn, [report("b", category="voirie"), report("c")]) == 1
        assert tmp_store.insert_reports(conn, []) == 0
    assert tmp_store.count_reports() == 3
    assert tmp_store.get_report("b")["category"] == "tags"  # the first one is kept


def test_batches_and_their_counts(tmp_store):
    with tmp_store.transaction() as conn:
        first = tmp_store.begin_batch(conn, source_name="a.csv", content_hash="h1", source_format="csv",
                                      options={"sep": ";"}, imported_by="coord")
        tmp_store.finish_batch(conn, first, {"read": 5, "stored": 3, "duplicates": 1, "quarantined": 1,
                                             "outside_territory": 2, "ignored": 9})
        second = tmp_store.begin_batch(conn, source_name="b.csv", content_hash="h1", source_format="csv")
    batches = tmp_store.list_batches()
    assert list(batches["id"]) == [second, first]
    row = batches.set_index("id").loc[first]
    assert (row["read"], row["stored"], row["duplicates"], row["quarantined"], row["outside_territory"]) == (
        5, 3, 1, 1, 2)
    assert json.loads(row["options"]) == {"sep": ";"}
    assert tmp_store.find_batches(content_hash="h1") == [first, second]
    assert tmp_store.find_batches(content_hash="other") == []


def test_quarantine_round_trip(tmp_store):
    with tmp_store.transaction() as conn:
        batch_id = tmp_store.begin_batch(conn, source_name="a.csv", content_hash="h", source_format="csv")
        other = tmp_store.begin_batch(conn, source_name="b.csv", content_hash="h2", source_format="csv")
        tmp_store.insert_quarantine(conn, [
            {"batch_id": batch_id, "row_number": 7, "raw": json.dumps({"lat": "abc"}),
             "reasons": json.dumps([{"row": 7, "column": "lat", "value": "abc", "reason": "latitude non numérique"}])},
            {"batch_id": other, "row_number": 2, "raw": "{}", "reasons": "[]"},
        ])
    table = tmp_store.read_quarantine(batch_id=batch_id)
    assert len(table) == 1
    assert table.iloc[0]["raw"] == {"lat": "abc"}
    assert table.iloc[0]["reasons"][0]["reason"] == "latitude non numérique"
    assert len(tmp_store.read_quarantine()) == 2


def test_read_reports_columns_and_interval(tmp_store):
    march_2 = int(pd.Timestamp("2026-03-02T10:00", tz="Europe/Paris").timestamp())
    march_3 = int(pd.Timestamp("2026-03-03T00:30", tz="Europe/Paris").timestamp())
    with tmp_store.transaction() as conn:
        tmp_store.insert_reports(conn, [report("a", observed_at=march_2), report("b", observed_at=march_3)])
    frame = tmp_store.read_reports()
    assert list(frame.columns) == list(READ_COLUMNS)
    assert "description" not in frame and "raw" not in frame  # free text only when asked for
    assert str(frame["observed_at"].dt.tz) == "Europe/Paris"
    start = pd.Timestamp("2026-03-03", tz="Europe/Paris")
    assert list(tmp_store.read_reports(start=start)["id"]) == ["b"]
    assert list(tmp_store.read_reports(end=start)["id"]) == ["a"]
    assert tmp_store.read_reports(columns=["id", "description"])["description"].tolist() == ["texte libre"] * 2
    with pytest.raises(ValueError, match="unknown report columns \\['secret'\\]"):
        tmp_store.read_reports(columns=["id", "secret"])


def test_read_reports_of_an_empty_store(empty_store):
    frame = empty_store.read_reports()
    assert frame.empty and list(frame.columns) == list(READ_COLUMNS)


def test_get_report(tmp_store):
    with tmp_store.transaction() as conn:
        tmp_store.insert_reports(conn, [report("a")])
    assert tmp_store.get_report("a")["raw"] == "{}"
    assert tmp_store.get_report("absent") is None


def test_territory_round_trip(empty_store):
    assert empty_store.load_territory().empty
    territory = make_territory()
    with empty_store.transaction() as conn:
        empty_store.replace_territory(conn, territory, source_name="quartiers.geojson")
    loaded = empty_store.load_territory()
    assert list(loaded["code"]) == ["nord", "sud"]
    assert list(loaded["population"]) == [2000, 500]
    assert list(loaded["priority"]) == [False, True]
    assert loaded.crs == "EPSG:4326"
    assert loaded.geometry.equals(territory.geometry)
    with empty_store.transaction() as conn:  # replacing, not adding
        empty_store.replace_territory(conn, territory.iloc[:1], source_name="un.geojson")
    assert list(empty_store.load_territory()["code"]) == ["nord"]


def test_set_neighbourhoods(tmp_store):
    with tmp_store.transaction() as conn:
        tmp_store.insert_reports(conn, [report("a"), report("b"), report("c", neighbourhood=None)])
    with tmp_store.transaction() as conn:
        tmp_store.set_neighbourhoods(conn, pd.DataFrame({"id": ["a", "c"], "neighbourhood": [None, "sud"]}))
        positions = tmp_store.read_positions(conn).set_index("id").loc[["a", "b", "c"]]
    assert positions["neighbourhood"].isna().tolist() == [True, False, False]
    assert positions.loc["c", "neighbourhood"] == "sud"


def test_foreign_keys_are_enforced(tmp_store):
    with pytest.raises(sa.exc.IntegrityError), tmp_store.transaction() as conn:
        tmp_store.insert_reports(conn, [report("a", batch_id=999)])
    assert tmp_store.count_reports() == 0


def test_constant_fields_are_written_into_the_statement(tmp_store):
    fields = [f for f in REPORT_FIELDS if f not in ("batch_id", "raw", "created_at")]
    full = dict(zip(REPORT_FIELDS, report("a"), strict=True))
    with tmp_store.transaction() as conn:
        batch_id = tmp_store.begin_batch(conn, source_name="x", content_hash="h", source_format="csv")
        stored = tmp_store.insert_reports(conn, [tuple(full[f] for f in fields)],
                                          constants={"batch_id": batch_id, "raw": None, "created_at": 123})
    assert stored == 1
    got = tmp_store.get_report("a")
    assert (got["batch_id"], got["raw"], got["created_at"]) == (batch_id, None, 123)
    with pytest.raises(ValueError, match="constants"), tmp_store.transaction() as conn:
        tmp_store.insert_reports(conn, [("b",)], constants={"raw": "'; DROP TABLE reports; --"})


def test_sqlite_page_cache_is_small_for_readers_and_large_only_in_a_bulk_load(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'cache.sqlite'}")
    staging = tmp_path / "stage.sqlite"
    sqlite3.connect(staging).close()

    def cache(conn) -> int:
        return conn.exec_driver_sql("PRAGMA cache_size").scalar()

    with store.engine.connect() as conn:
        reader = cache(conn)
    with store.transaction(attach=[staging]) as conn:
        bulk = cache(conn)
    with store.engine.connect() as conn:  # the pool hands the same connection back: a reader's cache again
        after = cache(conn)
    # negative sizes are KiB: 16 MiB for every reader (a scan of millions of rows filled 128 MiB per pooled
    # connection), 128 MiB for an import's load transaction
    assert (reader, bulk, after) == (-16 * 1024, -128 * 1024, -16 * 1024)
