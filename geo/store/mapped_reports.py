"""The pages' report columns as memory-mapped files: shared by the app instances of a host, never copied.

An app instance used to hold every report of the store in its heap (about 78 MB per million reports, more for
every filtered copy). Here the page columns of one data version are written once, in the very form pandas uses
(datetimes as int64, categories as integer codes, text as Arrow buffers), as plain files in a folder beside the
Parquet snapshot (:mod:`geo.store.snapshot`); a reader maps them copy-on-write and wraps them in a DataFrame
without copying a byte. Their pages are file-backed: the kernel shares them between the instances of a host and
drops them under memory pressure (read again on demand), so an instance's own (anonymous) memory no longer grows
with the store.

The folder is built by a child process (it reads the snapshot, building it when it is missing, and converts it):
the transient memory of the snapshot's read and of the conversion is never an app instance's. Like the snapshot,
the folder is named after the data version (and the time zone of ``local_day``), written under a temporary name
and renamed into place, so it can never be stale and readers in other processes only ever see complete folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from geo.errors import StoreError
from geo.store.database import Store
from geo.store.snapshot import (
    ensure_snapshot,
    load_reports,
    read_snapshot,
    snapshot_columns,
    snapshot_dir,
    wide_integers,
)
from geo.store.snapshot_files import PREFIX, snapshot_path, snapshot_version, write_snapshot
from geo.store.snapshot_postgres import read_reports_arrow

__all__ = ["columns_folder", "write_columns", "open_columns", "load_mapped_reports", "file_backed_columns"]

_META = "meta.json"
_FORMAT = 1


def _zone_key(timezone: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in timezone)


def columns_folder(folder: Path, version: int, columns: Sequence[str], timezone: str) -> Path:
    """Return the folder of the mapped columns of data version ``version`` in the snapshot folder ``folder``."""
    digest = hashlib.sha256(",".join(columns).encode()).hexdigest()[:8]
    return folder / f"{PREFIX}{version}.{_zone_key(timezone)}.{digest}.columns"


def write_columns(frame: pd.DataFrame, target: Path) -> Path:
    """Write the columns of ``frame`` as the mapped-columns folder ``target`` (atomically); return ``target``.

    Supported dtypes: numbers and booleans, tz-aware datetimes, categoricals of text, text (``str``).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        meta: dict = {"format": _FORMAT, "rows": len(frame), "columns": []}
        for number, name in enumerate(frame.columns):
            series = frame[name]
            stem = f"c{number}"
            entry: dict = {"name": str(name), "stem": stem}
            dtype = series.dtype
            if isinstance(dtype, pd.CategoricalDtype):
                entry.update(kind="category", categories=[str(c) for c in dtype.categories],
                             ordered=bool(dtype.ordered))
                np.save(tmp / f"{stem}.npy", np.asarray(series.array.codes))
            elif isinstance(dtype, pd.DatetimeTZDtype):
                entry.update(kind="datetime", unit=dtype.unit, tz=str(dtype.tz))
                np.save(tmp / f"{stem}.npy", series.array.asi8)
            elif isinstance(dtype, pd.StringDtype) or dtype.kind == "O":
                array = _large_text(series)
                _, offsets, data = array.buffers()
                entry.update(kind="text", nulls=array.null_count, dtype=str(dtype))
                # offsets are positions in the data buffer, whatever the array's own offset in them
                np.save(tmp / f"{stem}.offsets.npy",
                        np.frombuffer(offsets, dtype=np.int64)[array.offset: array.offset + len(array) + 1])
                np.save(tmp / f"{stem}.data.npy", np.frombuffer(data, dtype=np.uint8) if data is not None
                        else np.zeros(0, dtype=np.uint8))
                if array.null_count:
                    valid = array.is_valid().to_numpy(zero_copy_only=False)
                    np.save(tmp / f"{stem}.valid.npy", np.packbits(valid, bitorder="little"))
            elif dtype.kind in "iufb":
                entry.update(kind="numpy")
                np.save(tmp / f"{stem}.npy", series.to_numpy())
            else:
                raise StoreError(f"column {name!r} of dtype {dtype} cannot be mapped; expected numbers, "
                                 "tz-aware datetimes, categories or text")
            meta["columns"].append(entry)
        (tmp / _META).write_text(json.dumps(meta))
        try:
            os.rename(tmp, target)
        except OSError:  # another process renamed its complete copy into place first
            if not (target / _META).exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _large_text(series: pd.Series) -> pa.LargeStringArray:
    """Return a text column as one Arrow large-string array: its own Arrow data when it has some (no Python str)."""
    values = series.array
    if hasattr(values, "__arrow_array__"):  # pandas's Arrow-backed text: millions of ids never become objects
        array = values.__arrow_array__()
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return array.cast(pa.large_string())
    return pa.array(series.to_numpy(dtype=object, na_value=None), type=pa.large_string())


