"""Open an input file (CSV, XLSX, GeoJSON, GeoPackage, Open311 JSON) as chunks of raw text rows.

Readers never interpret values: every cell stays the text found in the file, so that the raw row can be
kept with the report. Geometry formats add the columns of :data:`GEOMETRY_COLUMNS`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.errors import InputError
from geo.ingest.encodings import (
    SUSPICIOUS_TEXT,
    DecodedText,
    TextEncoding,
    detect_encoding,
    forced_encoding,
    split_lines,
    suspicious_text,
)
from geo.ingest.headers import HEAD_ROWS, column_names, detect_separator, find_header, sep_line, split_line
from geo.ingest.parts import KINDS, Part, choose_parts, combine_parts, drop_blank_rows, sheet_parts, text_frame
from geo.ingest.territory import parse_crs
from geo.taxonomy import normalize_label

__all__ = ["RawSource", "open_source", "list_parts", "GEOMETRY_COLUMNS", "file_sha256", "CHUNK_ROWS",
           "raw_rows_json"]

Opener = Callable[[], BinaryIO]

CHUNK_ROWS = 100_000
FIRST_CHUNK_ROWS = 10_000
_HEAD_BYTES = 256 << 10  # bytes read to find the separator and the header
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
        Iterator of DataFrames of text cells; the index is the row number as a spreadsheet shows it (blank lines
        counted, the header usually being row 1); blank rows are left out.
    estimated_rows
        A rough row count, for progress bars.
    details
        What was detected (encoding, separator, sheet…), for the batch's provenance.
    warnings
        What a coordinator should know about how the file was read (French); reading the chunks may add some.
    """

    name: str
    format: str
    path: Path
    columns: list[str]
    chunks: Iterator[pd.DataFrame]
    estimated_rows: int
    details: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

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


# -- CSV ---------------------------------------------------------------------------------------------

def _decode_error(name: str, encoding: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{name} : le fichier n'est pas en {encoding} (octet {exc.object[exc.start:exc.start + 1]!r} "
        f"illisible). Relancez sans --encoding pour le détecter, ou précisez le bon (utf-8, cp1252, latin-1). "
        "Rien n'a été enregistré."
    )


@dataclass(frozen=True)
class _Head:
    """The first lines of a text file, decoded, with how many bytes (characters for UTF-16) each took."""

    lines: list[str]
    sizes: list[int]
    average: float


def _read_head(opener: Opener, encoding: TextEncoding, name: str) -> _Head:
    if encoding.codec.startswith("utf-16"):
        with opener() as raw, io.TextIOWrapper(raw, encoding=encoding.codec, newline="") as fh:
            try:
                text = fh.read(_HEAD_BYTES)
                more = bool(fh.read(1))
            except UnicodeDecodeError as exc:
                raise _decode_error(name, encoding.codec, exc) from exc
        lines = re.split(r"(?<=\r\n)|(?<=\n)|(?<=\r)(?!\n)", text)
        lines = [line for line in lines if line]
        if more and len(lines) > 1:
            lines = lines[:-1]
        sizes = [len(line) for line in lines]  # a BOM left in the text is a character of the first line
        return _Head([line.replace("\x00", "").lstrip("\ufeff") for line in lines], sizes,
                     sum(sizes) * 2 / max(len(lines), 1))
    with opener() as fh:
        fh.read(len(encoding.bom))
        data = fh.read(_HEAD_BYTES)
        more = bool(fh.read(1))
    raw_lines = split_lines(data)
    if more and len(raw_lines) > 1:
        raw_lines = raw_lines[:-1]
    lines = []
    for raw in raw_lines:
        try:
            lines.append(encoding.decode_line(raw))
        except UnicodeDecodeError as exc:
            raise _decode_error(name, encoding.codec, exc) from exc
    return _Head(lines, [len(r) for r in raw_lines], sum(map(len, raw_lines)) / max(len(raw_lines), 1))


