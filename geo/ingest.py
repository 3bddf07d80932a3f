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
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

from geo.errors import InputError
from geo.formats import ColumnMapping, detect_mapping
from geo.identity import REUSED_IN_FILE, reused_in_chunk
from geo.pipeline import ValidationJob, default_workers, validate_chunks
from geo.provenance import compress_file, raw_rows_by_number
from geo.readers import CHUNK_ROWS, GEOMETRY_COLUMNS, open_source, raw_rows_json
from geo.staging import scratch_folder
from geo.store import REPORT_FIELDS, Store
from geo.taxonomy import Taxonomy
from geo.territory import assign_neighbourhoods, parse_crs
from geo.timeparse import parse_times

__all__ = ["ImportOptions", "ImportSummary", "PreparedRows", "import_file", "prepare_rows", "write_rejects",
           "rejects_table", "read_category_map", "report_tuples"]

EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
FUTURE_TOLERANCE = pd.Timedelta(minutes=10)
ProgressCallback = Callable[[int, int], None]
# What ``json.dumps(…, ensure_ascii=False, default=str)`` does, without building an encoder per quarantined row
_REASONS_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


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


@dataclass
class PreparedRows:
    """One chunk after validation: rows to store, rows to quarantine, and what was noticed."""

    valid: pd.DataFrame
    rejected: list[dict]
    unknown_categories: Counter
    swapped: int


# Plain decimals ("-47.334518"), read by Arrow; of at most 15 digits, so that every parser gives the same,
# correctly rounded, double
_PLAIN_DECIMAL = r"^-?[0-9]+\.[0-9]+$"
_PLAIN_DIGITS = 15


def _numbers(text: pd.Series) -> pd.Series:
    """Read numbers written with a decimal point or comma (``47,33``); ``NaN`` where unreadable.

    Plain decimals are cast by Arrow; the other cells (integers, exponents, errors…) go through
    ``pd.to_numeric``, which gives the same doubles for plain decimals, only slower.
    """
    cleaned = text.fillna("").astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    cells = pa.array(cleaned)
    comma_decimal = pc.and_not(pc.match_substring(cells, ","), pc.match_substring(cells, "."))
    cells = pc.if_else(comma_decimal, pc.replace_substring(cells, ",", "."), cells)
    cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, type=cells.type), cells)
    longest = pc.add(pc.cast(pc.starts_with(cells, "-"), pa.int32()), _PLAIN_DIGITS + 1)
    plain = pc.and_(pc.match_substring_regex(cells, _PLAIN_DECIMAL), pc.less_equal(pc.binary_length(cells), longest))
    plain = pc.fill_null(plain, False).to_numpy(zero_copy_only=False)
    if not plain.any():
        return pd.to_numeric(pd.Series(cells.to_numpy(zero_copy_only=False), index=text.index), errors="coerce")
    values = np.full(len(text), np.nan)
    values[plain] = pc.cast(cells.filter(plain), pa.float64()).to_numpy(zero_copy_only=False)
    if not plain.all():
        # a plain decimal makes ``pd.to_numeric`` return doubles: the other cells must read as doubles too
        others = pd.to_numeric(cells.filter(~plain).to_numpy(zero_copy_only=False), errors="coerce")
        if others.dtype != np.float64:
            return pd.to_numeric(pd.Series(cells.to_numpy(zero_copy_only=False), index=text.index),
                                 errors="coerce")
        values[~plain] = others
    return pd.Series(values, index=text.index)


