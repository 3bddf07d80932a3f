"""The pages' reports as memory-mapped files (geo.store.mapped_reports): the frame the snapshot gives, no copy."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import StoreError
from geo.store.database import READ_COLUMNS
from geo.store.mapped_reports import file_backed_columns, load_mapped_reports, open_columns, write_columns
from geo.store.snapshot import load_reports, snapshot_dir
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT
from tests.store.test_snapshot import add

COLUMNS = [c for c in READ_COLUMNS if c not in ("registre", "team")]


def test_mapped_frame_is_the_snapshot_frame_and_every_column_a_file(tmp_store, taxonomy):
    for i, point in enumerate([NORTH_POINT, SOUTH_POINT, OUTSIDE_POINT, NORTH_POINT]):  # a null quartier too
        add(tmp_store, taxonomy, point, ["tags", "eclairage", "rodeo", "tags"][i], hours_ago=i + 1)
    mapped = load_mapped_reports(tmp_store, columns=COLUMNS, timezone="Europe/Paris")
    expected = load_reports(tmp_store, columns=COLUMNS, timezone="Europe/Paris")
    pd.testing.assert_frame_equal(mapped, expected)
    assert mapped["neighbourhood"].isna().sum() == 1
    backing = file_backed_columns(mapped)
    assert all(backing.values()), backing
    assert not any(file_backed_columns(expected).values())  # the heap frame is told apart
    # the folder sits beside the snapshot, named after the data version
    folders = [p.name for p in snapshot_dir(tmp_store).glob("*.columns")]
    assert len(folders) == 1 and folders[0].startswith(f"reports-v{tmp_store.data_version()}.")


def test_a_write_gives_new_mapped_columns_and_the_old_ones_go(tmp_store, taxonomy):
    add(tmp_store, taxonomy, NORTH_POINT)
    first = load_mapped_reports(tmp_store, columns=COLUMNS)
    assert len(first) == 1
    add(tmp_store, taxonomy, SOUTH_POINT, "eclairage")
    second = load_mapped_reports(tmp_store, columns=COLUMNS)
    assert len(second) == 2 and len(first) == 1  # the first frame stays readable: its mapping outlives the file
    assert first["id"].tolist()[0] in second["id"].tolist()
    folders = list(snapshot_dir(tmp_store).glob("*.columns"))
    assert len(folders) == 1 and folders[0].name.startswith(f"reports-v{tmp_store.data_version()}.")


def test_empty_store_maps_an_empty_frame(empty_store):
    frame = load_mapped_reports(empty_store, columns=COLUMNS)
    assert frame.empty and list(frame.columns) == [*COLUMNS, "local_day"]


def test_write_columns_round_trips_every_supported_dtype_and_refuses_others(tmp_path):
    frame = pd.DataFrame({
        "n": [1, 2, 3], "x": [0.5, None, 2.0], "ok": [True, False, True],
        "t": pd.to_datetime([0, 60, 120], unit="s", utc=True).tz_convert("Europe/Paris"),
        "c": pd.Categorical(["a", None, "b"]), "s": ["un", None, "trois"],
    })
    back = open_columns(write_columns(frame, tmp_path / "f.columns"))
    pd.testing.assert_frame_equal(back, frame)
    # Arrow-backed text taken as it is: several chunks, a slice (offset in its buffers), nulls
    import pyarrow as pa

    chunks = pa.chunked_array([pa.array(["zéro", "un", None]).slice(1), pa.array(["trois", None, "cinq"])])
    text = pd.StringDtype("pyarrow", na_value=float("nan"))
    arrow = pd.DataFrame({"s": pd.Series(pd.arrays.ArrowStringArray(chunks, dtype=text))})
    back = open_columns(write_columns(arrow, tmp_path / "h.columns"))
    pd.testing.assert_frame_equal(back, arrow)
    assert back["s"].isna().tolist() == [False, True, False, True, False]
    assert back["s"].dropna().tolist() == ["un", "trois", "cinq"]
    with pytest.raises(StoreError, match="cannot be mapped"):
        write_columns(pd.DataFrame({"d": [pd.Timedelta(1)]}), tmp_path / "g.columns")
    assert not list(tmp_path.glob(".building-*"))


def test_after_a_write_one_child_builds_the_snapshot_and_the_columns(tmp_store, taxonomy, monkeypatch):
    import subprocess

    from geo.store import mapped_reports, snapshot
    from geo.store.snapshot_files import snapshot_path

    add(tmp_store, taxonomy, NORTH_POINT)
    load_mapped_reports(tmp_store, columns=COLUMNS)
    add(tmp_store, taxonomy, SOUTH_POINT, "eclairage")  # a write: neither snapshot nor columns of this version
    children, in_process = [], []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: children.append(command) or real_run(command, **kw))
    for module in (snapshot, mapped_reports):  # the whole-table read never happens in this (the app's) process
        monkeypatch.setattr(module, "read_reports_arrow", lambda *a, **k: in_process.append(a))
    monkeypatch.setattr(snapshot, "_build_in_child", lambda *a, **k: in_process.append(a))
    frame = load_mapped_reports(tmp_store, columns=COLUMNS)
    assert len(frame) == 2 and not in_process
    assert len(children) == 1, children
    assert not any("://" in part or "@" in part for part in children[0])  # no URL (nor password) on its command line
    version = tmp_store.data_version()
    assert snapshot_path(snapshot_dir(tmp_store), version).exists()  # the child wrote the snapshot too
    monkeypatch.undo()
    pd.testing.assert_frame_equal(frame, load_reports(tmp_store, columns=COLUMNS, timezone="Europe/Paris"))
