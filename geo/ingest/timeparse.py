"""Parse observation times written in the ways people write them, into UTC instants."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_times", "DAYFIRST_FORMATS", "MONTHFIRST_FORMATS", "DAY_FIRST", "MONTH_FIRST", "OrderEvidence",
           "order_evidence", "date_order_warnings"]

DAY_FIRST, MONTH_FIRST = "dmy", "mdy"
"""Orders of day and month in numeric dates: ``jj/mm/aaaa`` (French, the default) and ``mm/dd/yyyy`` (US)."""

# Tried in order on the values the previous formats left unparsed.
DAYFIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
)
# The same formats with month and day exchanged (year-first formats are never ambiguous: kept as they are)
MONTHFIRST_FORMATS = tuple(fmt if fmt.startswith("%Y") else fmt.replace("%d", "%D").replace("%m", "%d").replace(
    "%D", "%m") for fmt in DAYFIRST_FORMATS)
_SAMPLE = 200  # values read to rank the formats
# An offset follows a time of day: "…14:30:00+01:00", "…13:30Z" (never the "-2026" of "02-03-2026")
_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _ranked_formats(values: pd.Series, *, sample: int = _SAMPLE, formats: tuple[str, ...] = DAYFIRST_FORMATS
                    ) -> list[str]:
    """Order ``formats`` by how many of the first values each reads (a file keeps one format)."""
    head = values.head(sample)
    if head.empty:
        return []
    hits = {fmt: int(pd.to_datetime(head, format=fmt, errors="coerce").notna().sum()) for fmt in formats}
    return sorted(formats, key=lambda fmt: -hits[fmt])


# A numeric date that starts with its day or its month: "3/4/2026", "03-04-26 14:30", "03.04.2026"
_NUMERIC_DATE = r"^\s*(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-]\d{2}(?:\d{2})?(?:$|[\sT])"


@dataclass(frozen=True)
class OrderEvidence:
    """What the values of a time column say about the order of day and month.

    Attributes
    ----------
    day_first
        Values that only read day first (their first number is over 12: ``25/03/2026``).
    month_first
        Values that only read month first (their second number is over 12: ``03/25/2026``).
    ambiguous
        Values that read both ways (both numbers are 12 or less: ``03/04/2026``).
    """

    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0

    def __add__(self, other: OrderEvidence) -> OrderEvidence:
        return OrderEvidence(self.day_first + other.day_first, self.month_first + other.month_first,
                             self.ambiguous + other.ambiguous)

    @property
    def numeric(self) -> int:
        """Values written as numeric dates with day and month (all three kinds)."""
        return self.day_first + self.month_first + self.ambiguous

    @property
    def decided(self) -> bool:
        """Tell whether some value can only be read one way."""
        return self.day_first + self.month_first > 0

    def order(self) -> str | None:
        """Return the order of the whole column: :data:`DAY_FIRST` or :data:`MONTH_FIRST`.

        The order most values can only be read in wins; when none decides (every value reads both ways)
        or both are equally frequent, day first (the French usage). ``None`` when the column has no
        numeric date with day and month (ISO 8601 dates, empty column).
        """
        if not self.numeric:
            return None
        return MONTH_FIRST if self.month_first > self.day_first else DAY_FIRST

    def contradicting(self) -> int:
        """Return how many values can only be read in the order the column does not follow."""
        return self.day_first if self.order() == MONTH_FIRST else self.month_first


def order_evidence(values: pd.Series) -> OrderEvidence:
    """Count the values of a time column that read only day first, only month first, or both ways."""
    text = pa.array(values.fillna("").astype(str), type=pa.string())
    if isinstance(text, pa.ChunkedArray):  # pandas' Arrow-backed strings come in several chunks
        text = text.combine_chunks()
    parts = pc.extract_regex(text, _NUMERIC_DATE)
    valid = parts.is_valid()
    if not pc.any(valid).as_py():
        return OrderEvidence()
    parts = parts.filter(valid)
    first = pc.cast(parts.field("a"), pa.int32())
    second = pc.cast(parts.field("b"), pa.int32())
    first_big, second_big = pc.greater(first, 12), pc.greater(second, 12)
    first_day, second_day = pc.less_equal(first, 31), pc.less_equal(second, 31)  # "45/03" is no day at all
    both_small = pc.and_(pc.invert(first_big), pc.invert(second_big))
    return OrderEvidence(
        day_first=int(pc.sum(pc.and_(pc.and_(first_big, first_day), pc.invert(second_big))).as_py() or 0),
        month_first=int(pc.sum(pc.and_(pc.and_(second_big, second_day), pc.invert(first_big))).as_py() or 0),
        ambiguous=int(pc.sum(both_small).as_py() or 0),
    )


def date_order_warnings(evidence: OrderEvidence, column: str, *, batch_id: int | None = None) -> list[str]:
    """Return French warnings on the order of day and month chosen for ``column`` (none for ISO dates).

    Parameters
    ----------
    batch_id
        The batch the file was imported as (the hint says how to undo it); ``None`` before the import.
    """
    order = evidence.order()
    if order is None:
        return []
    warnings = []
    if not evidence.decided:
        warnings.append(
            f"dates de la colonne « {column} » ambiguës : jour et mois y sont tous deux ≤ 12 "
            f"({evidence.ambiguous} valeur(s)), rien ne dit si « 03/04 » est le 3 avril ou le 4 mars. Lues jour "
            "d'abord (jj/mm/aaaa, l'usage français). " + (
                f"Fichier au format américain (mm/jj/aaaa) ? Annulez ce lot (python -m geo batches remove {batch_id}, "
                "ou page Import) et réimportez avec le format des dates %m/%d/%Y (--time-format)."
                if batch_id is not None else
                "Fichier au format américain (mm/jj/aaaa) ? Indiquez le format des dates %m/%d/%Y "
                "(--time-format, ou « Format des dates » dans Options de lecture).")
        )
    elif order == MONTH_FIRST:
        warnings.append(
            f"dates de la colonne « {column} » lues mois d'abord (mm/jj/aaaa, format américain) : "
            f"{evidence.month_first} valeur(s) ne se lisent que dans cet ordre (« 03/25 »)"
        )
    contrary = evidence.contradicting()
    if contrary:
        other = "jour d'abord" if order == MONTH_FIRST else "mois d'abord"
        warnings.append(
            f"{contrary} date(s) de la colonne « {column} » ne se lisent que {other}, à l'inverse du reste de la "
            "colonne : mises en quarantaine (une colonne n'a qu'un ordre jour/mois)"
        )
    return warnings


# Zero-padded numeric directives of :data:`DAYFIRST_FORMATS`: field of the parsed time, printed width
_FIELDS = {"d": (pc.day, 2), "m": (pc.month, 2), "Y": (pc.year, 4), "y": (pc.year, 2), "H": (pc.hour, 2),
           "M": (pc.minute, 2), "S": (pc.second, 2)}
_DIRECTIVE = re.compile(r"%(.)")
# Every number of 2 and 4 digits, zero-padded: printing a field is a ``take`` from these
_PADDED = {width: pa.array([f"{number:0{width}d}" for number in range(10**width)]) for width in (2, 4)}


def _printed(parsed: pa.Array, fmt: str) -> pa.Array:
    """Return ``strftime(parsed, fmt)``, built field by field when ``fmt`` allows it (several times faster).

    Only formats made of the zero-padded numeric directives of :data:`_FIELDS` are built; so are only
    years of four digits, whose ``%Y`` and ``%y`` print without a sign or padding question. Anything else
    goes through Arrow's ``strftime``.
    """
    pieces = _DIRECTIVE.split(fmt)  # literal, directive, literal, directive, …, literal
    directives = pieces[1::2]
    if not directives or not set(directives) <= _FIELDS.keys():
        return pc.strftime(parsed, format=fmt)
    years = pc.year(parsed)
    if not pc.all(pc.and_(pc.greater_equal(years, 1000), pc.less_equal(years, 9999))).as_py():
        return pc.strftime(parsed, format=fmt)
    parts: list[pa.Array | str] = []
    for position, piece in enumerate(pieces):
        if position % 2 == 0:
            if piece:
                parts.append(piece)
            continue
        field_of, width = _FIELDS[piece]
        values = years if piece in "Yy" else field_of(parsed)
        if piece == "y":
            values = pc.subtract(values, pc.multiply(pc.divide(values, 100), 100))
        parts.append(pc.take(_PADDED[width], values))
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "")


# Times outside pandas' nanosecond range (years 1678-2261) are clipped to just inside it: they are then
# rejected as before 2000 or in the future, like any other, instead of failing the whole import.
_EARLIEST_NS = np.datetime64("1678-01-01T00:00:00", "s")
_LATEST_NS = np.datetime64("2262-01-01T00:00:00", "s")


def _as_ns(values: np.ndarray | pd.Series | pd.Index) -> np.ndarray:
    """Return naive ``datetime64`` values of any unit as ``datetime64[ns]``, clipped into its range."""
    array = np.asarray(values)
    if array.dtype == np.dtype("datetime64[ns]"):
        return array
    clipped = np.clip(array, _EARLIEST_NS.astype(array.dtype), _LATEST_NS.astype(array.dtype))
    return clipped.astype("datetime64[ns]")


def _exact_strptime(values: pd.Series, fmt: str) -> np.ndarray:
    """Parse with Arrow's vectorised ``strptime``, keeping only values that print back unchanged.

    The round trip rejects what Arrow would bend (``31/02`` rolled over to March) and what it reads
    loosely (``1/2/2026 9:05`` without zero padding): those are left ``NaT`` for pandas' own parser.

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` times, in the order of ``values``.
    """
    text = pa.array(values, type=pa.string())
    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    exact = pc.fill_null(pc.equal(_printed(parsed, fmt), text), False)
    kept = pc.if_else(exact, parsed, pa.scalar(None, type=parsed.type))
    return _as_ns(kept.to_numpy(zero_copy_only=False))


def _localize(naive: pd.Series, timezone: str, *, utc: bool) -> pd.Series:
    if utc:
        return naive.dt.tz_localize("UTC")
    # ambiguous autumn hour: take the first (summer time) occurrence; spring gap: shift forward
    local = naive.dt.tz_localize(timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def parse_times(
    values: pd.Series, *, timezone: str = "Europe/Paris", fmt: str | None = None, naive_is_utc: bool = False,
    clock: pd.Series | None = None, date_order: str | None = None,
) -> pd.Series:
    """Return UTC times (``NaT`` where a value cannot be read).

    Parameters
    ----------
    values
        Text cells: ISO 8601 with or without offset, or day-first French dates (``25/11/2026 14:30``).
    timezone
        Zone of naive times (times without offset).
    fmt
        A ``strptime`` format that all values follow (``--time-format``).
    naive_is_utc
        Naive values are UTC rather than local (KoboToolbox ``_submission_time``).
    clock
        Optional separate time-of-day column (``14:30``) joined to date-only values.
    date_order
        :data:`DAY_FIRST` (the default, ``jj/mm/aaaa``) or :data:`MONTH_FIRST` (``mm/dd/yyyy``): the order of
        day and month in numeric dates, decided for a whole column (:func:`order_evidence`); never mixed.
    """
    if date_order not in (None, DAY_FIRST, MONTH_FIRST):
        raise ValueError(f"expected date_order {DAY_FIRST!r} or {MONTH_FIRST!r}; found {date_order!r}")
    formats = MONTHFIRST_FORMATS if date_order == MONTH_FIRST else DAYFIRST_FORMATS
    text = values.fillna("").astype(str).str.strip()
    if clock is not None:
        hours = clock.fillna("").astype(str).str.strip()
        text = text.where(hours.eq(""), text + " " + hours)
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    filled = text.ne("")
    if fmt:
        parsed = pd.to_datetime(text.where(filled), format=fmt, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            utc = _as_ns(parsed.dt.tz_convert("UTC").dt.tz_localize(None))
            return pd.Series(utc, index=text.index).dt.tz_localize("UTC")
        ok = parsed.notna()
        naive = pd.Series(_as_ns(parsed[ok]), index=parsed.index[ok])
        result[ok] = _localize(naive, timezone, utc=naive_is_utc).astype("datetime64[ns, UTC]")
        return result
    # masks are numpy arrays and values are assigned by position: ``text`` keeps its order throughout
    filled = filled.to_numpy(dtype=bool)
    # only ISO-looking values (``2026-…``) can carry an offset: test the pattern on those alone
    iso_like = filled & text.str[4:5].eq("-").to_numpy(dtype=bool)
    with_offset = np.zeros(len(text), dtype=bool)
    if iso_like.any():
        with_offset[iso_like] = text[iso_like].str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    instants = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")  # UTC
    if with_offset.any():
        parsed = pd.to_datetime(text[with_offset], format="ISO8601", errors="coerce", utc=True)
        instants[with_offset] = _as_ns(parsed.dt.tz_localize(None))
    iso = iso_like & ~with_offset  # ``^\d{4}-`` implies an ISO-looking value
    if iso.any():
        iso[iso] = text[iso].str.match(r"^\d{4}-\d{2}-\d{2}").to_numpy(dtype=bool)
    naive = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    if iso.any():
        naive[iso] = _as_ns(pd.to_datetime(text[iso], format="ISO8601", errors="coerce"))
    unread = filled & ~with_offset & np.isnat(naive)
    for rank, candidate in enumerate(_ranked_formats(text.iloc[np.flatnonzero(unread)[:_SAMPLE]], formats=formats)):
        todo = filled & ~with_offset & np.isnat(naive)
        if not todo.any():
            break
        if rank == 0:  # the file's own format: most values, fast path first
            naive[todo] = _exact_strptime(text[todo], candidate)
            todo = filled & ~with_offset & np.isnat(naive)
            if not todo.any():
                break
        naive[todo] = _as_ns(pd.to_datetime(text[todo], format=candidate, errors="coerce"))
    ok = ~np.isnat(naive)
    if ok.any():
        local = _localize(pd.Series(naive[ok], index=text.index[ok]), timezone, utc=naive_is_utc)
        instants[ok] = local.astype("datetime64[ns, UTC]").dt.tz_localize(None).to_numpy()
    return pd.Series(instants, index=text.index).dt.tz_localize("UTC")