class _Reasons:
    """Collects (row, column, value, reason) entries, vectorised per check."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.bad = pd.Series(False, index=index)
        self.entries: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, column: str | None, values: pd.Series | None, reason: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        self.bad |= mask
        vals = values[mask] if values is not None else pd.Series("", index=mask.index[mask])
        self.entries.append(pd.DataFrame({"row": mask.index[mask], "column": column or "",
                                          "value": vals.astype(str).to_numpy(), "reason": reason}))

    def grouped(self) -> dict[int, list[dict]]:
        if not self.entries:
            return {}
        table = pd.concat(self.entries, ignore_index=True).sort_values("row", kind="stable")
        grouped: dict[int, list[dict]] = {}
        # columns as lists of Python values, as ``to_dict("records")`` would give them, without a frame per row
        for row, column, value, reason in zip(*(table[name].tolist() for name in ("row", "column", "value", "reason")),
                                              strict=True):
            grouped.setdefault(row, []).append({"row": row, "column": column, "value": value, "reason": reason})
        return grouped


def _coordinates(chunk: pd.DataFrame, mapping: ColumnMapping, reasons: _Reasons, crs: str | int | None
                 ) -> tuple[pd.Series, pd.Series]:
    lat_text, lon_text = chunk[mapping.lat], chunk[mapping.lon]
    lat, lon = _numbers(lat_text), _numbers(lon_text)
    for values, text, column, name in ((lat, lat_text, mapping.lat, "latitude"), (lon, lon_text, mapping.lon,
                                                                                "longitude")):
        empty = text.fillna("").astype(str).str.strip().eq("")
        reasons.add(empty, column, text, f"{name} manquante")
        reasons.add(values.isna() & ~empty, column, text, f"{name} non numérique")
    source_crs = parse_crs(crs) if crs is not None else None
    if source_crs is not None and not source_crs.equals("EPSG:4326"):
        transformer = pyproj.Transformer.from_crs(source_crs, "EPSG:4326", always_xy=True)
        x, y = transformer.transform(lon.to_numpy(dtype=float), lat.to_numpy(dtype=float))
        lon, lat = pd.Series(x, index=chunk.index), pd.Series(y, index=chunk.index)
    return lat, lon


def _place(lat: pd.Series, lon: pd.Series, mapping: ColumnMapping, chunk: pd.DataFrame, reasons: _Reasons, *,
           territory: gpd.GeoDataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Assign neighbourhoods, detect swapped latitude/longitude, reject impossible positions."""
    y, x = lat.to_numpy(dtype=float), lon.to_numpy(dtype=float)
    numeric = ~np.isnan(y) & ~np.isnan(x)  # NaN compares false: the range tests need no mask
    in_range = (y >= -90) & (y <= 90) & (x >= -180) & (x <= 180)
    swapped_range = (x >= -90) & (x <= 90) & (y >= -180) & (y <= 180)
    found = np.full(len(y), np.nan, dtype=object)  # as ``pd.Series(None, dtype=object)``: NaN where not assigned
    swapped = pd.Series(False, index=lat.index)
    if not territory.empty:
        found[in_range] = assign_neighbourhoods(x[in_range], y[in_range], territory)
        retry = swapped_range & pd.isna(found)
        if retry.any():
            alt = pd.Series(assign_neighbourhoods(y[retry], x[retry], territory), index=lat.index[retry], dtype=object)
            hit = alt.notna().reindex(lat.index, fill_value=False)
            swapped = hit
            found[hit.to_numpy()] = alt[hit[hit].index].to_numpy()
            lat, lon = lat.where(~hit, lon), lon.where(~hit, lat)
    codes = pd.Series(found, index=lat.index, dtype=object)
    numeric = pd.Series(numeric, index=lat.index)
    in_range = pd.Series(in_range, index=lat.index)
    reasons.add(numeric & ~in_range & ~swapped & lat.abs().gt(90), mapping.lat, chunk[mapping.lat],
                "latitude hors de [-90, 90]")
    reasons.add(numeric & ~in_range & ~swapped & lon.abs().gt(180), mapping.lon, chunk[mapping.lon],
                "longitude hors de [-180, 180]")
    reasons.add(numeric & lat.eq(0) & lon.eq(0), mapping.lat, chunk[mapping.lat],
                "position (0, 0) : point GPS absent ?")
    return lat, lon, codes, swapped


def _times(chunk: pd.DataFrame, mapping: ColumnMapping, reasons: _Reasons, *, timezone: str, now: pd.Timestamp
           ) -> pd.Series:
    text = chunk[mapping.time]
    clock = chunk[mapping.clock] if mapping.clock else None
    times = parse_times(text, timezone=timezone, fmt=mapping.time_format, naive_is_utc=mapping.time_is_utc,
                        clock=clock)
    empty = text.fillna("").astype(str).str.strip().eq("")
    expected = f"format {mapping.time_format}" if mapping.time_format else "jj/mm/aaaa hh:mm ou ISO 8601"
    reasons.add(empty, mapping.time, text, "date manquante")
    reasons.add(times.isna() & ~empty, mapping.time, text, f"date illisible (attendu {expected})")
    reasons.add(times > now + FUTURE_TOLERANCE, mapping.time, text, "date dans le futur")
    reasons.add(times < EARLIEST, mapping.time, text, "date antérieure à 2000")
    return times


# Code points of the two hexadecimal digits of each byte value, for printing hashes without a loop
_HEX_PAIRS = np.array([[ord(a), ord(b)] for a, b in (f"{byte:02x}" for byte in range(256))], dtype=np.uint32)


