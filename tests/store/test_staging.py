"""Staging files: what a validator writes, and how the store loads it (attached, or row by row)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import StoreError
from geo.ingest.formats import detect_mapping
from geo.ingest.pipeline import ValidationJob, validate_chunks
from geo.ingest.territory import install_territory
from geo.store import schema
from geo.store.database import BATCH_CONSTANTS, REPORT_FIELDS
from geo.store.staging import (
    SCRATCH_PREFIX,
    STAGED_REJECT_FIELDS,
    STAGED_REPORT_FIELDS,
    StageWriter,
    read_staged,
    remove_abandoned,
    scratch_folder,
)
from tests.conftest import make_territory


def prepared(ids, *, neighbourhoods=None, rows=None) -> pd.DataFrame:
    """Report rows as prepare_rows returns them (the fields a staging table holds)."""
    n = len(ids)
    return pd.DataFrame({
        "id": ids, "source_id": [None] * n, "observed_at": [1_772_460_000 + i for i in range(n)],
        "lat": [47.34] * n, "lon": [5.04] * n, "category": ["tags"] * n, "category_label": ["Tag"] * n,
        "registre": ["veille_technique"] * n, "severity": [2] * n, "status": ["nouveau"] * n,
        "description": [f"texte {i}" if i % 2 else None for i in range(n)], "team": [None] * n,
        "author": ["A. Benali"] * n, "neighbourhood": neighbourhoods or ["nord"] * n,
        "flags": [None] * n, "row_number": rows or list(range(2, 2 + n)),
    })


def rejected(*rows):
    return [{"row_number": r, "raw": json.dumps({"latitude": "abc"}),
             "reasons": json.dumps([{"row": r, "column": "latitude", "value": "abc", "reason": "x"}])} for r in rows]


def stored(store):
    with store.engine.connect() as conn:
        reports = conn.execute(sa.select(schema.reports).order_by(schema.reports.c.id)).mappings().all()
        quarantine = conn.execute(sa.select(schema.quarantine.c.batch_id, schema.quarantine.c.row_number,
                                            schema.quarantine.c.raw)).all()
    return [dict(r) for r in reports], sorted(quarantine)


def load(store, chunks, *, attach):
    with store.transaction(attach=[c.path for c in chunks] if attach else ()) as conn:
        batch_id = store.begin_batch(conn, source_name="x.csv", content_hash="x", source_format="csv")
        loaded = [store.load_staged(conn, c, batch_id=batch_id, stamp=1_700_000_000) for c in chunks]
    return [(c.inside, c.outside) for c in loaded]


def test_staged_fields_are_the_report_fields_less_the_batch_constants():
    assert STAGED_REPORT_FIELDS == tuple(f for f in REPORT_FIELDS if f not in BATCH_CONSTANTS)


def test_a_staged_chunk_reads_back_in_id_order_with_its_nulls(tmp_path):
    with StageWriter(tmp_path / "stage.sqlite") as writer:
        chunk = writer.write(3, prepared(["c", "a", "b"]), rejected(9))
        empty = writer.write(4, prepared([]).iloc[0:0], [])
    assert (chunk.index, chunk.reports, chunk.rejected) == (3, 3, 1)
    rows = [r for batch in read_staged(chunk, chunk.reports_table, ("id", "description", "row_number"))
            for r in batch]
    assert rows == [("a", "texte 1", 3), ("b", None, 4), ("c", None, 2)]
    assert next(r for b in read_staged(chunk, chunk.rejected_table, STAGED_REJECT_FIELDS) for r in b)[0] == 9
    assert list(read_staged(empty, empty.reports_table, STAGED_REPORT_FIELDS)) == []
    with pytest.raises(ValueError, match="expected a table"):
        next(read_staged(chunk, "reports", ("id",)))
    with pytest.raises(ValueError, match="expected a table"):
        next(read_staged(chunk, chunk.reports_table, ("id", "raw")))


@pytest.mark.parametrize("attach", [True, False], ids=["attached", "row-by-row"])
def test_loading_counts_inside_outside_and_duplicates(tmp_path, tmp_store, attach):
    with StageWriter(tmp_path / "a.sqlite") as a, StageWriter(tmp_path / "b.sqlite") as b:
        first = a.write(0, prepared(["x", "y", "z", "x"], neighbourhoods=["nord", None, "sud", "sud"],
                                    rows=[2, 3, 4, 5]), rejected(6))
        second = b.write(1, prepared(["y", "w"], neighbourhoods=[None, "nord"], rows=[7, 8]), rejected(9, 10))
    counts = load(tmp_store, [first, second], attach=attach)
    assert counts == [(2, 1), (1, 0)]  # (inside, outside) stored; "x" twice and "y" again are duplicates
    reports, quarantine = stored(tmp_store)
    assert [(r["id"], r["row_number"], r["neighbourhood"]) for r in reports] == [
        ("w", 8, "nord"), ("x", 2, "nord"), ("y", 3, None), ("z", 4, "sud")]  # the first of each id is kept
    assert {(r["batch_id"], r["raw"], r["created_at"], r["updated_at"]) for r in reports} == {
        (1, None, 1_700_000_000, 1_700_000_000)}
    assert [row[:2] for row in quarantine] == [(1, 6), (1, 9), (1, 10)]


def test_both_ways_of_loading_store_the_same(tmp_path, tmp_store, db_url):
    other = type(tmp_store)(db_url.replace("veille.sqlite", "other.sqlite"))
    with StageWriter(tmp_path / "a.sqlite") as a:
        chunk = a.write(0, prepared([f"r{i}" for i in range(50)]), rejected(60, 61))
    load(tmp_store, [chunk], attach=True)
    install_territory(other, make_territory(), source_name="test")
    load(other, [chunk], attach=False)
    assert stored(tmp_store) == stored(other)


@pytest.mark.sqlite_only
def test_staging_files_are_detached_after_commit_and_after_rollback(tmp_path, tmp_store):
    with StageWriter(tmp_path / "a.sqlite") as a:
        chunk = a.write(0, prepared(["x"]), [])
    load(tmp_store, [chunk], attach=True)
    with pytest.raises(RuntimeError, match="en panne"), tmp_store.transaction(attach=[chunk.path]) as conn:
        batch_id = tmp_store.begin_batch(conn, source_name="y.csv", content_hash="y", source_format="csv")
        tmp_store.load_staged(conn, chunk, batch_id=batch_id, stamp=0)
        raise RuntimeError("en panne")
    with tmp_store.engine.connect() as conn:  # the pool hands back its one connection
        names = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
    assert not [n for n in names if n.startswith("stage")], names
    assert tmp_store.list_batches()["source_name"].tolist() == ["x.csv"]


@pytest.mark.sqlite_only
def test_more_staging_files_than_sqlite_can_attach_are_refused(tmp_path, tmp_store):
    with pytest.raises(StoreError, match="at most 10 staging files"), \
            tmp_store.transaction(attach=[str(tmp_path / f"{i}.sqlite") for i in range(11)]):
        pass
    assert tmp_store.list_batches().empty


class _KillsItsReader(pd.DataFrame):
    """A chunk that validates like any other here, and ends the worker process that unpickles it."""

    def __reduce_ex__(self, protocol):
        return os._exit, (3,)


def test_a_worker_that_dies_fails_the_import_with_a_clear_error(tmp_path, taxonomy):
    mapping = detect_mapping(["date", "latitude", "longitude", "categorie"])
    job = ValidationJob(mapping=mapping, taxonomy=taxonomy, territory=make_territory(), stage_dir=str(tmp_path))
    chunk = _KillsItsReader({"date": ["01/10/2026 10:00"], "latitude": ["47.34"], "longitude": ["5.04"],
                             "categorie": ["tags"]}, index=[2])

    def chunks():  # validated here until a worker is up; the first one sent to a worker ends it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            yield chunk
            time.sleep(0.05)

    with pytest.raises(StoreError, match="processus de validation s'est arrêté"):
        list(validate_chunks(job, chunks(), workers=1))


def test_scratch_folders_of_dead_imports_are_removed_by_the_next_one(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    abandoned = tmp_path / f"{SCRATCH_PREFIX}{finished.stdout.strip()}-x1"
    (abandoned / "worker-1.sqlite").parent.mkdir()
    (abandoned / "worker-1.sqlite").write_bytes(b"scratch")
    running = tmp_path / f"{SCRATCH_PREFIX}{os.getpid()}-x2"
    running.mkdir()
    (tmp_path / "unrelated").mkdir()
    with scratch_folder(str(tmp_path)) as folder:
        assert Path(folder).parent == tmp_path and Path(folder).name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-")
        assert not abandoned.exists() and running.exists() and (tmp_path / "unrelated").exists()
    assert not Path(folder).exists()
    assert remove_abandoned(str(tmp_path)) == []


@pytest.mark.parametrize("attach", [True, False], ids=["attached", "row-by-row"])
def test_an_id_held_by_another_report_is_returned_as_reused_not_stored(tmp_path, tmp_store, attach):
    first = prepared(["import:1", "import:2"])
    first["source_id"] = ["1", "2"]
    second = prepared(["import:1", "import:2", "import:3"], rows=[10, 11, 12])
    second["source_id"] = ["1", "2", "3"]
    second.loc[1, "lon"] = 5.05  # "2" is another place: another report
    with StageWriter(tmp_path / "a.sqlite") as a:
        staged = [a.write(0, first, []), a.write(1, second, [])]
    with tmp_store.transaction(attach=[staged[0].path] if attach else ()) as conn:
        batch_id = tmp_store.begin_batch(conn, source_name="x.csv", content_hash="x", source_format="csv")
        loaded = [tmp_store.load_staged(conn, c, batch_id=batch_id, stamp=0) for c in staged]
    assert [(c.inside, c.outside) for c in loaded] == [(2, 0), (1, 0)]  # "1" again: a duplicate
    assert loaded[0].reused == []
    [reused] = loaded[1].reused
    assert (reused.row_number, reused.source_id, reused.report_id, reused.batch_id) == (11, "2", "import:2", batch_id)
    assert "import:2 (lot 1)" in reused.reason() and "--source" in reused.reason()
    entry = reused.quarantine_entry(batch_id=batch_id, column="N°", raw='{"N°": "2"}')
    assert json.loads(entry["reasons"])[0]["column"] == "N°" and entry["row_number"] == 11