def _open_csv(name: str, path: Path, opener: Opener, *, encoding: str | None, sep: str | None,
              chunk_rows: int, fmt: str = "csv") -> RawSource:
    found = forced_encoding(opener, name, encoding) if encoding else detect_encoding(opener, name)
    head = _read_head(opener, found, name)
    lines = head.lines
    declared = sep_line(lines[0]) if lines else None
    first = 1 if declared else 0
    body = lines[first:first + HEAD_ROWS]
    guessed = detect_separator(body)
    chosen = sep or declared or guessed
    rows = [split_line(line, chosen) for line in body]
    found_header = find_header(rows)
    if sep is None and declared and declared != guessed and found_header is not None and len(rows[found_header]) == 1:
        # the "sep=" line says one thing, the lines another: the lines win, and it is said
        early_warnings = [f"{name} : la première ligne annonce le séparateur {declared!r} mais les lignes sont "
                          f"séparées par {guessed!r} : lu avec {guessed!r}"]
        chosen = guessed
        rows = [split_line(line, chosen) for line in body]
        found_header = find_header(rows)
    else:
        early_warnings = []
    sep = chosen
    if found_header is None:
        raise InputError(f"{name} : le fichier ne contient que des lignes vides ; une ligne d'en-tête est attendue")
    header = rows[found_header]
    if len(header) == 1 and len(split_line(body[found_header], guessed)) > 1:
        raise InputError(
            f"{name} : séparateur {sep!r} introuvable dans l'en-tête ; le fichier semble séparé par "
            f"{guessed!r} (en-tête : {body[found_header][:80]!r}). Relancez sans --sep ou avec --sep {guessed!r}."
        )
    # trailing separators (";;;") at the end of data lines make empty columns, ignored
    sample = [r for r in rows[found_header + 1:] if any(c.strip() for c in r)]
    width = len(header)
    if sample and all(not any(c.strip() for c in r[len(header):]) for r in sample):
        width = max(width, *(len(r) for r in sample))
    cols = column_names(header, width, name=name)
    header_index = first + found_header  # among the file's lines
    header_row = header_index + 1 - first  # as a spreadsheet shows it: Excel hides the "sep=" line
    start = len(found.bom) + sum(head.sizes[:header_index + 1])
    warnings = early_warnings + found.warnings(name)
    if found_header:
        warnings.append(f"{name} : l'en-tête est à la ligne {header_row} ; les {found_header} ligne(s) au-dessus "
                        f"(titre…) ont été ignorées : {[line.strip()[:60] for line in body[:found_header]]}")
    details = {"encoding": found.label, "separator": sep}
    if header_row != 1:
        details["header_row"] = header_row
    size = path.stat().st_size
    estimated = max(1, int(size / max(head.average, 1))) if len(lines) > header_index + 1 else 0

    def chunks() -> Iterator[pd.DataFrame]:
        raw = opener()
        handle = raw if found.fast else DecodedText(raw, found, start=start, first_line=header_index + 2, name=name)
        if found.fast:
            raw.read(start)
        options = {"encoding": found.codec} if found.fast else {}
        row = header_row + 1
        repeats: list[int] = []
        try:
            with pd.read_csv(handle, sep=sep, header=None, names=cols.names, dtype=str, keep_default_na=False,
                             chunksize=chunk_rows, engine="c", skip_blank_lines=False, **options) as reader:
                for chunk in _growing_chunks(reader, chunk_rows):
                    if not isinstance(chunk.index, pd.RangeIndex):
                        # pandas took the surplus fields of the first row as an index: the columns would shift
                        raise InputError(
                            f"{name} : ligne mal formée : la ligne {row} a {len(cols.names) + chunk.index.nlevels} "
                            f"champs pour {len(cols.names)} colonnes dans l'en-tête. {_fields_hint(sep)}"
                        )
                    chunk.index = np.arange(row, row + len(chunk))
                    row += len(chunk)
                    kept = _drop_header_repeats(drop_blank_rows(chunk, cols.unnamed), cols.named, repeats)
                    if len(kept):
                        yield kept
            if repeats:
                shown = ", ".join(map(str, repeats[:10])) + (" …" if len(repeats) > 10 else "")
                warnings.append(f"{name} : {len(repeats)} ligne(s) répètent la ligne d'en-tête (fichiers mis bout à "
                                f"bout ?) et ont été ignorées : ligne(s) {shown}")
        except pd.errors.ParserError as exc:
            raise _parser_error(name, exc, header_row=header_row, sep=sep, opener=opener, encoding=found,
                                start=start) from None
        except UnicodeDecodeError as exc:
            raise _decode_error(name, found.codec, exc) from exc
        finally:
            handle.close()

    return RawSource(name, fmt, path, cols.named, chunks(), estimated, details, warnings)