def _content_ids(observed: pd.Series, lat: pd.Series, lon: pd.Series, labels: pd.Series, desc: pd.Series
                 ) -> pd.Series:
    """Return ``h:`` and the 16 hex digits of a hash of (time, position, label, description), per row."""
    key = pd.DataFrame({"t": observed.astype("int64"), "lat": lat.round(6), "lon": lon.round(6),
                        "c": labels.astype(str), "d": desc.astype(str)})
    hashes = pd.util.hash_pandas_object(key, index=False).to_numpy(dtype=np.uint64)
    # the big-endian bytes of each hash, each printed as two digits, behind "h:" (as f"h:{h:016x}")
    digits = _HEX_PAIRS[hashes.astype(">u8").view(np.uint8)].reshape(len(hashes), 16)
    text = np.empty((len(hashes), 18), dtype=np.uint32)
    text[:, 0], text[:, 1], text[:, 2:] = ord("h"), ord(":"), digits
    return pd.Series(text.view("U18").ravel().astype(object), index=observed.index, dtype=object)


def _stripped(chunk: pd.DataFrame, column: str | None, rows: np.ndarray | None = None) -> pd.Series | None:
    """Return the cells of ``column`` (of the ``rows`` mask, if given) as stripped text, ``""`` where missing."""
    if column is None:
        return None
    cells = chunk[column] if rows is None else chunk[column][rows]
    return cells.fillna("").astype(str).str.strip()


def _optional(text: pd.Series | None, index: pd.Index, *, empty: object = None) -> pd.Series:
    """Return stripped text cells as objects, ``empty`` where empty (everywhere when there is no column).

    Python strings are made once per distinct value (files repeat teams, authors and comments).
    """
    if text is None:
        return pd.Series(None, index=index, dtype=object)
    codes, uniques = pd.factorize(text, use_na_sentinel=False)
    values = np.asarray(uniques, dtype=object)
    values[values == ""] = empty
    return pd.Series(values.take(codes), index=text.index, dtype=object)


