"""The columnar read path (geo.store.snapshot): never stale, no free text, same rows as the store."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from geo.errors import StoreError
from geo.ingest.entry import FieldEntry, record_report
from geo.settings import PROJECT_ROOT
from geo.store.database import READ_COLUMNS, Store
from geo.store.snapshot import SNAPSHOT_EXCLUDED, ensure_snapshot, load_reports, read_snapshot, snapshot_dir
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT

NOW = pd.Timestamp("2026-03-10 12:00", tz="Europe/Paris")


def add(store: Store, taxonomy, point, category: str = "tags", *, hours_ago: int = 1, text: str = "") -> str:
    entry = FieldEntry(lat=point[0], lon=point[1], category=category, observed_at=NOW - pd.Timedelta(hours=hours_ago),
                       description=text, author="Camille Martin", team="Équipe A")
    result = record_report(store, entry, taxonomy=taxonomy, now=NOW)
    assert not result.errors, result.errors
    return result.report_id


def test_snapshot_holds_every_report_as_the_store_reads_it(tmp_store, taxonomy):
    for i, point in enumerate([NORTH_POINT, SOUTH_POINT, OUTSIDE_POINT, NORTH_POINT]):
        add(tmp_store, taxonomy, point, ["tags", "eclairage", "rodeo", "tags"][i], hours_ago=i + 1)
    snap = read_snapshot(ensure_snapshot(tmp_store), categorical=False).sort_values("id").reset_index(drop=True)
    direct = tmp_store.read_reports(columns=READ_COLUMNS).sort_values("id").reset_index(drop=True)
    for column in READ_COLUMNS:
        left, right = snap[column].astype(object).tolist(), direct[column].astype(object).tolist()
        assert [None if pd.isna(v) else v for v in left] == [None if pd.isna(v) else v for v in right], column


def test_snapshot_never_holds_free_text_or_raw_rows(tmp_store, taxonomy):
    add(tmp_store, taxonomy, NORTH_POINT, text="M. Dupont, 06 12 34 56 78, dort dans le hall")
    path = ensure_snapshot(tmp_store)
    names = set(pq.read_schema(path).names)
    assert not names & SNAPSHOT_EXCLUDED
    assert b"Dupont" not in path.read_bytes() and b"Camille" not in path.read_bytes()
    with pytest.raises(StoreError, match="not in the reports snapshot"):
        read_snapshot(path, columns=["description"])


def test_a_write_gives_a_new_snapshot_and_the_old_one_goes(tmp_store, taxonomy):
    add(tmp_store, taxonomy, NORTH_POINT)
    first = ensure_snapshot(tmp_store)
    assert ensure_snapshot(tmp_store) == first  # same version: the file is reused
    add(tmp_store, taxonomy, SOUTH_POINT, "eclairage")
    second = ensure_snapshot(tmp_store)
    assert second != first and not first.exists()
    assert len(read_snapshot(second)) == 2
    assert sorted(p.name for p in snapshot_dir(tmp_store).iterdir()) == [second.name]


def test_dictionary_columns_are_integer_codes(tmp_store, taxonomy):
    add(tmp_store, taxonomy, NORTH_POINT)
    add(tmp_store, taxonomy, SOUTH_POINT, "eclairage")
    frame = read_snapshot(ensure_snapshot(tmp_store))
    assert isinstance(frame["category"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["neighbourhood"].dtype, pd.CategoricalDtype)
    assert sorted(frame["category"].astype(str)) == ["eclairage", "tags"]


def test_time_filter_and_local_day(tmp_store, taxonomy):
    add(tmp_store, taxonomy, NORTH_POINT, hours_ago=1)
    add(tmp_store, taxonomy, NORTH_POINT, hours_ago=48)
    recent = load_reports(tmp_store, columns=["id", "observed_at"], start=NOW - pd.Timedelta(hours=24))
    assert len(recent) == 1
    assert recent["observed_at"].iloc[0] == NOW - pd.Timedelta(hours=1)
    day = (NOW - pd.Timedelta(hours=1)).tz_localize(None).normalize()
    assert recent["local_day"].iloc[0] == (day - pd.Timestamp("1970-01-01")).days


BUILD = "import sys; from geo.store.database import Store; from geo.store.snapshot import ensure_snapshot; " \
        "print(ensure_snapshot(Store(sys.argv[1])))"


def test_concurrent_builders_in_other_processes_agree(tmp_store, taxonomy, db_url):
    for i in range(20):
        add(tmp_store, taxonomy, NORTH_POINT if i % 2 else SOUTH_POINT, hours_ago=i + 1)
    # separate interpreters (not multiprocessing: under pytest, a spawned child re-runs whatever script an
    # AppTest left as ``__main__``)
    procs = [subprocess.Popen([sys.executable, "-c", BUILD, db_url], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    paths = {out.strip().splitlines()[-1] for out, _ in outputs}
    assert len(paths) == 1
    assert len(read_snapshot(next(iter(paths)))) == 20
    assert not [p for p in snapshot_dir(tmp_store).iterdir() if p.name.startswith(".building-")]


def test_in_process_path_for_stores_without_a_file(tmp_path, monkeypatch, taxonomy, tmp_store):
    """A store that is not an SQLite file (PostgreSQL) is read through SQLAlchemy in the process itself."""
    add(tmp_store, taxonomy, NORTH_POINT)
    monkeypatch.setattr(tmp_store, "is_sqlite", False)
    monkeypatch.setenv("VEILLE_CACHE_DIR", str(tmp_path / "cache"))
    path = ensure_snapshot(tmp_store)
    assert str(path).startswith(str(tmp_path / "cache"))
    assert len(read_snapshot(path)) == 1


def test_in_process_build_streams_in_chunks_with_the_same_rows(tmp_path, taxonomy, tmp_store):
    """Built chunk by chunk (2 rows here), a column NULL throughout the first chunk keeps the others' values."""
    from geo.store.snapshot import _build_in_process, snapshot_columns

    for i, point in enumerate([OUTSIDE_POINT, OUTSIDE_POINT, NORTH_POINT, SOUTH_POINT, NORTH_POINT]):
        add(tmp_store, taxonomy, point, ["rodeo", "tags", "eclairage", "tags", "rodeo"][i], hours_ago=i + 1)
    path = _build_in_process(tmp_store, tmp_path / "snap", snapshot_columns(tmp_store), chunk_rows=2)
    snap = read_snapshot(path, categorical=False).sort_values("id").reset_index(drop=True)
    direct = tmp_store.read_reports(columns=READ_COLUMNS).sort_values("id").reset_index(drop=True)
    assert len(snap) == 5
    for column in READ_COLUMNS:
        left, right = snap[column].astype(object).tolist(), direct[column].astype(object).tolist()
        assert [None if pd.isna(v) else v for v in left] == [None if pd.isna(v) else v for v in right], column
    assert snap["neighbourhood"].notna().sum() == 3


def test_in_process_build_of_an_empty_store(tmp_path, tmp_store):
    from geo.store.snapshot import _build_in_process, snapshot_columns

    path = _build_in_process(tmp_store, tmp_path / "snap", snapshot_columns(tmp_store), chunk_rows=2)
    assert len(read_snapshot(path)) == 0
