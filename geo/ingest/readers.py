"""Open an input file (CSV, XLSX, GeoJSON, GeoPackage, Open311 JSON) as chunks of raw text rows.

Readers never interpret values: every cell stays the text found in the file, so that the raw row can be
kept with the report. Geometry formats add the columns of :data:`GEOMETRY_COLUMNS`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from geo.ingest.territory import parse_crs

__all__ = ["RawSource", "open_source", "GEOMETRY_COLUMNS", "file_sha256", "CHUNK_ROWS", "raw_rows_json"]

CHUNK_ROWS = 100_000
FIRST_CHUNK_ROWS = 10_000
SEPARATORS = (";", ",", "\t", "|")
GEOMETRY_COLUMNS = ("__lon__", "__lat__", "__geometry_type__")
_BLOCK = 1 << 20
_FIELDS_HINT = ("Une virgule décimale dans un fichier séparé par des virgules ? Mettez ces valeurs entre "
                "guillemets ou enregistrez le fichier avec le séparateur ';'. Rien n'a été enregistré.")


@dataclass
class RawSource:
    """An input file opened for reading.

    Attributes
    ----------
    name, format, path
        File name, recognised format (``csv``, ``xlsx``, ``geojson``, ``gpkg``, ``open311``) and path;
        ``content_hash``, the file's SHA-256, is computed when first asked for.
    columns
        Column names, as in the file (plus :data:`GEOMETRY_COLUMNS` for geometry formats).
    chunks
        Iterator of DataFrames of text cells; the index is the row number (the header being row 1).
    estimated_rows
        A rough row count, for progress bars.
    details
        What was detected (encoding, separator…), for the batch's provenance.
    """

    name: str
    format: str
    path: Path
    columns: list[str]
    chunks: Iterator[pd.DataFrame]
    estimated_rows: int
    details: dict = field(default_factory=dict)

    @cached_property
    def content_hash(self) -> str:
        """Return the SHA-256 of the file (read once, when first asked for)."""
        return file_sha256(self.path)


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise InputError(
            f"{path.name} : encodage non reconnu (octets nuls : UTF-16 sans BOM ou fichier binaire ?). "
            "Enregistrez le fichier en CSV UTF-8 ou précisez --encoding."
        )
    for encoding in ("utf-8", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while block := fh.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InputError(
        f"{path.name} : encodage non reconnu (ni UTF-8 ni Windows-1252/cp1252). "
        "Enregistrez le fichier en CSV UTF-8 ou précisez --encoding (par ex. --encoding latin-1)."
    )


def _decode_error(path: Path, encoding: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{path.name} : le fichier n'est pas en {encoding} (octet {exc.object[exc.start:exc.start + 1]!r} "
        f"illisible). Relancez sans --encoding pour le détecter, ou précisez le bon (utf-8, cp1252, latin-1). "
        "Rien n'a été enregistré."
    )


def _split_header(line: str, sep: str) -> list[str]:
    return next(csv.reader([line], delimiter=sep))


def _detect_separator(header: str) -> str:
    counts = {sep: len(_split_header(header, sep)) for sep in SEPARATORS}
    best = max(counts, key=counts.get)
    return best if counts[best] > 1 else ";"


def _open_csv(path: Path, *, encoding: str | None, sep: str | None, chunk_rows: int) -> RawSource:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise InputError(f"encodage {encoding!r} inconnu ; essayez utf-8, cp1252 ou latin-1") from exc
    else:
        encoding = _detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            header = fh.readline().rstrip("\r\n")
            second = fh.readline()
    except UnicodeDecodeError as exc:
        raise _decode_error(path, encoding, exc) from exc
    if not header.strip():
        raise InputError(f"{path.name} : la première ligne est vide ; une ligne d'en-tête est attendue")
    found = _detect_separator(header)
    if sep is None:
        sep = found
    columns = _split_header(header, sep)
    if len(columns) == 1 and len(_split_header(header, found)) > 1:
        raise InputError(
            f"{path.name} : séparateur {sep!r} introuvable dans l'en-tête ; le fichier semble séparé par "
            f"{found!r} (en-tête : {header[:80]!r}). Relancez sans --sep ou avec --sep {found!r}."
        )
    if len(set(columns)) != len(columns):
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        raise InputError(f"{path.name} : colonnes en double dans l'en-tête : {repeated}")
    size = path.stat().st_size
    estimated = max(1, int(size / max(len(second.encode(encoding, "replace")), 1))) if second else 0

    def chunks() -> Iterator[pd.DataFrame]:
        start = 2
        try:
            with pd.read_csv(
                path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False, chunksize=chunk_rows,
                engine="c", skip_blank_lines=True,
            ) as reader:
                for chunk in _growing_chunks(reader, chunk_rows):
                    if not isinstance(chunk.index, pd.RangeIndex):
                        # pandas took the surplus fields of the first row as an index: the columns would shift
                        raise InputError(
                            f"{path.name} : ligne mal formée : la ligne 2 a {len(columns) + chunk.index.nlevels} "
                            f"champs pour {len(columns)} colonnes dans l'en-tête. {_FIELDS_HINT}"
                        )
                    chunk.index = np.arange(start, start + len(chunk))
                    start += len(chunk)
                    yield chunk
        except pd.errors.ParserError as exc:
            raise InputError(f"{path.name} : ligne mal formée ({exc}). {_FIELDS_HINT}") from exc
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, exc) from exc

    return RawSource(path.name, "csv", path, columns, chunks(), estimated,
                     {"encoding": encoding, "separator": sep})


def _growing_chunks(reader: pd.io.parsers.TextFileReader, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield a small first chunk, then chunks of ``chunk_rows``: whoever waits for the first one waits less."""
    first = max(1, min(FIRST_CHUNK_ROWS, chunk_rows))
    try:
        yield reader.get_chunk(first)
    except StopIteration:
        return
    yield from reader


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text_frame(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    out = pd.DataFrame({str(c): frame[c].map(_cell_text).astype(object) for c in frame.columns})
    out.index = np.arange(first_row, first_row + len(out))
    return out


def _open_xlsx(path: Path) -> RawSource:
    try:
        frame = pd.read_excel(path, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(f"{path.name} : classeur Excel illisible ({exc})") from exc
    text = _text_frame(frame, 2)
    return RawSource(path.name, "xlsx", path, list(text.columns), iter([text]), len(text),
                     {"sheet": 0})


def _open_geo(path: Path, fmt: str, crs: str | int | None = None) -> RawSource:
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; each means the file is unusable
        raise InputError(f"{path.name} : fichier géographique illisible ({exc})") from exc
    if crs is not None:
        gdf = gdf.set_crs(parse_crs(crs), allow_override=True)
    if gdf.empty:
        raise InputError(f"{path.name} : le fichier ne contient aucun objet (aucun signalement à importer)")
    details = {"crs": gdf.crs.to_string() if gdf.crs else None}
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geoms = gdf.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    # a multipoint of one point is that point; anything else but a point is refused later
    single = np.where(
        (kinds == shapely.GeometryType.MULTIPOINT) & (shapely.get_num_geometries(geoms) == 1),
        shapely.get_geometry(geoms, 0), geoms,
    )
    is_point = (shapely.get_type_id(single) == shapely.GeometryType.POINT) & ~shapely.is_empty(single)
    props = gdf.drop(columns=gdf.geometry.name)
    text = _text_frame(props, 1)
    text["geometry"] = [g.wkt if g is not None else "" for g in geoms]
    lon = np.where(is_point, shapely.get_x(single), np.nan)
    lat = np.where(is_point, shapely.get_y(single), np.nan)
    text["__lon__"] = [repr(float(v)) if not np.isnan(v) else "" for v in lon]
    text["__lat__"] = [repr(float(v)) if not np.isnan(v) else "" for v in lat]
    names = gdf.geometry.geom_type.fillna("aucune").to_numpy(dtype=object)
    text["__geometry_type__"] = np.where(is_point, "Point", names)
    return RawSource(path.name, fmt, path, list(text.columns), iter([text]), len(text), details)


def _open_json(path: Path, crs: str | int | None = None) -> RawSource:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name} : JSON invalide ({exc})") from exc
    if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
        return _open_geo(path, "geojson", crs)
    if isinstance(doc, dict) and isinstance(doc.get("service_requests"), list):
        doc = doc["service_requests"]
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        frame = pd.DataFrame.from_records(doc)
        fmt = "open311" if "service_request_id" in frame.columns else "json"
        text = _text_frame(frame, 1)
        return RawSource(path.name, fmt, path, list(text.columns), iter([text]), len(text), {})
    if isinstance(doc, list) and not doc:
        return RawSource(path.name, "json", path, [], iter([]), 0, {})
    raise InputError(
        f"{path.name} : JSON non reconnu ; attendu une FeatureCollection GeoJSON ou une liste de "
        "demandes Open311 GeoReport v2"
    )


def open_source(
    path: Path | str, *, encoding: str | None = None, sep: str | None = None, chunk_rows: int = CHUNK_ROWS,
    crs: str | int | None = None,
) -> RawSource:
    """Open ``path`` according to its content and extension.

    Parameters
    ----------
    crs
        For geometry formats, the CRS of the file's coordinates when it declares none or a wrong one
        (``--crs``); points are given in WGS84 either way.

    Raises
    ------
    InputError
        When the file is missing or empty, its encoding or separator cannot be used, or its format is unknown.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"fichier introuvable : {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{path.name} : le fichier est vide (0 octet)")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(path)
    if suffix == ".gpkg":
        return _open_geo(path, "gpkg", crs)
    if suffix in (".geojson", ".json"):
        return _open_json(path, crs)
    if suffix in (".shp", ".zip", ".fgb"):
        return _open_geo(path, suffix.lstrip("."), crs)
    if suffix in (".csv", ".txt", ".tsv", ""):
        return _open_csv(path, encoding=encoding, sep=sep, chunk_rows=chunk_rows)
    raise InputError(
        f"{path.name} : extension {suffix!r} non prise en charge ; attendu .csv, .xlsx, .geojson, .json ou .gpkg"
    )


def raw_rows_json(frame: pd.DataFrame) -> pd.Series:
    """Return each row of text cells as one JSON object (``{column: text}``), indexed like ``frame``."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    # JSON lines are separated by "\n" alone: cells may hold U+2028 or U+0085, which ``splitlines`` would split on
    lines = frame.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    return pd.Series(lines, index=frame.index, dtype=object)
