"""Import a file of reports: recognise it, validate every row, assign neighbourhoods, store one batch.

Every row read ends up stored, quarantined with its reasons, or recognised as a duplicate, so that
``read == stored + duplicates + quarantined`` always holds. A batch is one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.export.safe_csv import write_csv
from geo.ingest.formats import ColumnMapping, detect_mapping, time_source_warning
from geo.ingest.pipeline import ValidationJob, Workers, default_workers, start_workers, validate_chunks
from geo.ingest.provenance import compress_file, raw_rows_by_number
from geo.ingest.readers import CHUNK_ROWS, GEOMETRY_COLUMNS, open_source
from geo.ingest.territory import assigns_in_database, parse_crs
from geo.ingest.timeparse import DAY_FIRST, OrderEvidence, date_order_warnings, order_evidence
from geo.ingest.validation import PreparedRows, prepare_rows, report_tuples
from geo.store.database import Store
from geo.store.staging import StagedChunk, scratch_folder
from geo.store.workflow_schema import route_batch
from geo.taxonomy import Taxonomy

__all__ = ["ImportOptions", "ImportSummary", "PreparedRows", "import_file", "prepare_rows", "write_rejects",
           "rejects_table", "read_category_map", "report_tuples"]

ProgressCallback = Callable[[int, int], None]
# What ``json.dumps(…, ensure_ascii=False, default=str)`` does, without building an encoder per quarantined row


@dataclass(frozen=True)
class ImportOptions:
    """How to read a file when its layout is not recognised on its own.

    Attributes
    ----------
    columns
        Column per field (``{"lat": "Y", "time": "Date"}``), as given by ``--lat``, ``--time``…
    time_format
        ``strptime`` format of the time column.
    encoding, sep
        Force the CSV encoding or separator.
    source
        Namespace of source ids (``--source``); defaults to the recognised profile.
    category_map
        Label -> category code, applied before the taxonomy's own labels.
    crs
        CRS of the coordinate columns when they are not WGS84 longitudes/latitudes (e.g. ``2154``); for
        GeoJSON and GeoPackage, the CRS of the file when it declares none or a wrong one.
    timezone
        Zone of times written without offset.
    sheet, layer
        The workbook sheet, or the GeoPackage layer / zip member, to read (name or number from 1); by default
        the only one holding rows, or all of them when they share one header.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    time_format: str | None = None
    encoding: str | None = None
    sep: str | None = None
    source: str | None = None
    category_map: Mapping[str, str] = field(default_factory=dict)
    crs: str | int | None = None
    timezone: str = "Europe/Paris"
    sheet: str | None = None
    layer: str | None = None


@dataclass
class ImportSummary:
    """What an import did; ``read == stored + duplicates + quarantined``.

    Attributes
    ----------
    mapping
        The column each field was read from (``None`` for unmapped fields), as used by the import.
    """

    source_name: str
    format: str
    profile: str
    batch_id: int | None = None
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    outside_territory: int = 0
    unknown_categories: Counter = field(default_factory=Counter)
    swapped_coordinates: int = 0
    warnings: list[str] = field(default_factory=list)
    mapping: dict[str, str | None] = field(default_factory=dict)

    def counts(self) -> dict:
        """Return the machine-readable summary printed by ``python -m geo import``."""
        return {
            "read": self.read, "stored": self.stored, "duplicates": self.duplicates,
            "quarantined": self.quarantined, "outside_territory": self.outside_territory,
            "unknown_categories": dict(self.unknown_categories.most_common()),
            "swapped_coordinates": self.swapped_coordinates, "batch_id": self.batch_id,
            "format": self.format, "profile": self.profile, "mapping": dict(self.mapping),
        }


