"""Validated rows staged in a scratch SQLite file, for the store to load in one bulk statement.

An import validates its chunks (often in worker processes) before it writes anything. Each chunk's
report rows and quarantined rows go into tables of a *staging file*, written from Arrow data by the
ADBC SQLite driver -- no Python object per value. The store then loads every chunk in one short
transaction (:meth:`geo.store.database.Store.load_staged`): for SQLite, ``INSERT … SELECT`` from the attached
staging files; for PostgreSQL, ``COPY`` of each chunk read as Arrow (:func:`read_staged_arrow`) into a
temporary table, then ``INSERT … SELECT``; for any other database, row by row.

A staging file is a plain SQLite file: one per writer (worker process), with the tables
``reports_<chunk>`` and ``rejected_<chunk>``. It is scratch data, written without a journal, and is
deleted with its import's scratch folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["StagedChunk", "StageWriter", "STAGED_REPORT_FIELDS", "STAGED_REJECT_FIELDS", "read_staged",
           "read_staged_arrow", "scratch_folder", "remove_abandoned"]

SCRATCH_PREFIX = ".veille-import-"

STAGED_REPORT_SCHEMA = pa.schema([
    ("id", pa.string()), ("source_id", pa.string()), ("observed_at", pa.int64()), ("lat", pa.float64()),
    ("lon", pa.float64()), ("category", pa.string()), ("category_label", pa.string()), ("registre", pa.string()),
    ("severity", pa.int64()), ("status", pa.string()), ("description", pa.string()), ("team", pa.string()),
    ("author", pa.string()), ("neighbourhood", pa.string()), ("flags", pa.string()), ("row_number", pa.int64()),
])
STAGED_REJECT_SCHEMA = pa.schema([("row_number", pa.int64()), ("raw", pa.string()), ("reasons", pa.string())])
STAGED_REPORT_FIELDS: tuple[str, ...] = tuple(STAGED_REPORT_SCHEMA.names)
"""Report fields a staging table holds; the batch, the raw row and the time stamps are set on loading."""
STAGED_REJECT_FIELDS: tuple[str, ...] = tuple(STAGED_REJECT_SCHEMA.names)


@dataclass(frozen=True)
class StagedChunk:
    """Where one validated chunk was staged, and how many rows of each kind it holds."""

    path: str
    index: int
    reports: int
    rejected: int

    @property
    def reports_table(self) -> str:
        """Name of the table of report rows in :attr:`path`."""
        return f"reports_{self.index}"

    @property
    def rejected_table(self) -> str:
        """Name of the table of quarantined rows in :attr:`path`."""
        return f"rejected_{self.index}"


class StageWriter:
    """Write validated chunks into one staging file.

    Parameters
    ----------
    path
        The staging file; created if missing. One writer per file at a time.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._conn = adbc.connect(self.path, autocommit=True)
        with self._conn.cursor() as cur:
            # scratch data: a crash fails the whole import anyway, so no journal and no fsync
            cur.execute("PRAGMA journal_mode=OFF")
            cur.fetchall()
            cur.execute("PRAGMA synchronous=OFF")

    def write(self, index: int, reports: pd.DataFrame, rejected: Sequence[dict]) -> StagedChunk:
        """Stage one chunk: ``reports`` (prepared rows, at least :data:`STAGED_REPORT_FIELDS`) and ``rejected``.

        Parameters
        ----------
        index
            The chunk's position in its file (0 for the first); names its tables.
        reports
            Report rows as returned by :func:`geo.ingest.importer.prepare_rows`.
        rejected
            Quarantined rows: dicts with ``row_number``, ``raw`` and ``reasons``.
        """
        staged = StagedChunk(self.path, index, len(reports), len(rejected))
        report_table = (pa.Table.from_pandas(reports.loc[:, list(STAGED_REPORT_FIELDS)], schema=STAGED_REPORT_SCHEMA,
                                             preserve_index=False)
                        if len(reports) else STAGED_REPORT_SCHEMA.empty_table())  # empty columns lose their dtype
        # In id order, the store's id index takes the rows in one ordered pass (about twice as fast as in
        # file order); the sort is stable, so the first of two rows with one id still comes first.
        report_table = report_table.take(pc.sort_indices(report_table["id"]))
        reject_table = pa.Table.from_pylist([{k: row[k] for k in STAGED_REJECT_FIELDS} for row in rejected],
                                            schema=STAGED_REJECT_SCHEMA)
        with self._conn.cursor() as cur:
            cur.adbc_ingest(staged.reports_table, report_table, mode="create")
            cur.adbc_ingest(staged.rejected_table, reject_table, mode="create")
        return staged

    def close(self) -> None:
        """Close the file (what was written stays)."""
        self._conn.close()

    def __enter__(self) -> StageWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_staged(chunk: StagedChunk, table: str, fields: Sequence[str], *, where: str = "",
                batch_rows: int = 50_000) -> Iterator[list[tuple]]:
    """Yield the rows of one of ``chunk``'s tables as tuples of ``fields``, ``batch_rows`` at a time.

    For stores that cannot attach a staging file (anything but SQLite). ``where`` is an SQL clause
    written by the caller (never user input), e.g. ``"WHERE neighbourhood IS NULL"``.
    """
    known = {chunk.reports_table: STAGED_REPORT_FIELDS, chunk.rejected_table: STAGED_REJECT_FIELDS}
    if table not in known or not set(fields) <= set(known[table]):
        raise ValueError(f"expected a table of {sorted(known)} and some of its fields; found {table!r}, {fields}")
    conn = sqlite3.connect(Path(chunk.path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        cursor = conn.execute(f"SELECT {', '.join(fields)} FROM {table} {where}")
        while rows := cursor.fetchmany(batch_rows):
            yield rows
    finally:
        conn.close()


def read_staged_arrow(chunk: StagedChunk, table: str) -> pa.Table:
    """Return one of ``chunk``'s tables whole, as Arrow columns of its staging schema (no Python object per value).

    For bulk copies into another database (PostgreSQL's ``COPY``). The ADBC driver infers each column's type
    from the rows of its first result batch, so the batch is made as large as the table: a column that is
    empty in its first rows and filled later is read right; the columns are then cast to the staging schema
    (a column with no value at all comes back as integers).
    """
    schemas = {chunk.reports_table: (STAGED_REPORT_SCHEMA, chunk.reports),
               chunk.rejected_table: (STAGED_REJECT_SCHEMA, chunk.rejected)}
    if table not in schemas:
        raise ValueError(f"expected a table of {sorted(schemas)}; found {table!r}")
    schema, rows = schemas[table]
    with adbc.connect(chunk.path) as conn, conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1) + 1)})
        cur.execute(f"SELECT {', '.join(schema.names)} FROM {table}")
        found = cur.fetch_arrow_table()
    return pa.Table.from_arrays([found[name].cast(field.type) for name, field in zip(schema.names, schema,
                                                                                     strict=True)], schema=schema)


@contextmanager
def scratch_folder(parent: str | None) -> Iterator[str]:
    """Yield a new folder for one import's staging files, removed with its content afterwards.

    Its name carries this process's id, so that folders left by a killed import are recognised and
    removed (:func:`remove_abandoned`) by the next import in the same place.

    Parameters
    ----------
    parent
        Where to create it (beside the store's file, on the same disk); ``None`` for the system's.
    """
    remove_abandoned(parent)
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent) as folder:
        yield folder


def remove_abandoned(parent: str | None) -> list[Path]:
    """Remove the scratch folders in ``parent`` whose import process no longer runs; return them."""
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(SCRATCH_PREFIX + "*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _process_runs(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
