"""The columnar read path: a Parquet snapshot of the reports, one per data version.

Pages and analyses read every report at once; reading a million rows through the DBAPI row by row costs
seconds. A snapshot holds the analysis columns of every report (no free text, no raw row) as a Parquet file
named after the store's data version, categories and quartiers dictionary-encoded. It can never be stale:
a reader asks the store for its data version (one cheap query) and opens the file of that version, building
it when it is missing.

For an SQLite store the snapshot is written by a child process that reads the database with the ADBC SQLite
driver (five times faster than the DBAPI path): two SQLite libraries must never hold locks on the same file in
one process, since closing a descriptor in one drops the POSIX locks of the other. A PostgreSQL store's
snapshot is read by the ADBC PostgreSQL driver (:mod:`geo.store.snapshot_postgres`, binary ``COPY`` into Arrow);
another database's through SQLAlchemy, a server-side cursor at a time. The child reads the data
version and the reports inside one read transaction, so the file's name always matches its content. Files are
written under a temporary name and renamed into place, so concurrent builders and readers in other processes
only ever see complete files.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from geo.errors import StoreError
from geo.store.database import Store
from geo.store.snapshot_files import DICTIONARY_COLUMNS, snapshot_path, write_snapshot
from geo.store.snapshot_postgres import read_reports_arrow

__all__ = ["SNAPSHOT_EXCLUDED", "DICTIONARY_COLUMNS", "snapshot_dir", "ensure_snapshot", "read_snapshot",
           "snapshot_columns", "load_reports", "release_unused_memory", "wide_integers"]

# Never in a snapshot: free text and the raw row (personal data, and large); nor PostGIS's point, which is
# ``lon``/``lat`` again (geo.store.postgis_schema).
SNAPSHOT_EXCLUDED: frozenset[str] = frozenset({"description", "author", "raw", "category_label", "flags", "geom"})


def snapshot_dir(store: Store) -> Path:
    """Return the folder of ``store``'s snapshots: beside an SQLite file, else a per-URL cache folder."""
    url = sa.engine.make_url(store.url)
    if store.is_sqlite and url.database and url.database != ":memory:":
        db = Path(url.database).resolve()
        return db.with_name(db.name + "-snapshots")
    base = Path(os.environ.get("VEILLE_CACHE_DIR") or Path(tempfile.gettempdir()) / "veille-cache")
    key = f"{url.get_backend_name()}-{url.host or 'local'}-{url.port or ''}-{url.database or ''}"
    if store.structure is not None:  # one snapshot per structure: never another structure's rows
        key += f"-structure-{store.structure}"
    return base / "".join(c if c.isalnum() or c in "-_." else "_" for c in key)


def snapshot_columns(store: Store) -> list[str]:
    """Return the report columns a snapshot holds (every column of ``reports`` but free text and raw rows)."""
    with store.engine.connect() as conn:
        names = [c["name"] for c in sa.inspect(conn).get_columns("reports")]
    return [n for n in names if n not in SNAPSHOT_EXCLUDED]