def _drop_header_repeats(chunk: pd.DataFrame, named: list[str], found: list[int]) -> pd.DataFrame:
    """Drop rows that repeat the header (two exports put end to end); note their numbers in ``found``."""
    if chunk.empty or not named:
        return chunk
    same = (chunk[named[0]] == named[0]).to_numpy().copy()
    if not same.any():
        return chunk
    for column in named[1:]:
        same &= (chunk[column] == column).to_numpy()
    if not same.any():
        return chunk
    found.extend(chunk.index[same].tolist())
    return chunk[~same]


def _fields_hint(sep: str) -> str:
    if sep == ",":
        return _FIELDS_HINT
    shown = "tabulation" if sep == "\t" else repr(sep)
    return (f"Un séparateur {shown} dans une valeur ? Mettez cette valeur entre guillemets, ou corrigez la ligne. "
            "Rien n'a été enregistré.")


def _line_text(opener: Opener, encoding: TextEncoding, start: int, number: int) -> str:
    """Return the ``number``-th line (from 1) after byte ``start`` (an excerpt, for messages)."""
    if encoding.codec.startswith("utf-16"):
        return ""
    with opener() as fh:
        fh.read(start)
        for k, raw in enumerate(fh, start=1):
            if k == number:
                return raw.replace(b"\x00", b"").decode(encoding.codec if not encoding.mixed else "utf-8",
                                                        "replace").strip()[:60]
    return ""


def _parser_error(name: str, exc: pd.errors.ParserError, *, header_row: int, sep: str, opener: Opener,
                  encoding: TextEncoding, start: int) -> InputError:
    text = str(exc)
    if match := re.search(r"EOF inside string starting at row (\d+)", text):
        record = int(match.group(1))
        line = header_row + 1 + record
        excerpt = _line_text(opener, encoding, start, record + 1)
        shown = f" (« {excerpt} »)" if excerpt else ""
        return InputError(
            f"{name} : guillemet non fermé : le champ entre guillemets qui commence ligne {line}{shown} ne se "
            "termine jamais, et tout le reste du fichier y serait lu. Ajoutez le guillemet fermant à la fin de ce "
            "champ (ou doublez-le, \"\", s'il fait partie du texte), puis relancez. Rien n'a été enregistré."
        )
    if match := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text):
        expected, line, saw = (int(g) for g in match.groups())
        return InputError(
            f"{name} : ligne mal formée : la ligne {header_row + line} a {saw} champs pour {expected} colonnes "
            f"dans l'en-tête. {_fields_hint(sep)}"
        )
    return InputError(f"{name} : ligne mal formée ({text.strip()}). {_fields_hint(sep)}")


