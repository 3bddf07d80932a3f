"""Validate raw rows of a file: coordinates, times, categories, ids; build the report rows to store.

Each chunk of text rows becomes rows to store and rows to quarantine with their reasons (row, column,
value, why). This module knows nothing of batches or processes: :mod:`geo.ingest.pipeline` runs it in
worker processes and :mod:`geo.ingest.importer` stores what it returns.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyproj

from geo.ingest.formats import ColumnMapping
from geo.ingest.readers import GEOMETRY_COLUMNS, raw_rows_json
from geo.ingest.territory import assign_neighbourhoods, left_to_database, parse_crs
from geo.ingest.timeparse import MONTH_FIRST, parse_times
from geo.store.database import REPORT_FIELDS
from geo.store.identity import REUSED_IN_FILE, reused_in_chunk
from geo.taxonomy import Taxonomy

__all__ = ["PreparedRows", "prepare_rows", "report_tuples", "EARLIEST", "FUTURE_TOLERANCE"]

EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
FUTURE_TOLERANCE = pd.Timedelta(minutes=10)
# What ``json.dumps(…, ensure_ascii=False, default=str)`` does, without building an encoder per quarantined row
_REASONS_JSON = json.JSONEncoder(ensure_ascii=False, default=str)

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
           territory: gpd.GeoDataFrame, assign_in_database: bool = False
           ) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Assign neighbourhoods, detect swapped latitude/longitude, reject impossible positions.

    With ``assign_in_database``, points the database can assign with the same result
    (:func:`geo.ingest.territory.left_to_database`) are left without a neighbourhood, for it to assign.
    """
    y, x = lat.to_numpy(dtype=float), lon.to_numpy(dtype=float)
    numeric = ~np.isnan(y) & ~np.isnan(x)  # NaN compares false: the range tests need no mask
    in_range = (y >= -90) & (y <= 90) & (x >= -180) & (x <= 180)
    swapped_range = (x >= -90) & (x <= 90) & (y >= -180) & (y <= 180)
    found = np.full(len(y), np.nan, dtype=object)  # as ``pd.Series(None, dtype=object)``: NaN where not assigned
    swapped = pd.Series(False, index=lat.index)
    if not territory.empty:
        deferred = left_to_database(x, y, territory) if assign_in_database else None
        here = in_range if deferred is None else in_range & ~deferred
        found[here] = assign_neighbourhoods(x[here], y[here], territory)
        retry = swapped_range & pd.isna(found)
        if deferred is not None:  # swapped, a deferred point leaves the territory's bounds: no retry can hit
            retry &= ~deferred
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
                        clock=clock, date_order=mapping.date_order)
    empty = text.fillna("").astype(str).str.strip().eq("")
    numeric = "mm/jj/aaaa hh:mm" if mapping.date_order == MONTH_FIRST else "jj/mm/aaaa hh:mm"
    expected = f"format {mapping.time_format}" if mapping.time_format else f"{numeric} ou ISO 8601"
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
    crs: str | int | None = None, assign_in_database: bool = False,
) -> PreparedRows:
    """Validate one chunk of raw text rows and build the report rows to store.

    Parameters
    ----------
    chunk
        Text cells indexed by row number (as given by :func:`geo.ingest.readers.open_source`).
    mapping
        Which column holds which field.
    taxonomy, territory
        Categories to match labels against; neighbourhoods to assign (may be empty).
    assign_in_database
        Leave the neighbourhood of points inside the territory's bounds empty, for the store to assign
        (:func:`geo.store.spatial_assignment.assign_staged`); swapped coordinates are still detected here.

    Returns
    -------
    PreparedRows
        ``valid`` has the columns of :data:`geo.store.database.REPORT_FIELDS` but ``batch_id``.
    """
    now = now if now is not None else pd.Timestamp.now(tz="UTC")
    reasons = _Reasons(chunk.index)
    source_columns = [c for c in chunk.columns if c not in GEOMETRY_COLUMNS]
    if "__geometry_type__" in chunk:
        kind = chunk["__geometry_type__"]
        reasons.add(kind.ne("Point"), "geometry", kind, "géométrie non ponctuelle : un point est attendu")
    # points read from a geometry are already WGS84 (the reader applied the file's CRS, or ``crs``)
    lat, lon = _coordinates(chunk, mapping, reasons, None if mapping.lat in GEOMETRY_COLUMNS else crs)
    lat, lon, codes, swapped = _place(lat, lon, mapping, chunk, reasons, territory=territory,
                                      assign_in_database=assign_in_database)
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
    """Return prepared report rows as tuples in :data:`geo.store.database.REPORT_FIELDS` order, ``None`` for blanks.

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

