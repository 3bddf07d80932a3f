"""The tables inside one file -- sheets of a workbook, layers of a GeoPackage -- and which of them to read.

A file with one table is read as it is. With several, the one asked for (``--sheet`` / ``--layer``) is
read; otherwise all of them when they share one header (said in the summary), else the import is refused
with the list of tables and their row counts. No table is ever skipped without a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.ingest.headers import HEAD_ROWS, column_names, find_header

__all__ = ["Part", "choose_parts", "combine_parts", "sheet_parts", "cell_text", "text_frame", "drop_blank_rows",
           "PART_ROW_STRIDE", "KINDS"]

# Row numbers of the second, third… table read together: k * PART_ROW_STRIDE + its own row number
PART_ROW_STRIDE = 10_000_000
KINDS = {"sheet": ("feuille", "feuilles", "--sheet"), "layer": ("couche", "couches", "--layer"),
         "member": ("fichier", "fichiers", "--layer")}


@dataclass
class Part:
    """One table of a file.

    Attributes
    ----------
    rows
        Data rows (blank rows not counted).
    columns
        Its column names (for layers, the attribute fields).
    load
        Returns the table's text frame, indexed by row number.
    is_table
        At least two named columns (a sheet of notes is not a table).
    has_geometry
        For layers: whether it holds geometries.
    skipped_rows
        Rows above the header (title lines), for sheets.
    """

    name: str
    rows: int
    columns: list[str]
    load: Callable[[], pd.DataFrame]
    is_table: bool = True
    has_geometry: bool = True
    skipped_rows: int = 0


def cell_text(value: object) -> str:
    """Return a cell as the text a person sees (dates in ISO 8601, ``12.0`` as ``12``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text_frame(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    """Return ``frame`` with every cell as text, indexed from ``first_row``."""
    out = pd.DataFrame({str(c): frame[c].map(cell_text).astype(object) for c in frame.columns})
    out.index = np.arange(first_row, first_row + len(out))
    return out


def drop_blank_rows(frame: pd.DataFrame, unnamed: list[str]) -> pd.DataFrame:
    """Drop rows whose cells are all blank, and unnamed columns that are blank in every row."""
    if frame.empty:
        return frame
    empty_unnamed = [c for c in unnamed if c in frame.columns and not frame[c].str.strip().astype(bool).any()]
    if empty_unnamed:
        frame = frame.drop(columns=empty_unnamed)
    first = frame.iloc[:, 0]
    candidates = (first.str.strip() == "").to_numpy()
    if candidates.any():
        sub = frame[candidates]
        blank = np.ones(len(sub), dtype=bool)
        for column in sub.columns:
            blank &= (sub[column].str.strip() == "").to_numpy()
        if blank.any():
            frame = frame.drop(index=sub.index[blank])
    return frame


def _sheet_part(name: str, sheet: str, frame: pd.DataFrame) -> Part:
    text = frame.map(cell_text) if not frame.empty else frame
    head = text.head(HEAD_ROWS).to_numpy(dtype=object).tolist()
    found = find_header(head)
    if found is None:
        return Part(sheet, 0, [], pd.DataFrame, is_table=False)
    cols = column_names([str(c) for c in head[found]], text.shape[1], name=f"{name}, feuille « {sheet} »")
    body = text.iloc[found + 1:].copy()
    body.columns = cols.names
    body.index = np.arange(found + 2, found + 2 + len(body))  # Excel numbers rows from 1
    body = drop_blank_rows(body, cols.unnamed)
    return Part(sheet, len(body), cols.named, lambda: body, is_table=len(cols.named) >= 2, skipped_rows=found)


def sheet_parts(source: object, name: str, *, engine: str) -> list[Part]:
    """Return the sheets of a workbook (``.xlsx`` or ``.ods``), each with its header row found.

    Raises
    ------
    InputError
        When the workbook cannot be read.
    """
    try:
        book = pd.read_excel(source, sheet_name=None, header=None, dtype=object, engine=engine)
    except Exception as exc:  # openpyxl and odfpy raise many types for a damaged workbook
        raise InputError(f"{name} : classeur illisible ({exc})") from exc
    return [_sheet_part(name, str(sheet), frame) for sheet, frame in book.items()]


def _listing(parts: list[Part], singular: str) -> str:
    return ", ".join(f"« {p.name} » ({p.rows} ligne{'s' if p.rows > 1 else ''})" for p in parts) or f"aucune {singular}"


def _find(parts: list[Part], wanted: str, *, name: str, kind: str) -> Part:
    singular, plural, _option = KINDS[kind]
    for test in (lambda p: p.name == wanted, lambda p: p.name.casefold() == wanted.strip().casefold(),
                 lambda p: p.name.rsplit("/", 1)[-1].casefold() == wanted.strip().casefold()):
        found = [p for p in parts if test(p)]
        if found:
            return found[0]
    if re.fullmatch(r"\s*\d+\s*", wanted) and 1 <= int(wanted) <= len(parts):
        return parts[int(wanted) - 1]
    raise InputError(
        f"{name} : {singular} « {wanted} » introuvable ; {plural} du fichier : {_listing(parts, singular)}"
    )


def choose_parts(parts: list[Part], wanted: str | None, *, name: str, kind: str) -> tuple[list[Part], list[str]]:
    """Return the tables to read and warnings (French) about the others.

    Raises
    ------
    InputError
        When ``wanted`` names no table, or several tables with different headers hold rows and none was chosen.
    """
    singular, plural, option = KINDS[kind]
    if wanted is not None and str(wanted).strip() != "":
        return [_find(parts, str(wanted), name=name, kind=kind)], []
    if len(parts) <= 1:
        return parts, []
    filled = [p for p in parts if p.rows > 0]
    usable = [p for p in filled if p.is_table] or filled
    if kind == "layer" and any(p.has_geometry for p in usable):
        usable = [p for p in usable if p.has_geometry]
    if not usable:
        with_header = [p for p in parts if p.columns]
        return (with_header or parts)[:1], []
    warnings = []
    ignored = [p for p in filled if p not in usable]
    if ignored:
        warnings.append(
            f"{name} : {singular}(s) ignorée(s), sans tableau de signalements : {_listing(ignored, singular)} ; "
            f"pour en lire une, choisissez-la ({option} NOM)"
        )
    if len(usable) == 1:
        return usable, warnings
    if all(set(p.columns) == set(usable[0].columns) for p in usable):
        warnings.append(
            f"{name} : {len(usable)} {plural} de même en-tête lues ensemble : {_listing(usable, singular)}. Les "
            f"lignes de la {singular} n° k (k ≥ 2) sont numérotées (k − 1) × {PART_ROW_STRIDE:_} + ligne."
            .replace("_", " ")
        )
        return usable, warnings
    raise InputError(
        f"{name} : plusieurs {plural} contiennent des lignes, avec des en-têtes différents : "
        f"{_listing(usable, singular)}. Choisissez la {singular} à importer ({option} NOM ou {option} NUMÉRO ; "
        f"sur la page Import, le choix « {singular.capitalize()} »). Rien n'a été enregistré."
    )


def combine_parts(parts: list[Part]) -> pd.DataFrame:
    """Return the chosen tables as one frame; the k-th one's rows are numbered ``k * PART_ROW_STRIDE + row``."""
    frames = []
    for k, part in enumerate(parts):
        frame = part.load()
        if k:
            frame = frame.copy()
            frame.index = frame.index + k * PART_ROW_STRIDE
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return frames[0]
    combined = pd.concat(frames)
    return combined.fillna("").astype(object)