def _growing_chunks(reader: pd.io.parsers.TextFileReader, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield a small first chunk, then chunks of ``chunk_rows``: whoever waits for the first one waits less."""
    first = max(1, min(FIRST_CHUNK_ROWS, chunk_rows))
    try:
        yield reader.get_chunk(first)
    except StopIteration:
        return
    yield from reader


def _suspicious_cells(frame: pd.DataFrame, name: str) -> list[str]:
    """Warn about text cells that decoded into implausible characters (workbooks, JSON, layers)."""
    found = []
    for column in frame.columns:
        if column in GEOMETRY_COLUMNS or column == "geometry":
            continue
        hits = frame[column].str.contains(SUSPICIOUS_TEXT, regex=True, na=False)
        for row in frame.index[hits.to_numpy()][:3]:
            found += [(row, text) for _, text in suspicious_text(str(frame.at[row, column]))]
        if len(found) >= 3:
            break
    if not found:
        return []
    examples = ", ".join(f"ligne {row} : « {text} »" for row, text in found[:3])
    return [f"{name} : texte probablement mal décodé (caractères improbables comme « Ã© » ou des caractères de "
            f"contrôle) : {examples}. Vérifiez l'encodage d'origine de ces données."]


# -- workbooks, layers, archives ---------------------------------------------------------------------

def _from_parts(name: str, path: Path, fmt: str, parts: list[Part], wanted: str | None, *, kind: str,
                details: dict, transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> RawSource:
    chosen, warnings = choose_parts(parts, wanted, name=name, kind=kind)
    frame = combine_parts(chosen)
    if transform is not None:
        frame = transform(frame)
    key = KINDS[kind][0]
    if len(chosen) == 1 and len(parts) > 1:
        details = {**details, kind: chosen[0].name}
    elif len(chosen) > 1:
        details = {**details, f"{kind}s": [p.name for p in chosen]}
    for part in chosen:
        if part.skipped_rows:
            warnings.append(f"{name} : {key} « {part.name} » : l'en-tête est à la ligne {part.skipped_rows + 1} ; "
                            f"les {part.skipped_rows} ligne(s) au-dessus (titre…) ont été ignorées")
    warnings += _suspicious_cells(frame, name)
    columns = list(frame.columns) if len(frame.columns) else (chosen[0].columns if chosen else [])
    return RawSource(name, fmt, path, columns, iter([frame] if len(frame) else []), len(frame), details, warnings)


def _open_workbook(name: str, path: Path, source: object, *, sheet: str | None, engine: str, fmt: str
                   ) -> RawSource:
    parts = sheet_parts(source, name, engine=engine)
    return _from_parts(name, path, fmt, parts, sheet, kind="sheet", details={})


_COORDINATE_NAME = re.compile(r"(^|[^a-z])(lat|latitude|lon|lng|long|longitude|x|y)([^a-z]|$)")


def _geo_text(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = gdf.geometry.to_numpy()
    kinds = shapely.get_type_id(geoms)
    # a multipoint of one point is that point; anything else but a point is refused later
    single = np.where(
        (kinds == shapely.GeometryType.MULTIPOINT) & (shapely.get_num_geometries(geoms) == 1),
        shapely.get_geometry(geoms, 0), geoms,
    )
    is_point = (shapely.get_type_id(single) == shapely.GeometryType.POINT) & ~shapely.is_empty(single)
    props = gdf.drop(columns=gdf.geometry.name)
    text = text_frame(props, 1)
    text["geometry"] = [g.wkt if g is not None else "" for g in geoms]
    lon = np.where(is_point, shapely.get_x(single), np.nan)
    lat = np.where(is_point, shapely.get_y(single), np.nan)
    text["__lon__"] = [repr(float(v)) if not np.isnan(v) else "" for v in lon]
    text["__lat__"] = [repr(float(v)) if not np.isnan(v) else "" for v in lat]
    names = gdf.geometry.geom_type.fillna("aucune").to_numpy(dtype=object)
    text["__geometry_type__"] = np.where(is_point, "Point", names)
    return text


def _layer_part(name: str, source: str, layer: str | None, geometry_type: object, *, crs: str | int | None,
                details: dict) -> Part:
    try:
        info = pyogrio.read_info(source, layer=layer)
    except Exception as exc:  # pyogrio raises several types; each means the layer is unusable
        raise InputError(f"{name} : fichier géographique illisible ({exc})") from exc
    fields = [str(f) for f in info.get("fields", [])]
    has_geometry = geometry_type is not None and info.get("geometry_type") is not None
    label = layer or Path(source).stem

    def load() -> pd.DataFrame:
        try:
            data = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
        except Exception as exc:  # pyogrio raises several types; each means the file is unusable
            raise InputError(f"{name} : fichier géographique illisible ({exc})") from exc
        if not isinstance(data, gpd.GeoDataFrame) or data.geometry is None or "geometry" not in data:
            # an attribute table: a table whose coordinate columns the mapping finds
            columns = [normalize_label(c) for c in data.columns]
            if not any(_COORDINATE_NAME.search(c) for c in columns):
                raise InputError(
                    f"{name} : la couche « {label} » n'a pas de géométrie (table attributaire) ni de colonne de "
                    f"coordonnées (latitude, longitude) : aucun signalement ne peut être placé. Colonnes : "
                    f"{list(map(str, data.columns))}. Rien n'a été enregistré."
                )
            return text_frame(pd.DataFrame(data), 1)
        if crs is not None:
            data = data.set_crs(parse_crs(crs), allow_override=True)
        details.setdefault("crs", data.crs.to_string() if data.crs else None)
        if data.crs is not None and not data.crs.equals("EPSG:4326"):
            data = data.to_crs("EPSG:4326")
        return _geo_text(data)

    return Part(label, int(info.get("features") or 0), fields, load, has_geometry=has_geometry)


def _open_geo(name: str, path: Path, source: str, fmt: str, *, crs: str | int | None, layer: str | None
              ) -> RawSource:
    try:
        layers = pyogrio.list_layers(source)
    except Exception as exc:  # pyogrio raises several types; each means the file is unusable
        raise InputError(f"{name} : fichier géographique illisible ({exc})") from exc
    details: dict = {}
    if len(layers) <= 1:
        parts = [_layer_part(name, source, None, layers[0][1] if len(layers) else "Unknown", crs=crs,
                             details=details)]
    else:
        parts = [_layer_part(name, source, str(n), g, crs=crs, details=details) for n, g in layers]
    if not any(p.rows for p in parts) and (layer is None or len(parts) == 1):
        raise InputError(f"{name} : le fichier ne contient aucun objet (aucun signalement à importer)")
    found = _from_parts(name, path, fmt, parts, layer, kind="layer", details=details)
    found.details = {"crs": details.get("crs"), **found.details}
    if found.estimated_rows == 0:
        raise InputError(f"{name} : la couche choisie ne contient aucun objet (aucun signalement à importer)")
    return found


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".ods", ".geojson", ".json", ".gpkg", ".shp", ".fgb")


def _archive_members(path: Path) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path.name} : archive zip illisible ({exc})") from exc
    return [i for i in infos if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith((".", "~$"))]


def _member_opener(path: Path, member: str) -> Opener:
    def opener() -> BinaryIO:
        archive = zipfile.ZipFile(path)
        handle = archive.open(member)
        close = handle.close

        def close_both() -> None:
            close()
            archive.close()

        handle.close = close_both  # type: ignore[method-assign]
        return handle
    return opener


def _open_zip(path: Path, *, encoding: str | None, sep: str | None, chunk_rows: int, crs: str | int | None,
              sheet: str | None, layer: str | None) -> RawSource:
    members = _archive_members(path)
    tables = [m for m in members if Path(m.filename).suffix.lower() in _TABLE_SUFFIXES]
    if not tables:
        raise InputError(
            f"{path.name} : l'archive ne contient aucun fichier lisible (CSV, XLSX, GeoJSON, GeoPackage, "
            f"Shapefile .shp) ; elle contient : {[m.filename for m in members][:20]}"
        )
    inner_layer = layer
    if len(tables) > 1:
        parts = [Part(m.filename, 0, [], pd.DataFrame) for m in tables]
        if layer is None:
            listing = ", ".join(f"« {m.filename} » ({m.file_size:_} octets)".replace("_", " ") for m in tables)
            raise InputError(
                f"{path.name} : l'archive contient plusieurs fichiers de données : {listing}. Choisissez celui "
                "à importer (--layer NOM_DU_FICHIER ; sur la page Import, le choix « Fichier »), ou importez-les "
                "un par un. Rien n'a été enregistré."
            )
        chosen = tables[[p.name for p in parts].index(_find_member(parts, layer, path.name))]
        inner_layer = None
    else:
        chosen = tables[0]
        if layer is not None and layer.strip() in (chosen.filename, Path(chosen.filename).name):
            inner_layer = None
    member = chosen.filename
    suffix = Path(member).suffix.lower()
    details = {"archive_member": member}
    if suffix in (".csv", ".txt", ".tsv"):
        source = _open_csv(path.name, path, _member_opener(path, member), encoding=encoding, sep=sep,
                           chunk_rows=chunk_rows)
    elif suffix in (".shp", ".fgb", ".geojson"):
        source = _open_geo(path.name, path, f"/vsizip/{path}/{member}", suffix.lstrip("."), crs=crs,
                           layer=inner_layer)
    else:
        with tempfile.TemporaryDirectory(prefix="veille-zip-") as tmp:
            with zipfile.ZipFile(path) as archive:
                inner = Path(archive.extract(member, tmp))
            source = open_source(inner, encoding=encoding, sep=sep, chunk_rows=chunk_rows, crs=crs, sheet=sheet,
                                 layer=inner_layer)
            source.chunks = iter(list(source.chunks))  # read now: the extracted file goes with the folder
        source.name, source.path = path.name, path
    source.details = {**details, **source.details}
    if len(tables) > 1:
        source.warnings.append(f"{path.name} : seul le fichier « {member} » de l'archive a été importé")
    return source


def _find_member(parts: list[Part], wanted: str, name: str) -> str:
    from geo.ingest.parts import _find  # noqa: PLC0415 - one lookup rule for sheets, layers and members

    return _find(parts, wanted, name=name, kind="member").name


# -- which reader -------------------------------------------------------------------------------------

def _sniff(path: Path) -> str | None:  # noqa: PLR0911 - one answer per signature
    """Return the format the file's first bytes show (``zip``, ``xlsx``, ``ods``, ``gpkg``, ``xls``), if any."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if "mimetype" in names and archive.read("mimetype").startswith(
                        b"application/vnd.oasis.opendocument.spreadsheet"):
                    return "ods"
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf", b"Rar!")):
        return "compressed"
    return None


