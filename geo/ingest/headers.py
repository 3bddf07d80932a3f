"""Find a table's header row and separator: title lines above it, Excel's ``sep=`` line, empty columns.

Works on the first rows of a file (a CSV's first lines, a sheet's first rows), as lists of text cells.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass

from geo.errors import InputError

__all__ = ["find_header", "detect_separator", "sep_line", "column_names", "SEPARATORS", "HEAD_ROWS",
           "UNNAMED_PREFIX"]

SEPARATORS = (";", ",", "\t", "|")
HEAD_ROWS = 60  # rows looked at to find the header
UNNAMED_PREFIX = "colonne_"
_SEP_LINE = re.compile(r'^\ufeff?"?sep=(.)"?[;,\t|]*\s*$', re.IGNORECASE)
# cells that are values rather than column names: numbers, dates, times
_VALUE = re.compile(r"^\s*[-+]?\d+([.,]\d+)?\s*$|^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|^\s*\d{1,2}:\d{2}")


def split_line(line: str, sep: str) -> list[str]:
    """Split one line of CSV text into cells (quotes respected within the line)."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=sep), [])
    except csv.Error:
        return line.rstrip("\r\n").split(sep)


def sep_line(line: str) -> str | None:
    """Return the separator declared by Excel's ``sep=;`` first line, or ``None``."""
    match = _SEP_LINE.match(line.rstrip("\r\n"))
    return match.group(1) if match else None


def detect_separator(lines: list[str]) -> str:
    """Return the separator that splits most of ``lines`` into the same number (> 1) of cells."""
    best, best_score = ";", (0, 0)
    sample = [line for line in lines if line.strip()][:HEAD_ROWS]
    for sep in SEPARATORS:
        widths = Counter(len(split_line(line, sep)) for line in sample)
        if not widths:
            continue
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
        score = (count if width > 1 else 0, width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _filled(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip())


def _values(row: list[str]) -> int:
    return sum(1 for cell in row if cell.strip() and _VALUE.match(cell))


def find_header(rows: list[list[str]]) -> int | None:
    """Return the index of the header row among ``rows``, or ``None`` when every row is empty.

    Rows above the header are skipped only when they are narrower than the table (fewer than two filled
    cells, at most half as many as the fullest of the next rows, or fewer than the next row of names): a
    title line ("Export du 03/03/2026", "Signalements;;;;"). The first row as wide as the table is the header
    when most of its cells are names (not numbers or dates); when it holds values, the file has no header
    line and its first row is returned (the mapping then says which columns are missing). A one-column
    table's header is its first row.
    """
    nonblank = [i for i, row in enumerate(rows) if _filled(row)]
    if not nonblank:
        return None
    widest = max(_filled(rows[i]) for i in nonblank)
    if widest <= 1:
        return nonblank[0]
    for pos, i in enumerate(nonblank):
        filled = _filled(rows[i])
        following = [_filled(rows[j]) for j in nonblank[pos + 1:pos + 11]]
        if filled < 2 or 2 * filled <= max(following, default=0):
            continue  # a title line, at most half as wide as the table
        if 2 * _values(rows[i]) >= filled:
            return nonblank[0]  # values: no header line
        if following and following[0] > filled and 2 * _values(rows[nonblank[pos + 1]]) < following[0]:
            continue  # a line of names above a wider line of names: a title above the header
        return i
    return nonblank[0]


@dataclass(frozen=True)
class ColumnNames:
    """A header's cells as column names: empty cells get a ``colonne_N`` name (dropped when empty)."""

    names: list[str]
    unnamed: list[str]

    @property
    def named(self) -> list[str]:
        """The columns with a name in the file."""
        return [n for n in self.names if n not in self.unnamed]


def column_names(header: list[str], width: int, *, name: str) -> ColumnNames:
    """Return the column names of ``header`` padded to ``width`` columns.

    Raises
    ------
    InputError
        When two columns have the same name.
    """
    cells = list(header) + [""] * max(0, width - len(header))
    named = [c for c in cells if c.strip()]
    repeated = sorted({c for c in named if named.count(c) > 1})
    if repeated:
        raise InputError(f"{name} : colonnes en double dans l'en-tête : {repeated}. Renommez-les pour les distinguer.")
    names, unnamed = [], []
    for k, cell in enumerate(cells):
        if cell.strip():
            names.append(cell)
            continue
        label = f"{UNNAMED_PREFIX}{k + 1}"
        while label in named:
            label = "_" + label
        names.append(label)
        unnamed.append(label)
    return ColumnNames(names, unnamed)
