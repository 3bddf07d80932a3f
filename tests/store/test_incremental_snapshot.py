"""An SQLite store's snapshot brought up to date from the previous one: the very table a full read gives.

Every check compares the snapshot built after a write (in the child, as the app builds it) with a full read
of the store made into another folder, and says which way the snapshot was built (its ``built`` mark).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from geo.ingest.territory import install_territory
from geo.store import changes_schema, schema
from geo.store.backup import backup_store, restore_store
from geo.store.database import Store
from geo.store.snapshot import _build_in_child, ensure_snapshot, snapshot_columns
from geo.store.snapshot_files import snapshot_marks
from geo.workflow.lifecycle import change_statuses
from geo.workflow.routing import change_category
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT, make_territory
from tests.store.test_snapshot import add


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'veille.sqlite'}")
    install_territory(store, make_territory(), source_name="test")
    return store


def rebuilt(store: Store, tmp_path: Path) -> tuple[str, bool]:
    """Return how the current snapshot was built and whether it equals a full read of the store."""
    path = ensure_snapshot(store)
    full = _build_in_child(store, tmp_path / f"full-{store.data_version()}", snapshot_columns(store))
    assert snapshot_marks(full)["built"] == "full"
    return snapshot_marks(path)["built"], pq.read_table(path).equals(pq.read_table(full))


def seeded(store: Store, taxonomy, n: int = 12) -> list[str]:
    points = [NORTH_POINT, SOUTH_POINT, OUTSIDE_POINT]
    ids = [add(store, taxonomy, points[i % 3], ["tags", "eclairage", "rodeo"][i % 3], hours_ago=i + 1)
           for i in range(n)]
    assert snapshot_marks(ensure_snapshot(store))["built"] == "full"  # the first snapshot reads every row
    return ids


def test_appended_reports_are_added_to_the_previous_snapshot(store, taxonomy, tmp_path):
    seeded(store, taxonomy)
    add(store, taxonomy, SOUTH_POINT, "eclairage", hours_ago=30)
    add(store, taxonomy, OUTSIDE_POINT, "rodeo", hours_ago=31)
    assert rebuilt(store, tmp_path) == ("incremental", True)


def test_every_kind_of_update_is_patched_in_place(store, taxonomy, tmp_path):
    ids = seeded(store, taxonomy)
    change_statuses(store, ids[:3], "resolu")
    assert rebuilt(store, tmp_path) == ("incremental", True)
    change_category(store, [ids[4]], "eclairage", taxonomy=taxonomy)
    add(store, taxonomy, NORTH_POINT, hours_ago=40)  # an append and updates together
    assert rebuilt(store, tmp_path) == ("incremental", True)
    with store.transaction() as conn:  # any other write path: the triggers see every UPDATE on reports
        conn.execute(sa.update(schema.reports).where(schema.reports.c.id == ids[5]).values(
            neighbourhood=None, partner="ville", severity=3))
    assert rebuilt(store, tmp_path) == ("incremental", True)


def test_a_deletion_a_restore_or_many_changes_mean_a_full_read(store, taxonomy, tmp_path):
    ids = seeded(store, taxonomy)
    with store.transaction() as conn:
        conn.execute(sa.delete(schema.status_history).where(schema.status_history.c.report_id == ids[0]))
        conn.execute(sa.delete(schema.reports).where(schema.reports.c.id == ids[0]))
    assert rebuilt(store, tmp_path) == ("full", True)

    backup = tmp_path / "sauvegarde.sqlite"
    backup_store(store, backup)
    add(store, taxonomy, NORTH_POINT, hours_ago=50)
    ensure_snapshot(store)  # a snapshot of content the restore replaces
    restore_store(store, backup)
    restored = Store(store.url)
    add(restored, taxonomy, SOUTH_POINT, hours_ago=51)
    assert rebuilt(restored, tmp_path) == ("full", True)  # another history: never patched from that snapshot

    ensure_snapshot(restored)
    with restored.transaction() as conn:  # far more than a fifth of the rows, but at most 1,000: still patched
        conn.execute(sa.update(schema.reports).values(severity=1))
    assert rebuilt(restored, tmp_path) == ("incremental", True)


def test_an_older_store_gains_the_change_log_when_opened(tmp_path, taxonomy):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store(url)
    add(store, taxonomy, NORTH_POINT)
    with store.engine.begin() as conn:  # as a store of the previous schema version: no log, no triggers
        conn.exec_driver_sql("DROP TRIGGER reports_changed")
        conn.exec_driver_sql("DROP TRIGGER reports_removed")
        conn.exec_driver_sql("DROP TABLE report_changes")
        conn.execute(sa.update(schema.meta).where(schema.meta.c.key == "schema_version")
                     .values(value=str(schema.MIGRATIONS.index(changes_schema.migrate))))
    store.engine.dispose()
    migrated = Store(url)
    assert migrated.schema_version() == schema.SCHEMA_VERSION
    first = add(migrated, taxonomy, SOUTH_POINT)
    ensure_snapshot(migrated)
    change_statuses(migrated, [first], "clos_sans_suite")
    assert rebuilt(migrated, tmp_path) == ("incremental", True)


def test_a_pruned_log_means_a_full_read_of_older_snapshots(store, taxonomy, tmp_path):
    from geo.store.changes_schema import prune

    ids = seeded(store, taxonomy)
    change_statuses(store, ids[:4], "resolu")
    with store.transaction() as conn:
        assert prune(conn, keep=2) == 2  # the entries of two of those changes are gone
    assert rebuilt(store, tmp_path) == ("full", True)
    change_statuses(store, ids[4:6], "resolu")  # changes after that snapshot are all there: patched again
    assert rebuilt(store, tmp_path) == ("incremental", True)


def test_dictionary_columns_are_patched_on_their_codes_as_a_full_encoding_gives():
    import pyarrow as pa

    from geo.store.snapshot_builder import _merge

    def encoded(values: list) -> pa.ChunkedArray:
        return pa.chunked_array([pa.array(values, pa.string()).dictionary_encode()])

    old = pa.table({"id": ["a", "b", "c", "d"], "status": encoded(["x", "y", None, "y"]),
                    "severity": [1, 2, 3, 4]})
    # "x" disappears (its only row updated), "z" first appears in an update, "w" in an appended row, a null goes
    updated = pa.table({"id": ["c", "a"], "status": ["y", "z"], "severity": [30, 10]})
    added = pa.table({"id": ["e", "f"], "status": ["w", None], "severity": [5, 6]})
    merged = _merge(old, updated, added, ["id", "status", "severity"])
    expected = pa.table({"id": ["a", "b", "c", "d", "e", "f"],
                         "status": encoded(["z", "y", "y", "y", "w", None]),
                         "severity": [10, 2, 30, 4, 5, 6]})
    assert merged.column("status").combine_chunks().equals(expected.column("status").combine_chunks())
    assert merged.column("status").type == expected.column("status").type  # still codes, never decoded
    assert merged.select(["id", "severity"]).equals(expected.select(["id", "severity"]))
