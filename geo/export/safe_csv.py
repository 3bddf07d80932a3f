"""The one CSV writer of the project: Excel-French layout, and no cell a spreadsheet would run as a formula.

Every CSV a person may open (quarantined rows, aggregates, page downloads, partner exports) goes through
:func:`write_csv` or :func:`csv_bytes`. A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with an apostrophe, which spreadsheets show as text (OWASP "CSV injection");
every line ends with CRLF, so that a cell holding a carriage return or a newline is always quoted and never
splits a row.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import IO

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "neutralise_frame", "write_csv", "csv_bytes", "csv_text"]

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Return ``value`` with an apostrophe in front when it is text a spreadsheet would read as a formula.

    Numbers, booleans and missing values are returned unchanged: ``-3`` stays the number ``-3``.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells (and column names) are neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        series = safe[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            safe[column] = series.astype(object).map(neutralise_cell)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def _write(frame: pd.DataFrame, target: IO[str], *, sep: str) -> None:
    neutralise_frame(frame).to_csv(target, sep=sep, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def csv_text(frame: pd.DataFrame, *, sep: str = ";") -> str:
    """Return ``frame`` as neutralised CSV text (no byte-order mark)."""
    buffer = io.StringIO(newline="")
    _write(frame, buffer, sep=sep)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame, *, sep: str = ";", bom: bool = True) -> bytes:
    """Return ``frame`` as CSV bytes for Excel: UTF-8 with a byte-order mark by default, ``;`` separated."""
    return ("\ufeff" if bom else "").encode("utf-8") + csv_text(frame, sep=sep).encode("utf-8")


def write_csv(frame: pd.DataFrame, path: Path | str | None, *, sep: str = ";", bom: bool = True) -> int:
    """Write ``frame`` as neutralised CSV to ``path`` (``None`` or ``"-"``: standard output).

    Returns
    -------
    int
        The number of data rows written.
    """
    if path is None or str(path) == "-":
        sys.stdout.write(csv_text(frame, sep=sep))
        sys.stdout.flush()
    else:
        Path(path).write_bytes(csv_bytes(frame, sep=sep, bom=bom))
    return len(frame)
