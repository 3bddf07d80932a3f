"""Snapshot files: their names, their dictionary encoding and their atomic writing (pyarrow only).

Kept apart from :mod:`geo.store.snapshot` so that the child process that builds a snapshot imports nothing
but pyarrow and the ADBC driver.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["DICTIONARY_COLUMNS", "snapshot_path", "snapshot_version", "write_snapshot", "PREFIX", "snapshot_marks",
           "previous_snapshot"]

# Low-cardinality text columns stored as dictionaries (integer codes in memory).
DICTIONARY_COLUMNS: tuple[str, ...] = ("category", "registre", "status", "neighbourhood", "team", "partner")
PREFIX = "reports-v"
_MARK = "veille."


def snapshot_path(folder: Path, version: int) -> Path:
    """Return the file of the snapshot of data version ``version`` in ``folder``."""
    return folder / f"{PREFIX}{version}.parquet"


def snapshot_version(path: Path) -> int | None:
    """Return the data version a snapshot file is named after (``None`` for another file)."""
    try:
        return int(path.stem[len(PREFIX):]) if path.name.startswith(PREFIX) else None
    except ValueError:
        return None


def _encode(table: pa.Table) -> pa.Table:
    """Dictionary-encode the low-cardinality text columns of ``table``."""
    for name in DICTIONARY_COLUMNS:
        index = table.schema.get_field_index(name)
        if index >= 0 and not pa.types.is_dictionary(table.schema.field(index).type):
            column = table.column(index).cast(pa.string())
            table = table.set_column(index, name, column.dictionary_encode())
    return table


def write_snapshot(table: pa.Table, folder: Path, version: int, *, marks: dict[str, str] | None = None) -> Path:
    """Write ``table`` as the snapshot of ``version`` (atomically) and remove older snapshots; return its path.

    ``marks`` are kept in the file's metadata (:func:`snapshot_marks`): what an SQLite store's next snapshot
    needs to be brought up to date from this one.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = snapshot_path(folder, version)
    fd, tmp = tempfile.mkstemp(prefix=".building-", suffix=".parquet", dir=folder)
    os.close(fd)
    encoded = _encode(table)
    if marks:
        encoded = encoded.replace_schema_metadata({**(encoded.schema.metadata or {}),
                                                   **{f"{_MARK}{k}".encode(): str(v).encode()
                                                      for k, v in marks.items()}})
    try:
        pq.write_table(encoded, tmp, compression="lz4", row_group_size=256 * 1024)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    for old in folder.glob(f"{PREFIX}*.parquet"):
        number = snapshot_version(old)
        if number is not None and number < version:
            try:
                old.unlink()
            except OSError:
                continue
    return target


def snapshot_marks(path: Path) -> dict[str, str]:
    """Return the marks :func:`write_snapshot` kept in a snapshot file (none for a file written without)."""
    metadata = pq.read_schema(path).metadata or {}
    return {k.decode()[len(_MARK):]: v.decode() for k, v in metadata.items() if k.decode().startswith(_MARK)}


def previous_snapshot(folder: Path, version: int) -> Path | None:
    """Return the newest snapshot in ``folder`` older than ``version``, if any."""
    found = [(number, path) for path in folder.glob(f"{PREFIX}*.parquet")
             if (number := snapshot_version(path)) is not None and number < version]
    return max(found)[1] if found else None