def _map(path: Path) -> np.ndarray:
    """Map an ``.npy`` file copy-on-write (writable, never written back); a plain read when it holds no data."""
    array = np.load(path, mmap_mode="c")
    return array.view(np.ndarray) if array.size else np.load(path)


def open_columns(folder: Path) -> pd.DataFrame:
    """Return the frame of a mapped-columns folder: every column a view of its file, nothing copied."""
    meta = json.loads((folder / _META).read_text())
    if meta.get("format") != _FORMAT:
        raise StoreError(f"mapped columns {folder} are of format {meta.get('format')}; expected {_FORMAT}")
    rows = int(meta["rows"])
    data: dict[str, object] = {}
    for entry in meta["columns"]:
        stem, kind = folder / entry["stem"], entry["kind"]
        if kind == "category":
            dtype = pd.CategoricalDtype(entry["categories"], ordered=entry["ordered"])
            data[entry["name"]] = pd.Categorical.from_codes(_map(stem.with_suffix(".npy")), dtype=dtype)
        elif kind == "datetime":
            values = _map(stem.with_suffix(".npy")).view(f"M8[{entry['unit']}]")
            dtype = pd.DatetimeTZDtype(unit=entry["unit"], tz=entry["tz"])
            data[entry["name"]] = pd.arrays.DatetimeArray._simple_new(values, dtype=dtype)
        elif kind == "text":
            offsets = _map(folder / f"{entry['stem']}.offsets.npy")
            chars = _map(folder / f"{entry['stem']}.data.npy")
            valid = _map(folder / f"{entry['stem']}.valid.npy") if entry["nulls"] else None
            array = pa.LargeStringArray.from_buffers(
                rows, pa.py_buffer(offsets), pa.py_buffer(chars),
                None if valid is None else pa.py_buffer(valid), entry["nulls"])
            data[entry["name"]] = _text(array, entry["dtype"])
        else:
            data[entry["name"]] = _map(stem.with_suffix(".npy"))
    # copy=False: no consolidation of same-typed columns into one new block (which would copy them)
    return pd.DataFrame(data, index=pd.RangeIndex(rows), copy=False)


