"""Child process that writes the reports snapshot of an SQLite store: ``python -m geo.store.snapshot_builder``.

Arguments: the database file, the snapshot folder, the comma-separated columns. It reads the data version and
the reports in one read transaction through the ADBC SQLite driver and prints the path of the file it wrote.
It imports neither SQLAlchemy nor pandas, and never runs in a process that holds the store through pysqlite.

When few reports changed since the previous snapshot, the new one is that snapshot brought up to date rather
than a read of every row: the rows appended since then (``rowid`` past the previous one's) and the rows the change
log names (:mod:`geo.store.changes_schema`) are read, the updated rows replaced in place and the new ones
appended — the very table a full read gives, in the same (``rowid``) order. A full read is made instead whenever
the store's history differs (a restore), a report was deleted, the counts do not add up (the file was changed
behind the store's back) or more than a fifth of the rows changed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo.store.snapshot_files import DICTIONARY_COLUMNS, previous_snapshot, snapshot_marks, write_snapshot

__all__ = ["build", "MOST_CHANGED"]

MOST_CHANGED = 0.2
"""Share of the previous snapshot's rows (appended or updated) past which the snapshot is read in full."""
_FEWEST = 1_000
"""Changes always brought up to date, however small the previous snapshot."""


def _scalar(cur: Any, sql: str) -> Any:
    cur.execute(sql)
    row = cur.fetchone()
    return row[0] if row else None


def _quoted(columns: list[str]) -> str:
    return ", ".join('"' + c.replace('"', '""') + '"' for c in columns)


