"""Bring reports in.

read files of any supported format, validate each row, keep the file, store one batch; field entry; territories.
"""

from __future__ import annotations

from geo.ingest.batches import BatchRemoval, batch_table, remove_batch
from geo.ingest.entry import EntryResult, FieldEntry, record_report
from geo.ingest.formats import ColumnMapping, detect_mapping
from geo.ingest.importer import (
    ImportOptions,
    ImportSummary,
    import_file,
    read_category_map,
    rejects_table,
    write_rejects,
)
from geo.ingest.preview import FilePreview, preview_file
from geo.ingest.provenance import raw_row
from geo.ingest.readers import list_parts, open_source
from geo.ingest.recategorize import apply_category_map, unknown_labels
from geo.ingest.territory import assign_neighbourhoods, install_territory, read_boundaries
from geo.ingest.validation import PreparedRows, prepare_rows, report_tuples

__all__ = [
    "ImportOptions", "ImportSummary", "import_file", "rejects_table", "write_rejects", "read_category_map",
    "PreparedRows", "prepare_rows", "report_tuples", "open_source", "list_parts", "ColumnMapping", "detect_mapping",
    "FilePreview", "preview_file", "FieldEntry", "EntryResult", "record_report", "raw_row",
    "read_boundaries", "install_territory", "assign_neighbourhoods", "apply_category_map", "unknown_labels",
    "BatchRemoval", "remove_batch", "batch_table",
]