def _text(array: pa.LargeStringArray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """Wrap Arrow text as pandas's Arrow-backed text array of ``dtype`` (``str`` or ``string``): no copy."""
    na_value = np.nan if dtype == "str" else pd.NA
    return pd.arrays.ArrowStringArray(pa.chunked_array([array]), dtype=pd.StringDtype("pyarrow", na_value=na_value))


def _build_in_child(job: dict) -> Path:
    """Run ``job`` (see :func:`_run_job`) in a child process; return the mapped-columns folder it wrote.

    The job goes through the child's standard input, never its command line (a PostgreSQL URL holds a password).
    """
    command = [sys.executable, "-m", "geo.store.mapped_reports"]
    done = subprocess.run(command, input=json.dumps(job), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        where = job.get("snapshot") or job.get("folder")
        raise StoreError(f"could not build the mapped report columns of {where}: {done.stderr.strip()[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def _job(store: Store, version: int, columns: Sequence[str], timezone: str) -> dict:
    """Return the child's job for the store's current data version: from its snapshot, or building it first.

    A missing snapshot of an SQLite file or a PostgreSQL store is built by the same child (ADBC; for SQLite
    the child never opens the file through SQLAlchemy's driver), which saves a second interpreter's start after
    every write and keeps the whole-table Arrow read out of this process.
    """
    folder = snapshot_dir(store)
    job: dict = {"columns": list(columns), "timezone": timezone}
    snapshot = snapshot_path(folder, version)
    if snapshot.exists():
        return {**job, "snapshot": str(snapshot)}
    build = {"folder": str(folder), "snapshot_columns": snapshot_columns(store)}
    if store.is_sqlite:
        return {**job, **build, "sqlite": _database(store)}
    if sa.engine.make_url(store.url).get_backend_name() == "postgresql":
        return {**job, **build, "postgresql": store.url, "schema": store.schema_name}
    return {**job, "snapshot": str(ensure_snapshot(store))}


def _run_job(job: dict) -> Path:
    """Build the snapshot a job names when it says how, then the mapped columns of the snapshot; return them."""
    if "sqlite" in job:
        from geo.store.snapshot_builder import build as build_sqlite  # noqa: PLC0415 - ADBC in the child only

        snapshot = build_sqlite(job["sqlite"], Path(job["folder"]), job["snapshot_columns"])
    elif "postgresql" in job:
        version, table = read_reports_arrow(job["postgresql"], job["snapshot_columns"], schema_name=job["schema"])
        snapshot = write_snapshot(wide_integers(table), Path(job["folder"]), version)
        del table
    else:
        snapshot = Path(job["snapshot"])
    return build_from_snapshot(snapshot, job["columns"], job["timezone"])


def build(store: Store, columns: Sequence[str], timezone: str) -> Path:
    """Build the mapped columns of the store's current snapshot in this process; return their folder."""
    return build_from_snapshot(ensure_snapshot(store), columns, timezone)


def build_from_snapshot(snapshot: Path, columns: Sequence[str], timezone: str) -> Path:
    """Build the mapped columns of the snapshot file ``snapshot``; return their folder (reused when there)."""
    version = snapshot_version(snapshot)
    target = columns_folder(snapshot.parent, version, columns, timezone)
    if (target / _META).exists():
        return target
    frame = read_snapshot(snapshot, columns=columns, timezone=timezone)
    write_columns(frame, target)
    for old in snapshot.parent.glob(f"{PREFIX}*.columns"):
        try:
            if int(old.name[len(PREFIX):].split(".")[0]) < version:
                shutil.rmtree(old, ignore_errors=True)  # mapped elsewhere: the mappings outlive the files
        except ValueError:
            continue
    return target


def load_mapped_reports(store: Store, *, columns: Sequence[str], timezone: str = "Europe/Paris") -> pd.DataFrame:
    """Return the reports' ``columns`` (and ``local_day``) of the current data version, memory-mapped.

    The same frame as :func:`geo.store.snapshot.load_reports` gives (same values, dtypes, order and index), but
    every column is a read of a file mapped copy-on-write: shared, dropped and read again by the kernel as
    needed; do not modify it in place (a write would make a private copy of the pages written).
    An in-memory SQLite store has no folder to map: its frame is read as before.
    """
    database = _database(store)
    if store.is_sqlite and database in (None, "", ":memory:"):
        return load_reports(store, columns=columns, timezone=timezone)
    version = store.data_version()
    target = columns_folder(snapshot_dir(store), version, columns, timezone)
    if not (target / _META).exists():
        target = _build_in_child(_job(store, version, columns, timezone))
    return open_columns(target)


def _database(store: Store) -> str | None:
    return sa.engine.make_url(store.url).database


def _regions() -> list[tuple[int, int, str]]:
    """Return this process's file mappings: (start, end, path)."""
    out = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5].startswith("/"):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end, parts[5]))
    return out


def _addresses(series: pd.Series) -> list[int]:
    array = series.array
    if isinstance(array, pd.Categorical):
        return [array.codes.__array_interface__["data"][0]]
    if isinstance(array, pd.arrays.DatetimeArray):
        return [array.asi8.__array_interface__["data"][0]]
    if isinstance(array, pd.arrays.ArrowStringArray | pd.arrays.ArrowExtensionArray):
        return [b.address for chunk in array._pa_array.chunks for b in chunk.buffers()[1:] if b is not None]
    return [series.to_numpy(copy=False).__array_interface__["data"][0]]


def file_backed_columns(frame: pd.DataFrame) -> dict[str, str | None]:
    """Return, for each column of ``frame``, the file its data is mapped from (``None``: in the heap).

    Linux only (reads ``/proc/self/maps``); a column of no rows is reported as file-backed.
    """
    regions = _regions()
    found: dict[str, str | None] = {}
    for name in frame.columns:
        if not len(frame):
            found[str(name)] = "(empty)"
            continue
        paths = []
        for address in _addresses(frame[name]):
            paths.append(next((p for start, end, p in regions if start <= address < end), None))
        found[str(name)] = paths[0] if paths and all(paths) else None
    return found


if __name__ == "__main__":  # python -m geo.store.mapped_reports < JOB (JSON, see _job)
    print(_run_job(json.loads(sys.stdin.read())))