def import_file(
    store: Store, path: Path | str, *, taxonomy: Taxonomy, options: ImportOptions | None = None,
    on_progress: ProgressCallback | None = None, now: pd.Timestamp | None = None, imported_by: str | None = None,
    chunk_rows: int = CHUNK_ROWS, workers: int | None = None,
) -> ImportSummary:
    """Import one file as one batch (all of it is stored, or nothing).

    The file's chunks are validated and staged first (:mod:`geo.ingest.pipeline`); then one short
    transaction records the batch, loads the staged rows and keeps the file.

    Parameters
    ----------
    store
        Where reports go.
    path
        CSV, XLSX, GeoJSON, GeoPackage or Open311 JSON file.
    taxonomy
        Categories to match labels against.
    options
        Columns and formats the file's layout does not tell.
    on_progress
        Called with (rows validated so far, estimated total) after each chunk.
    chunk_rows
        Rows validated at a time (CSV only; other formats are read whole).
    workers
        Worker processes that validate while this one reads; ``None`` decides by file size and cores,
        0 validates in this process.

    Raises
    ------
    InputError
        When the file cannot be read or its columns cannot be mapped; nothing is stored then.
    """
    options = options or ImportOptions()
    if options.crs is not None:
        parse_crs(options.crs)  # refuse an unknown CRS before anything is read
    if workers is None:
        workers = default_workers(_file_size(path))
    # the workers start now, while this process reads the file's head (encoding, columns, order of dates)
    with start_workers(workers) as started:
        return _import_file(store, path, taxonomy=taxonomy, options=options, on_progress=on_progress, now=now,
                            imported_by=imported_by, chunk_rows=chunk_rows, workers=workers, started=started)


