"""Keep each imported file with its batch, and read a report's raw row back from it.

Writing one JSON text per report costs more than validating it; keeping the file itself (compressed,
in parts, inside the same transaction) is cheaper and keeps every byte, extra columns included.
"""

from __future__ import annotations

import json
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from geo.readers import GEOMETRY_COLUMNS, open_source
from geo.store import Store

__all__ = ["compress_file", "raw_row", "restore_file", "PART_BYTES"]

PART_BYTES = 8 << 20  # uncompressed bytes per part


def compress_file(path: Path | str, *, part_bytes: int = PART_BYTES) -> list[bytes]:
    """Return the file as zlib-compressed parts (level 1: fast; zlib releases the GIL while it works)."""
    parts = []
    with open(path, "rb") as fh:
        while block := fh.read(part_bytes):
            parts.append(zlib.compress(block, 1))
    return parts


def _decompressed(parts: list[bytes]) -> Iterator[bytes]:
    for part in parts:
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
        source = open_source(path, encoding=options.get("encoding"), sep=options.get("separator"))
        for chunk in source.chunks:
            if report["row_number"] in chunk.index:
                row = chunk.loc[report["row_number"]]
                return {c: row[c] for c in chunk.columns if c not in GEOMETRY_COLUMNS}
    return None