def _per_distinct(values: pd.Series, mapper: Callable[[object], object] | Mapping) -> pd.Series:
    """Return ``values.map(mapper)``, calling ``mapper`` once per distinct value (same values, same dtype)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = pd.Series(uniques).map(mapper)
    return pd.Series(mapped.array.take(codes), index=values.index)


def prepare_rows(
    chunk: pd.DataFrame, mapping: ColumnMapping, *, taxonomy: Taxonomy, territory: gpd.GeoDataFrame,
    category_map: Mapping[str, str] | None = None, timezone: str = "Europe/Paris", now: pd.Timestamp | None = None,
    crs: str | int | None = None,
) -> PreparedRows:
    """Validate one chunk of raw text rows and build the report rows to store.

    Parameters
    ----------
    chunk
        Text cells indexed by row number (as given by :func:`geo.readers.open_source`).
    mapping
        Which column holds which field.
    taxonomy, territory
        Categories to match labels against; neighbourhoods to assign (may be empty).

    Returns
    -------
    PreparedRows
        ``valid`` has the columns of :data:`geo.store.REPORT_FIELDS` but ``batch_id``.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    reasons = _Reasons(chunk.index)
    source_columns = [c for c in chunk.columns if c not in GEOMETRY_COLUMNS]
    if "__geometry_type__" in chunk:
        kind = chunk["__geometry_type__"]
        reasons.add(kind.ne("Point"), "geometry", kind, "géométrie non ponctuelle : un point est attendu")
    # points read from a geometry are already WGS84 (the reader applied the file's CRS, or ``crs``)
    lat, lon = _coordinates(chunk, mapping, reasons, None if mapping.lat in GEOMETRY_COLUMNS else crs)
    lat, lon, codes, swapped = _place(lat, lon, mapping, chunk, reasons, territory=territory)
    observed = _times(chunk, mapping, reasons, timezone=timezone, now=now)
    labels = _stripped(chunk, mapping.category)
    categories, unknown = taxonomy.match_categories(labels, extra=category_map)
    severity, bad_severity = (taxonomy.parse_severity(chunk[mapping.severity], categories) if mapping.severity
                              else (categories.map(taxonomy.default_severities()),
                                    pd.Series(False, index=chunk.index)))
    reasons.add(bad_severity, mapping.severity, chunk[mapping.severity] if mapping.severity else None,
                "gravité inconnue (attendu 1, 2, 3 ou gêne / à traiter / danger)")
    status, bad_status = (taxonomy.parse_status(chunk[mapping.status]) if mapping.status
                          else (pd.Series("nouveau", index=chunk.index, dtype=object),
                                pd.Series(False, index=chunk.index)))
    reasons.add(bad_status, mapping.status, chunk[mapping.status] if mapping.status else None,
                f"statut inconnu (attendu l'un de {sorted(taxonomy.statuses)})")
    if mapping.id:
        ids_text = _stripped(chunk, mapping.id)
        candidates = ~reasons.bad.to_numpy(dtype=bool) & ids_text.ne("").to_numpy(dtype=bool)
        reused = reused_in_chunk(ids_text, observed, lat, lon, candidates)
        reasons.add(pd.Series(reused, index=chunk.index), mapping.id, chunk[mapping.id], REUSED_IN_FILE)

    bad = reasons.bad
    raw_rows = raw_rows_json(chunk.loc[bad, source_columns])  # kept rows are read back from the kept file
    raw = dict(zip(raw_rows.index.tolist(), raw_rows.tolist(), strict=True))
    rejected = [
        {"row_number": row, "raw": raw[row], "reasons": _REASONS_JSON.encode(entries)}
        for row, entries in reasons.grouped().items()
    ]
    ok = ~bad.to_numpy(dtype=bool)  # a numpy mask: selections below need no index alignment
    kept = chunk.index[ok]
    labels_ok = labels[ok]
    description_text = _stripped(chunk, mapping.description, ok)
    description = _optional(description_text, kept)
    source_id = _optional(_stripped(chunk, mapping.id, ok), kept)
    observed_ok = observed[ok]
    ids = _content_ids(observed_ok, lat[ok], lon[ok], labels_ok,
                       description_text if description_text is not None else description.fillna(""))
    if source_id.notna().any():
        ids = ids.where(source_id.isna(), mapping.id_prefix + ":" + source_id.astype(str))
    flags = _per_distinct(swapped[ok], lambda s: '["lat_lon_swapped"]' if s else None)
    categories_ok = categories[ok]
    stamp = int(time.time())
    valid = pd.DataFrame({
        "id": ids, "source_id": source_id, "observed_at": (observed_ok.astype("int64") // 10**9),
        "lat": lat[ok].astype(float), "lon": lon[ok].astype(float), "category": categories_ok,
        "category_label": _optional(labels_ok, kept, empty=np.nan),  # as ``where(…, None)`` on text: NaN
        "registre": _per_distinct(categories_ok, taxonomy.registres_by_category()),
        "severity": severity[ok].astype("int64"),
        "status": status[ok], "description": description, "team": _optional(_stripped(chunk, mapping.team, ok), kept),
        "author": _optional(_stripped(chunk, mapping.author, ok), kept), "neighbourhood": codes[ok], "flags": flags,
        "raw": None, "created_at": stamp, "updated_at": stamp, "row_number": kept,
    })
    unknown_labels = labels[ok & unknown.to_numpy(dtype=bool)].replace("", "(vide)")
    return PreparedRows(valid, rejected, Counter(unknown_labels.value_counts().to_dict()), int(swapped[ok].sum()))


def report_tuples(frame: pd.DataFrame, batch_id: int, *, skip: Collection[str] = ()) -> list[tuple]:
    """Return prepared report rows as tuples in :data:`geo.store.REPORT_FIELDS` order, ``None`` for blanks.

    Fields in ``skip`` are left out (written as constants by :meth:`Store.insert_reports`).
    """
    cols = []
    for name in REPORT_FIELDS:
        if name in skip:
            continue
        if name == "batch_id":
            cols.append([batch_id] * len(frame))
            continue
        series = frame[name]
        if series.dtype.kind in "biuf":
            cols.append(series.tolist())
        else:  # text: NaN, NA and None all become NULL
            cols.append(series.astype(object).where(series.notna(), None).tolist())
    return list(zip(*cols, strict=True))


def import_file(
    store: Store, path: Path | str, *, taxonomy: Taxonomy, options: ImportOptions | None = None,
    on_progress: ProgressCallback | None = None, now: pd.Timestamp | None = None, imported_by: str | None = None,
    chunk_rows: int = CHUNK_ROWS, workers: int | None = None,
) -> ImportSummary:
    """Import one file as one batch (all of it is stored, or nothing).

    The file's chunks are validated and staged first (:mod:`geo.pipeline`); then one short
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
    table = rejects_table(quarantined)
    safe = table.astype(str).map(_neutralise)
    safe.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    return len(safe)


def _neutralise(text: str) -> str:
    """Keep a spreadsheet from reading a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