def _file_size(path: Path | str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:  # open_source says what is wrong with the path
        return 0


def _import_file(
    store: Store, path: Path | str, *, taxonomy: Taxonomy, options: ImportOptions,
    on_progress: ProgressCallback | None, now: pd.Timestamp | None, imported_by: str | None, chunk_rows: int,
    workers: int, started: Workers | None,
) -> ImportSummary:
    reader = partial(open_source, path, encoding=options.encoding, sep=options.sep, chunk_rows=chunk_rows,
                     crs=options.crs,
                     sheet=options.sheet, layer=options.layer)
    source = reader()
    overrides = {**options.columns, "time_format": options.time_format}
    mapping = detect_mapping(source.columns, overrides=overrides, source=options.source)
    summary = ImportSummary(source.name, source.format, mapping.profile)
    territory = store.load_territory()
    if territory.empty:
        summary.warnings.append("aucun territoire chargé : tous les points sont comptés hors territoire")
    earlier = store.find_batches(content_hash=source.content_hash)
    if earlier:
        summary.warnings.append(
            f"ce fichier a déjà été importé (lot {', '.join(map(str, earlier))}) : ses lignes déjà enregistrées "
            "sont comptées comme doublons"
        )
    if (from_metadata := time_source_warning(mapping)) is not None:
        summary.warnings.append(from_metadata)
    # PostGIS assigns after the COPY
    in_database = not territory.empty and assigns_in_database(store, _file_size(path))
    mapping, chunks = _decide_date_order(mapping, source.chunks)
    # The file is compressed (to be kept) in a thread -- zlib releases the GIL -- while this thread
    # reads the chunks and workers validate and stage them; nothing is written to the store yet.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-file") as pool, \
            scratch_folder(store.scratch_dir) as stage_dir:
        kept = pool.submit(compress_file, path)
        job_encoding = source.details.get("encoding", options.encoding)
        job = ValidationJob(mapping=mapping, taxonomy=taxonomy, territory=territory,
                            stage_dir=_attempt_folder(stage_dir, 1), crs=options.crs,
                            category_map=dict(options.category_map), timezone=options.timezone, now=now,
                            assign_in_database=in_database)
        try:
            validated = _validate_all(job, chunks, workers=workers, started=started, on_progress=on_progress,
                                      estimated=source.estimated_rows)
        finally:
            if started is not None:  # before the load (staging files closed, memory freed), or the scratch
                started.close()  # folder's removal on an error
        whole_column = validated.evidence.order()
        if (whole_column or DAY_FIRST) != (mapping.date_order or DAY_FIRST):
            # the rest of the file outweighs its first rows: validate it all again in the whole column's order
            mapping = replace(mapping, date_order=whole_column)
            job = replace(job, mapping=mapping, stage_dir=_attempt_folder(stage_dir, 2))
            validated = _validate_all(job, reader().chunks, workers=workers, on_progress=on_progress,
                                      estimated=source.estimated_rows)
        summary.mapping = {name: "geometry" if column in GEOMETRY_COLUMNS else column
                           for name, column in mapping.columns().items()}
        summary.read, summary.quarantined = validated.read, validated.quarantined
        summary.unknown_categories.update(validated.unknown_categories)
        summary.swapped_coordinates = validated.swapped
        staged = validated.staged
        provenance = {"mapping": mapping.as_dict(), **source.details, "category_map": dict(options.category_map)}
        summary.warnings.extend(source.warnings)  # after the chunks: reading them may add some
        parts = kept.result()
        with store.transaction(attach=[chunk.path for chunk in staged]) as conn:
            summary.batch_id = store.begin_batch(conn, source_name=source.name, content_hash=source.content_hash,
                                                 source_format=source.format, options=provenance,
                                                 imported_by=imported_by)
            stamp = int(time.time())
            reused = []
            routed = True
            for chunk in staged:
                loaded = store.load_staged(conn, chunk, batch_id=summary.batch_id, stamp=stamp,
                                           assign_in_database=in_database)
                routed = routed and loaded.routed
                summary.stored += loaded.inside + loaded.outside
                summary.outside_territory += loaded.outside
                summary.duplicates += chunk.reports - loaded.inside - loaded.outside - len(loaded.reused)
                reused.extend(loaded.reused)
            if reused:
                raw = raw_rows_by_number(path, [r.row_number for r in reused], encoding=job_encoding,
                                         sep=source.details.get("separator", options.sep), crs=options.crs,
                                         sheet=options.sheet, layer=options.layer)
                store.insert_quarantine(conn, [r.quarantine_entry(batch_id=summary.batch_id, column=mapping.id,
                                                                  raw=raw.get(r.row_number, "{}")) for r in reused])
                summary.quarantined += len(reused)
                summary.warnings.append(
                    f"{len(reused)} ligne(s) reprennent l'identifiant d'un autre signalement, à une autre date ou "
                    "position : mises en quarantaine. Deux numérotations ? Importez avec --source NOM."
                )
            store.insert_source_parts(conn, summary.batch_id, parts)
            if summary.stored >= _ANALYZE_FROM:
                store.refresh_statistics(conn)
            if not routed:  # the bulk load routes each report as it stores it; row by row, route them now
                route_batch(conn, summary.batch_id)
            store.finish_batch(conn, summary.batch_id, summary.counts())
    if mapping.time is not None:
        summary.warnings.extend(date_order_warnings(validated.evidence, mapping.time, batch_id=summary.batch_id))
    if summary.read == 0:
        summary.warnings.append("le fichier n'a qu'une ligne d'en-tête : aucune ligne lue")
    if summary.swapped_coordinates:
        summary.warnings.append(
            f"{summary.swapped_coordinates} ligne(s) avaient latitude et longitude inversées : corrigées "
            "(le point inversé tombe dans le territoire, le point donné non) et marquées lat_lon_swapped"
        )
    return summary


# Reports stored by one import from which the database's statistics are refreshed (PostgreSQL)
_ANALYZE_FROM = 10_000
# Rows read ahead, at most, to decide the order of day and month before any chunk is validated
_DECIDE_ROWS = 200_000


def _decide_date_order(mapping: ColumnMapping, chunks: Iterator[pd.DataFrame]
                       ) -> tuple[ColumnMapping, Iterator[pd.DataFrame]]:
    """Decide the order of day and month of the time column before any chunk is validated.

    Chunks are read ahead (and kept) until a value reads only one way (``25/03`` or ``03/25``) or
    :data:`_DECIDE_ROWS` rows are read; every chunk of the file is then validated in that one order.
    :func:`import_file` checks it against the whole column afterwards.

    Returns
    -------
    tuple
        The mapping with its ``date_order``, and every chunk of the file (those read ahead first).
    """
    if mapping.time is None or mapping.time_format:
        return mapping, chunks
    ahead: list[pd.DataFrame] = []
    evidence, rows = OrderEvidence(), 0
    for chunk in chunks:
        ahead.append(chunk)
        evidence += order_evidence(chunk[mapping.time])
        rows += len(chunk)
        if evidence.decided or rows >= _DECIDE_ROWS:
            break
    return replace(mapping, date_order=evidence.order()), itertools.chain(ahead, chunks)


@dataclass
class _Validated:
    """The chunks of one file, validated and staged, and what they add up to."""

    staged: list[StagedChunk] = field(default_factory=list)
    read: int = 0
    quarantined: int = 0
    unknown_categories: Counter = field(default_factory=Counter)
    swapped: int = 0
    evidence: OrderEvidence = field(default_factory=OrderEvidence)


def _attempt_folder(stage_dir: str, attempt: int) -> str:
    folder = Path(stage_dir) / f"attempt-{attempt}"
    folder.mkdir()
    return str(folder)


def _validate_all(job: ValidationJob, chunks: Iterable[pd.DataFrame], *, workers: int,
                  on_progress: ProgressCallback | None, estimated: int, started: Workers | None = None
                  ) -> _Validated:
    done = _Validated()
    # closed on any exception here too, so that the workers stop before their scratch folder goes
    with contextlib.closing(validate_chunks(job, chunks, workers=workers, started=started)) as validated_chunks:
        for validated in validated_chunks:
            done.staged.append(validated.staged)
            done.read += validated.read
            done.quarantined += validated.staged.rejected
            done.unknown_categories.update(validated.unknown_categories)
            done.swapped += validated.swapped
            done.evidence += validated.evidence
            if on_progress:
                on_progress(done.read, max(estimated, done.read))
    return done


def rejects_table(quarantined: pd.DataFrame) -> pd.DataFrame:
    """Return quarantined rows (from :meth:`Store.read_quarantine`) one line per reason, for people."""
    records = [
        {"ligne": row.row_number, "colonne": reason["column"], "valeur": reason["value"], "motif": reason["reason"],
         "ligne_brute": json.dumps(row.raw, ensure_ascii=False)}
        for row in quarantined.itertuples(index=False) for reason in row.reasons
    ]
    return pd.DataFrame.from_records(records, columns=["ligne", "colonne", "valeur", "motif", "ligne_brute"])


def write_rejects(quarantined: pd.DataFrame, path: Path | str) -> int:
    """Write quarantined rows as CSV for Excel (UTF-8 with BOM, ``;``), formulas neutralised.

    Returns
    -------
    int
        The number of lines written (one per reason).
    """
    return write_csv(rejects_table(quarantined), path)


def read_category_map(path: Path | str) -> dict[str, str]:
    """Read a label -> category code map from JSON (an object) or CSV (two columns: label, code)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            if not isinstance(data, dict):
                raise InputError(f"{path.name} : un objet JSON {{libellé: code}} est attendu")
            return {str(k): str(v) for k, v in data.items()}
        with open(path, encoding="utf-8-sig", newline="") as fh:
            sample = fh.readline()
            fh.seek(0)
            sep = ";" if sample.count(";") >= sample.count(",") else ","
            rows = [r for r in csv.reader(fh, delimiter=sep) if r]
    except OSError as exc:
        raise InputError(f"table de correspondance illisible : {exc}") from exc
    if rows and [c.strip().lower() for c in rows[0][:2]] in (["label", "code"], ["libelle", "code"],
                                                            ["libellé", "code"]):
        rows = rows[1:]
    bad = [r for r in rows if len(r) < 2]
    if bad:
        raise InputError(f"{path.name} : chaque ligne doit avoir deux colonnes (libellé, code) ; trouvé {bad[0]}")
    return {r[0].strip(): r[1].strip() for r in rows}
