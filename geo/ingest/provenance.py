"""Keep each imported file with its batch, and read a report's raw row back from it.

Writing one JSON text per report costs more than validating it; keeping the file itself (compressed,
in parts, inside the same transaction) is cheaper and keeps every byte, extra columns included.
"""

from __future__ import annotations

import json
import struct
import tempfile
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path

import pyarrow as pa

from geo.ingest.readers import GEOMETRY_COLUMNS, open_source, raw_rows_json
from geo.store.database import Store

__all__ = ["compress_file", "raw_row", "restore_file", "raw_rows_by_number", "PART_BYTES"]

PART_BYTES = 8 << 20  # uncompressed bytes per part
# A part is this tag, its uncompressed size (8 bytes, little-endian) and a Zstandard frame. Stores written
# before it kept zlib streams (which start with 0x78), read back as they are.
_ZSTD_TAG = b"ZST1"
_HEADER = struct.Struct("<4sQ")


def compress_file(path: Path | str, *, part_bytes: int = PART_BYTES) -> list[bytes]:
    """Return the file as compressed parts.

    Zstandard level 1 (through pyarrow): three times as fast as zlib's fastest level, and smaller;
    it releases the GIL, so a thread compresses while the import goes on.
    """
    codec = pa.Codec("zstd", compression_level=1)
    parts = []
    with open(path, "rb") as fh:
        while block := fh.read(part_bytes):
            parts.append(_HEADER.pack(_ZSTD_TAG, len(block)) + codec.compress(block, asbytes=True))
    return parts


def _decompressed(parts: list[bytes]) -> Iterator[bytes]:
    codec = pa.Codec("zstd")
    for part in parts:
        if part[:len(_ZSTD_TAG)] == _ZSTD_TAG:
            _, size = _HEADER.unpack_from(part)
            yield codec.decompress(memoryview(part)[_HEADER.size:], decompressed_size=size, asbytes=True)
        else:
            yield zlib.decompress(part)


def restore_file(store: Store, batch_id: int, folder: Path) -> Path | None:
    """Write a batch's kept file into ``folder`` under its original name; ``None`` if none was kept."""
    batch = store.get_batch(batch_id)
    parts = store.read_source_parts(batch_id)
    if batch is None or not parts:
        return None
    target = folder / Path(batch["source_name"]).name
    with open(target, "wb") as fh:
        for block in _decompressed(parts):
            fh.write(block)
    return target


def raw_row(store: Store, report_id: str) -> dict[str, str] | None:
    """Return the row a report was imported from, as ``{column: text}`` exactly as in the file.

    Returns ``None`` for an unknown report, or one whose batch kept no file and no raw text.
    """
    report = store.get_report(report_id)
    if report is None:
        return None
    if report.get("raw"):
        return json.loads(report["raw"])
    if report.get("row_number") is None or report.get("batch_id") is None:
        return None
    batch = store.get_batch(report["batch_id"])
    options = batch["options"] if batch else {}
    with tempfile.TemporaryDirectory(prefix="veille-raw-") as tmp:
        path = restore_file(store, report["batch_id"], Path(tmp))
        if path is None:
            return None
        source = open_source(path, encoding=options.get("encoding"), sep=options.get("separator"),
                             sheet=options.get("sheet"), layer=options.get("layer") or options.get("archive_member"))
        for chunk in source.chunks:
            if report["row_number"] in chunk.index:
                row = chunk.loc[report["row_number"]]
                return {c: row[c] for c in chunk.columns if c not in GEOMETRY_COLUMNS}
    return None


def raw_rows_by_number(path: Path | str, numbers: Collection[int], **options: object) -> dict[int, str]:
    """Read the rows ``numbers`` of a file again, as JSON objects of their text cells (``{number: json}``).

    Parameters
    ----------
    options
        How to read the file (``encoding``, ``sep``, ``crs``), as for :func:`geo.ingest.readers.open_source`.
    """
    wanted = set(numbers)
    found: dict[int, str] = {}
    if not wanted:
        return found
    for chunk in open_source(path, **options).chunks:
        rows = chunk.loc[chunk.index.isin(wanted), [c for c in chunk.columns if c not in GEOMETRY_COLUMNS]]
        found.update(raw_rows_json(rows).to_dict())
        if len(found) == len(wanted):
            break
    return found