def _marks(cur: Any) -> dict[str, str] | None:
    """Return the store's marks now (history, last rowid, last change), or None for a store without a log."""
    if not _scalar(cur, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'report_changes'"):
        return None
    # meta keys HISTORY_KEY and PRUNED_KEY of geo.store.changes_schema (not imported: it brings SQLAlchemy)
    history = _scalar(cur, "SELECT value FROM meta WHERE key = 'history'") or ""
    pruned = _scalar(cur, "SELECT value FROM meta WHERE key = 'changes_pruned'") or 0
    rowid = _scalar(cur, "SELECT coalesce(max(rowid), 0) FROM reports")
    seq = _scalar(cur, "SELECT coalesce(max(seq), 0) FROM report_changes")
    return {"history": str(history), "rowid": str(int(rowid)), "seq": str(int(seq)), "pruned": str(int(pruned))}


def _same_type(arrays: list[pa.Array | pa.ChunkedArray]) -> list[pa.Array | pa.ChunkedArray]:
    """Cast ``arrays`` to one type: the first that is not null (SQLite's driver types a column of NULLs null)."""
    target = next((a.type for a in arrays if not pa.types.is_null(a.type)), pa.null())
    return [a if a.type == target else a.cast(target) for a in arrays]


def _previous(folder: Path, version: int) -> tuple[Path, dict[str, int], str] | None:
    """Return the previous snapshot, its marks as numbers (rowid, seq, rows) and its history; None without."""
    previous = previous_snapshot(folder, version)
    if previous is None:
        return None
    try:
        before = snapshot_marks(previous)
        return previous, {k: int(before[k]) for k in ("rowid", "seq", "rows")}, before.get("history", "")
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return None


def _few_changes(cur: Any, before: dict[str, int], history: str, now: dict[str, str]) -> bool:
    """Tell whether the store only appended and updated a few rows since the marks ``before`` (same history)."""
    rowid, seq, rows = before["rowid"], before["seq"], before["rows"]
    if history != now["history"] or int(now["rowid"]) < rowid or int(now["seq"]) < seq:
        return False
    if seq < int(now["pruned"]):  # changes made since that snapshot were removed from the log
        return False
    if _scalar(cur, f"SELECT count(*) FROM report_changes WHERE seq > {seq} AND deleted = 1"):
        return False
    appended = int(_scalar(cur, f"SELECT count(*) FROM reports WHERE rowid > {rowid}"))
    if int(_scalar(cur, "SELECT count(*) FROM reports")) != rows + appended:
        return False  # rows moved below the previous last rowid (a VACUUM by hand after deletions…)
    changed = int(_scalar(cur, f"SELECT count(DISTINCT report_id) FROM report_changes WHERE seq > {seq}"))
    return changed + appended <= max(_FEWEST, MOST_CHANGED * rows)


def _updated(cur: Any, folder: Path, version: int, columns: list[str], now: dict[str, str]) -> pa.Table | None:
    """Return the previous snapshot brought up to date, or None when a full read is needed (see the module)."""
    found = _previous(folder, version)
    if found is None or not _few_changes(cur, found[1], found[2], now):
        return None
    previous, before = found[0], found[1]
    try:
        old = pq.read_table(previous)
    except (OSError, pa.ArrowInvalid):  # removed meanwhile by a newer snapshot's writer
        return None
    if old.schema.names != columns or old.num_rows != before["rows"]:
        return None
    quoted = _quoted(columns)
    cur.execute(f"SELECT {quoted} FROM reports WHERE rowid <= {before['rowid']} AND id IN "
                f"(SELECT report_id FROM report_changes WHERE seq > {before['seq']}) ORDER BY rowid")
    updated = cur.fetch_arrow_table()
    cur.execute(f"SELECT {quoted} FROM reports WHERE rowid > {before['rowid']} ORDER BY rowid")
    added = cur.fetch_arrow_table()
    try:
        return _merge(old, updated, added, columns)
    except (pa.ArrowException, ValueError):  # types that do not meet: read every row instead
        return None


def _merge(old: pa.Table, updated: pa.Table, added: pa.Table, columns: list[str]) -> pa.Table | None:
    """Return ``old`` with the rows of ``updated`` replaced in place (matched on ``id``) and ``added`` appended."""
    old_ids = old.column("id")
    updated_ids, = _same_type([old_ids, updated.column("id")])[1:]
    where = which = np.zeros(0, dtype=np.int64)
    order = None
    if updated.num_rows:
        # look the few updated ids up in the million old ones (a hash of the few, one pass over the many)
        where = np.flatnonzero(pc.is_in(old_ids, value_set=updated_ids).to_numpy(zero_copy_only=False))
        if len(where) != updated.num_rows:  # an updated row the previous snapshot does not hold: not ours to patch
            return None
        which = pc.index_in(old_ids.take(pa.array(where)), value_set=updated_ids).to_numpy(zero_copy_only=False)
        order = np.arange(old.num_rows, dtype=np.int64)
        order[where] = old.num_rows + which
    merged = {}
    for name in columns:
        before = old.column(name)
        if name in DICTIONARY_COLUMNS and pa.types.is_dictionary(before.type):
            codes = _dictionary_codes(before, updated.column(name), added.column(name), where=where, which=which)
            if codes is not None:
                merged[name] = codes
                continue
            before = before.cast(pa.string())  # encoded again when written, as a full read's table is
        # the driver types the columns of an empty result as it can (int64): the snapshot's types win
        before, changes, extra = _same_type([before, updated.column(name), added.column(name)])
        kept = before
        if order is not None and name != "id":  # an id never changes in place (a changed id is a deletion)
            kept = pa.chunked_array([*before.chunks, *_chunks(changes)], type=before.type).take(pa.array(order))
        merged[name] = pa.chunked_array([*kept.chunks, *_chunks(extra)], type=before.type)
    return pa.table(merged)


def _dictionary_codes(before: pa.ChunkedArray, changes: pa.Array | pa.ChunkedArray,
                      extra: pa.Array | pa.ChunkedArray, *, where: np.ndarray,
                      which: np.ndarray) -> pa.DictionaryArray | None:
    """Patch a dictionary column on its codes, never decoding its million values; None when it cannot.

    Row ``where[k]`` of ``before`` takes row ``which[k]`` of ``changes``; ``extra`` is appended.

    The result is what ``dictionary_encode`` gives for the whole patched column (values in order of first
    appearance, nulls as null codes), so that the file equals a full read's.
    """
    dictionaries = [chunk.dictionary for chunk in before.chunks]
    if not dictionaries or any(not d.equals(dictionaries[0]) for d in dictionaries[1:]):
        return None
    values = dictionaries[0]
    codes = np.concatenate([pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
                            for chunk in before.chunks]).astype(np.int64)  # -1: null
    text = [pa.chunked_array(_chunks(a), type=a.type).cast(pa.string()).combine_chunks() for a in (changes, extra)]
    fresh = pc.unique(pa.concat_arrays(text).drop_null())
    values = pa.concat_arrays([values, pc.filter(fresh, pc.invert(pc.is_in(fresh, value_set=values)))])
    changed_codes, extra_codes = (pc.fill_null(pc.index_in(t, value_set=values), -1).to_numpy(zero_copy_only=False)
                                  for t in text)
    if len(where):
        codes[where] = changed_codes[which]
    codes = np.concatenate([codes, extra_codes])
    present = codes >= 0
    first = pc.unique(pa.array(codes[present])).to_numpy(zero_copy_only=False)  # order of first appearance
    remap = np.full(len(values) + 1, -1, dtype=np.int64)
    remap[first] = np.arange(len(first))
    final = remap[codes]
    indices = pa.array(final.astype(np.int32), mask=~present)
    return pa.DictionaryArray.from_arrays(indices, values.take(pa.array(first)))


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def build(database: str, folder: Path, columns: list[str]) -> Path:
    """Write the snapshot of ``database``'s data version (``columns`` of every report); return its path."""
    conn = adbc.connect(f"file:{database}?mode=ro", autocommit=True)
    try:
        cur = conn.cursor()
        # SQLite has no column types: the driver infers them from the first batch, so one batch holds all rows
        # (a column NULL in its first rows and text further down would otherwise be refused).
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute("BEGIN")
        version = int(_scalar(cur, "SELECT value FROM meta WHERE key = 'data_version'") or 0)
        marks = _marks(cur)
        table = _updated(cur, folder, version, columns, marks) if marks is not None else None
        built = "incremental"
        if table is None:
            cur.execute(f"SELECT {_quoted(columns)} FROM reports")
            table = cur.fetch_arrow_table()
            built = "full"
        cur.execute("COMMIT")
        cur.close()
    finally:
        conn.close()
    if marks is not None:
        marks = {**marks, "rows": str(table.num_rows), "built": built}
    return write_snapshot(table, folder, version, marks=marks)


if __name__ == "__main__":
    print(build(sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(",")))
