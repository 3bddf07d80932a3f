"""Look at a file before importing it: recognised layout, column mapping and the first rows' problems."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.ingest.formats import ColumnMapping, describe_mapping, detect_mapping, time_source_warning
from geo.ingest.importer import ImportOptions, prepare_rows
from geo.ingest.readers import open_source
from geo.ingest.timeparse import date_order_warnings, order_evidence
from geo.taxonomy import Taxonomy

__all__ = ["FilePreview", "preview_file"]


@dataclass
class FilePreview:
    """What a file looks like to the importer.

    Attributes
    ----------
    columns
        The file's columns.
    mapping
        The recognised mapping, or ``None`` when required fields are missing (see ``problem``).
    rows
        The first rows with a ``problèmes`` column (empty when the row would be stored).
    warnings
        What the reader noticed in the file (sheets read together, title lines, encodings, suspicious text),
        then what the import would warn about the mapping: time taken from form metadata, order of day and
        month in dates (decided on the first :data:`ORDER_SAMPLE_ROWS` rows; the import decides on the whole
        file).
    """

    format: str
    details: dict
    columns: list[str]
    mapping: ColumnMapping | None
    problem: str | None
    rows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    def mapping_lines(self) -> list[str]:
        """Return the mapping in French, one line per field: ``Date d'observation ← colonne « start »``."""
        return describe_mapping(self.mapping) if self.mapping is not None else []


ORDER_SAMPLE_ROWS = 10_000
"""Rows of a file the preview reads to tell the order of day and month of its dates."""


def preview_file(path: Path | str, *, taxonomy: Taxonomy, territory: gpd.GeoDataFrame,
                 options: ImportOptions | None = None, rows: int = 20) -> FilePreview:
    """Open ``path`` and validate its first ``rows`` rows without storing anything.

    Raises
    ------
    InputError
        When the file itself cannot be read (encoding, separator, empty file…).
    """
    options = options or ImportOptions()
    source = open_source(path, encoding=options.encoding, sep=options.sep, chunk_rows=max(rows, ORDER_SAMPLE_ROWS),
                         crs=options.crs,
                         sheet=options.sheet, layer=options.layer)
    sample = next(iter(source.chunks), pd.DataFrame(columns=source.columns))
    first = sample.head(rows)
    visible = [c for c in first.columns if not c.startswith("__")]
    try:
        mapping = detect_mapping(source.columns, overrides={**options.columns, "time_format": options.time_format},
                                 source=options.source)
    except InputError as exc:
        return FilePreview(source.format, source.details, visible, None, str(exc), first[visible], source.warnings)
    warnings = [w for w in [time_source_warning(mapping)] if w]
    if mapping.time is not None and not mapping.time_format:
        evidence = order_evidence(sample[mapping.time])
        mapping = replace(mapping, date_order=evidence.order())
        warnings += date_order_warnings(evidence, mapping.time)
    prepared = prepare_rows(first, mapping, taxonomy=taxonomy, territory=territory,
                            category_map=options.category_map, timezone=options.timezone, crs=options.crs)
    problems = {item["row_number"]: "; ".join(f"{r['column']} : {r['reason']}" for r in json.loads(item["reasons"]))
                for item in prepared.rejected}
    table = first[visible].copy()
    table.insert(0, "problèmes", [problems.get(i, "") for i in first.index])
    table.insert(0, "ligne", first.index)
    return FilePreview(source.format, source.details, visible, mapping, None, table, [*source.warnings, *warnings])
