"""Import a file of reports: recognise it, validate every row, assign neighbourhoods, store one batch.

Every row read ends up stored, quarantined with its reasons, or recognised as a duplicate, so that
``read == stored + duplicates + quarantined`` always holds. A batch is one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.export.safe_csv import write_csv
from geo.ingest.formats import detect_mapping
from geo.ingest.pipeline import ValidationJob, default_workers, validate_chunks
from geo.ingest.provenance import compress_file, raw_rows_by_number
from geo.ingest.readers import CHUNK_ROWS, open_source
from geo.ingest.territory import parse_crs
from geo.ingest.validation import PreparedRows, prepare_rows, report_tuples
from geo.store.database import Store
from geo.store.staging import scratch_folder
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
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    time_format: str | None = None
    encoding: str | None = None
    sep: str | None = None
    source: str | None = None
    category_map: Mapping[str, str] = field(default_factory=dict)
    crs: str | int | None = None
    timezone: str = "Europe/Paris"


@dataclass
class ImportSummary:
    """What an import did; ``read == stored + duplicates + quarantined``."""

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

    def counts(self) -> dict:
        """Return the machine-readable summary printed by ``python -m geo import``."""
        return {
            "read": self.read, "stored": self.stored, "duplicates": self.duplicates,
            "quarantined": self.quarantined, "outside_territory": self.outside_territory,
            "unknown_categories": dict(self.unknown_categories.most_common()),
            "swapped_coordinates": self.swapped_coordinates, "batch_id": self.batch_id,
            "format": self.format, "profile": self.profile,
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
    source = open_source(path, encoding=options.encoding, sep=options.sep, chunk_rows=chunk_rows, crs=options.crs)
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
    if workers is None:
        workers = default_workers(Path(path).stat().st_size)
    provenance = {"mapping": mapping.as_dict(), **source.details, "category_map": dict(options.category_map)}
    # The file is compressed (to be kept) in a thread -- zlib releases the GIL -- while this thread
    # reads the chunks and workers validate and stage them; nothing is written to the store yet.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="keep-file") as pool, \
            scratch_folder(store.scratch_dir) as stage_dir:
        kept = pool.submit(compress_file, path)
        job_encoding = source.details.get("encoding", options.encoding)
        job = ValidationJob(mapping=mapping, taxonomy=taxonomy, territory=territory, stage_dir=stage_dir,
                            crs=options.crs, category_map=dict(options.category_map), timezone=options.timezone,
                            now=now)
        staged = []
        # closed on any exception here too, so that the workers stop before their scratch folder goes
        with contextlib.closing(validate_chunks(job, source.chunks, workers=workers)) as validated_chunks:
            for validated in validated_chunks:
                staged.append(validated.staged)
                summary.read += validated.read
                summary.quarantined += validated.staged.rejected
                summary.unknown_categories.update(validated.unknown_categories)
                summary.swapped_coordinates += validated.swapped
                if on_progress:
                    on_progress(summary.read, max(source.estimated_rows, summary.read))
        parts = kept.result()
        with store.transaction(attach=[chunk.path for chunk in staged]) as conn:
            summary.batch_id = store.begin_batch(conn, source_name=source.name, content_hash=source.content_hash,
                                                 source_format=source.format, options=provenance,
                                                 imported_by=imported_by)
            stamp = int(time.time())
            reused = []
            for chunk in staged:
                loaded = store.load_staged(conn, chunk, batch_id=summary.batch_id, stamp=stamp)
                summary.stored += loaded.inside + loaded.outside
                summary.outside_territory += loaded.outside
                summary.duplicates += chunk.reports - loaded.inside - loaded.outside - len(loaded.reused)
                reused.extend(loaded.reused)
            if reused:
                raw = raw_rows_by_number(path, [r.row_number for r in reused], encoding=job_encoding,
                                         sep=source.details.get("separator", options.sep), crs=options.crs)
                store.insert_quarantine(conn, [r.quarantine_entry(batch_id=summary.batch_id, column=mapping.id,
                                                                  raw=raw.get(r.row_number, "{}")) for r in reused])
                summary.quarantined += len(reused)
                summary.warnings.append(
                    f"{len(reused)} ligne(s) reprennent l'identifiant d'un autre signalement, à une autre date ou "
                    "position : mises en quarantaine. Deux numérotations ? Importez avec --source NOM."
                )
            store.insert_source_parts(conn, summary.batch_id, parts)
            route_batch(conn, summary.batch_id)  # each report to its partner (geo.workflow.routing)
            store.finish_batch(conn, summary.batch_id, summary.counts())
    if summary.read == 0:
        summary.warnings.append("le fichier n'a qu'une ligne d'en-tête : aucune ligne lue")
    if summary.swapped_coordinates:
        summary.warnings.append(
            f"{summary.swapped_coordinates} ligne(s) avaient latitude et longitude inversées : corrigées "
            "(le point inversé tombe dans le territoire, le point donné non) et marquées lat_lon_swapped"
        )
    return summary


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