def _build_in_child(store: Store, folder: Path, columns: Sequence[str]) -> Path:
    """Build the snapshot of an SQLite store in a child process (ADBC); return the file it wrote."""
    database = sa.engine.make_url(store.url).database
    command = [sys.executable, "-m", "geo.store.snapshot_builder", str(database), str(folder), ",".join(columns)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StoreError(f"could not build the reports snapshot of {store.url}: {done.stderr.strip()[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


_STREAM_ROWS = 50_000
"""Rows fetched at a time when a snapshot is built through SQLAlchemy (server-side cursor)."""


def _build_in_process(store: Store, folder: Path, columns: Sequence[str], *, chunk_rows: int = _STREAM_ROWS) -> Path:
    """Build the snapshot of a non-SQLite store through SQLAlchemy (one read transaction).

    Rows are streamed from a server-side cursor ``chunk_rows`` at a time and turned into Arrow columns as they
    come, so that the process never holds the whole table as Python objects (several GB for a million
    reports on PostgreSQL): an app instance's memory stays bounded by one chunk plus the Arrow columns.
    """
    chunks: list[pa.Table] = []
    with store.engine.connect() as conn, conn.begin():
        version = int(store._get_meta(conn, "data_version") or 0)
        query = sa.select(*[sa.column(c) for c in columns]).select_from(sa.table("reports"))
        result = conn.execution_options(stream_results=True, yield_per=chunk_rows).execute(query)
        for rows in result.partitions(chunk_rows):
            values = list(zip(*rows, strict=True))
            chunks.append(pa.table({name: pa.array(column) for name, column in zip(columns, values, strict=True)}))
    if not chunks:
        table = pa.table({name: pa.array([], type=pa.null()) for name in columns})
    else:
        # a column NULL throughout one chunk is typed null there: promoted to the other chunks' type
        table = pa.concat_tables(chunks, promote_options="permissive")
    return write_snapshot(table, folder, version)


def ensure_snapshot(store: Store) -> Path:
    """Return the snapshot file of the store's current data version, building it when it is missing."""
    folder = snapshot_dir(store)
    path = snapshot_path(folder, store.data_version())
    if path.exists():
        return path
    columns = snapshot_columns(store)
    if store.is_sqlite and sa.engine.make_url(store.url).database not in (None, "", ":memory:"):
        return _build_in_child(store, folder, columns)
    if sa.engine.make_url(store.url).get_backend_name() == "postgresql":
        version, table = read_reports_arrow(store.url, columns, schema_name=store.schema_name)
        return write_snapshot(wide_integers(table), folder, version)
    return _build_in_process(store, folder, columns)


def wide_integers(table: pa.Table) -> pa.Table:
    """Return ``table`` with int64 integers and no driver metadata, as the other ways of building a snapshot give."""
    fields = [pa.field(f.name, pa.int64() if pa.types.is_integer(f.type) else f.type) for f in table.schema]
    return table.cast(pa.schema(fields))


def read_snapshot(
    path: Path, *, columns: Sequence[str] | None = None, timezone: str = "Europe/Paris", categorical: bool = True,
) -> pd.DataFrame:
    """Read a snapshot as a DataFrame: ``observed_at`` tz-aware in ``timezone``, dictionary columns categorical.

    Parameters
    ----------
    path
        A file returned by :func:`ensure_snapshot`.
    columns
        Columns to read (all by default); an unknown column raises :class:`~geo.errors.StoreError`.
    categorical
        Keep dictionary columns as ``category`` dtype (integer codes; the fast path) rather than text.
    """
    schema = pq.read_schema(path)
    if columns is not None:
        unknown = [c for c in columns if c not in schema.names]
        if unknown:
            raise StoreError(f"columns {unknown} are not in the reports snapshot; expected some of {schema.names}")
    table = pq.read_table(path, columns=list(columns) if columns is not None else None)
    return _to_frame(table, timezone=timezone, categorical=categorical)


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def release_unused_memory() -> None:
    """Give the memory freed while reading a snapshot back to the system.

    Converting a million rows leaves about 100 MB of freed buffers in Arrow's memory pool and in the C
    allocator's free lists; a long-lived process (the dashboard) would keep them for good. Returns at once
    where the C library has no ``malloc_trim`` (not glibc).
    """
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _to_frame(table: pa.Table, *, timezone: str, categorical: bool) -> pd.DataFrame:
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    for name in DICTIONARY_COLUMNS:
        if name in frame and not categorical:
            frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    if "observed_at" in frame:
        seconds = frame["observed_at"].to_numpy(np.int64)
        frame["observed_at"] = pd.to_datetime(seconds, unit="s", utc=True).tz_convert(timezone)
        local = frame["observed_at"].dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        frame["local_day"] = local.astype(np.int64)
    return frame


def load_reports(
    store: Store, *, columns: Sequence[str], start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
    timezone: str = "Europe/Paris", categorical: bool = True,
) -> pd.DataFrame:
    """Return reports from the current snapshot, optionally in the half-open interval ``[start, end)``.

    The time filter is applied while reading (Parquet row-group statistics), before any conversion.
    ``local_day`` (local calendar day as days since 1970-01-01) is added whenever ``observed_at`` is read,
    for period keys that need no time-zone conversion of their own.
    """
    path = ensure_snapshot(store)
    filters = []
    if start is not None:
        filters.append(("observed_at", ">=", int(pd.Timestamp(start).timestamp())))
    if end is not None:
        filters.append(("observed_at", "<", int(pd.Timestamp(end).timestamp())))
    schema = pq.read_schema(path)
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise StoreError(f"columns {unknown} are not in the reports snapshot; expected some of {schema.names}")
    table = pq.read_table(path, columns=list(columns), filters=filters or None)
    frame = _to_frame(table, timezone=timezone, categorical=categorical)
    del table
    release_unused_memory()
    return frame