_SUFFIX_KIND = {".xlsx": "xlsx", ".xlsm": "xlsx", ".ods": "ods", ".xls": "xls", ".gpkg": "gpkg", ".zip": "zip",
                ".geojson": "json", ".json": "json", ".shp": "geo", ".fgb": "geo", ".dbf": "geo",
                ".csv": "csv", ".txt": "csv", ".tsv": "csv", "": "csv"}
_KIND_NAMES = {"xlsx": "un classeur Excel (.xlsx)", "ods": "un classeur OpenDocument (.ods)",
               "xls": "un classeur Excel 97-2003 (.xls)", "gpkg": "un GeoPackage (SQLite)",
               "zip": "une archive zip", "csv": "du texte (CSV)"}


def open_source(
    path: Path | str, *, encoding: str | None = None, sep: str | None = None, chunk_rows: int = CHUNK_ROWS,
    crs: str | int | None = None, sheet: str | None = None, layer: str | None = None,
) -> RawSource:
    """Open ``path`` according to its content (then its extension).

    Parameters
    ----------
    crs
        For geometry formats, the CRS of the file's coordinates when it declares none or a wrong one
        (``--crs``); points are given in WGS84 either way.
    sheet
        The workbook sheet to read (name, or number from 1); by default the one sheet holding a table, or all
        sheets when they share one header.
    layer
        The GeoPackage layer, or the file of a zip archive, to read (same rules as ``sheet``).

    Raises
    ------
    InputError
        When the file is missing, a folder or empty, its encoding or separator cannot be used, its format is
        unknown, or it holds several tables and none was chosen.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} est un dossier, pas un fichier : indiquez le fichier à importer dans ce dossier")
    if not path.exists():
        raise InputError(f"fichier introuvable : {path}")
    if not path.is_file():
        raise InputError(f"{path} n'est pas un fichier ordinaire")
    try:
        size = path.stat().st_size
        sniffed = _sniff(path)
    except OSError as exc:
        raise InputError(f"{path.name} : fichier illisible ({exc.strerror})") from exc
    if size == 0:
        raise InputError(f"{path.name} : le fichier est vide (0 octet)")
    suffix = path.suffix.lower()
    by_suffix = _SUFFIX_KIND.get(suffix)
    # a "workbook" that is not one is often text (web exports named .xls): read it as CSV
    kind = sniffed or ("csv" if by_suffix in ("xlsx", "ods", "xls") else by_suffix)
    if kind is None:
        raise InputError(
            f"{path.name} : extension {suffix!r} non prise en charge ; attendu .csv, .xlsx, .ods, .geojson, .json, "
            ".gpkg ou .zip"
        )
    if kind == "geo" and sniffed is None:
        return _open_geo(path.name, path, str(path), suffix.lstrip("."), crs=crs, layer=layer)
    mismatch = []
    if by_suffix is not None and by_suffix not in (kind, "geo", "json"):
        mismatch = [f"{path.name} : l'extension {suffix or '(aucune)'} ne correspond pas au contenu, qui est "
                    f"{_KIND_NAMES.get(kind, kind)} : lu comme tel"]
    if kind == "compressed":
        raise InputError(
            f"{path.name} : fichier compressé (gzip, bzip2, xz, 7z ou rar), pas un tableau. Décompressez-le et "
            "importez le fichier qu'il contient (ou faites-en une archive .zip)."
        )
    if kind == "xls":
        raise InputError(
            f"{path.name} : classeur Excel 97-2003 (.xls) ou classeur protégé par un mot de passe : ce format "
            "n'est pas lu ici. Ouvrez-le dans Excel ou LibreOffice (retirez la protection s'il y en a une) et "
            "enregistrez-le en .xlsx (ou en CSV), puis importez ce fichier."
        )
    if kind in ("xlsx", "ods"):
        found = _open_workbook(path.name, path, path, sheet=sheet, engine="openpyxl" if kind == "xlsx" else "odf",
                               fmt=kind)
    elif kind == "gpkg":
        found = _open_geo(path.name, path, str(path), "gpkg", crs=crs, layer=layer)
    elif kind == "zip":
        found = _open_zip(path, encoding=encoding, sep=sep, chunk_rows=chunk_rows, crs=crs, sheet=sheet, layer=layer)
    elif by_suffix == "json":
        found = _open_json(path, crs, layer=layer)
    else:
        found = _open_csv(path.name, path, lambda: open(path, "rb"), encoding=encoding, sep=sep,
                          chunk_rows=chunk_rows)
    found.warnings[:0] = mismatch
    return found


def _open_json(path: Path, crs: str | int | None = None, *, layer: str | None = None) -> RawSource:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path.name} : JSON invalide ({exc})") from exc
    if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and not doc.get("features"):
            raise InputError(f"{path.name} : le fichier ne contient aucun objet (aucun signalement à importer)")
        return _open_geo(path.name, path, str(path), "geojson", crs=crs, layer=layer)
    if isinstance(doc, dict) and isinstance(doc.get("service_requests"), list):
        doc = doc["service_requests"]
    if isinstance(doc, list) and doc and all(isinstance(r, dict) for r in doc):
        frame = pd.DataFrame.from_records(doc)
        fmt = "open311" if "service_request_id" in frame.columns else "json"
        text = text_frame(frame, 1)
        return RawSource(path.name, fmt, path, list(text.columns), iter([text]), len(text), {},
                         _suspicious_cells(text, path.name))
    if isinstance(doc, list) and not doc:
        return RawSource(path.name, "json", path, [], iter([]), 0, {})
    raise InputError(
        f"{path.name} : JSON non reconnu ; attendu une FeatureCollection GeoJSON ou une liste de "
        "demandes Open311 GeoReport v2"
    )


def list_parts(path: Path | str) -> tuple[str, list[tuple[str, int]]]:
    """Return the kind (``sheet``, ``layer``, ``member``) and ``(name, rows)`` of the tables in a file.

    Files with one table return an empty list. Used by the Import page to offer a choice.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        return "sheet", []
    kind = _sniff(path) or _SUFFIX_KIND.get(path.suffix.lower())
    if kind in ("xlsx", "ods"):
        parts = sheet_parts(path, path.name, engine="openpyxl" if kind == "xlsx" else "odf")
        return "sheet", [(p.name, p.rows) for p in parts] if len(parts) > 1 else []
    if kind == "gpkg":
        try:
            layers = pyogrio.list_layers(str(path))
            found = [(str(n), int(pyogrio.read_info(str(path), layer=str(n)).get("features") or 0)) for n, _ in layers]
        except Exception as exc:  # pyogrio raises several types; each means the file is unusable
            raise InputError(f"{path.name} : fichier géographique illisible ({exc})") from exc
        return "layer", found if len(found) > 1 else []
    if kind == "zip":
        tables = [m for m in _archive_members(path) if Path(m.filename).suffix.lower() in _TABLE_SUFFIXES]
        return "member", [(m.filename, 0) for m in tables] if len(tables) > 1 else []
    return "sheet", []


def raw_rows_json(frame: pd.DataFrame) -> pd.Series:
    """Return each row of text cells as one JSON object (``{column: text}``), indexed like ``frame``."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    # JSON lines are separated by "\n" alone: cells may hold U+2028 or U+0085, which ``splitlines`` would split on
    lines = frame.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    return pd.Series(lines, index=frame.index, dtype=object)
