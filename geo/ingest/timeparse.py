"""Parse observation times written in the ways people write them, into UTC instants."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["parse_times", "DAYFIRST_FORMATS"]

# Tried in order on the values the previous formats left unparsed.
DAYFIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y",
    "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
)
_SAMPLE = 200  # values read to rank the formats
# An offset follows a time of day: "…14:30:00+01:00", "…13:30Z" (never the "-2026" of "02-03-2026")
_OFFSET = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _ranked_formats(values: pd.Series, *, sample: int = _SAMPLE) -> list[str]:
    """Order :data:`DAYFIRST_FORMATS` by how many of the first values each reads (a file keeps one format)."""
    head = values.head(sample)
    if head.empty:
        return []
    hits = {fmt: int(pd.to_datetime(head, format=fmt, errors="coerce").notna().sum()) for fmt in DAYFIRST_FORMATS}
    return sorted(DAYFIRST_FORMATS, key=lambda fmt: -hits[fmt])


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
    clock: pd.Series | None = None,
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
    """
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
    for rank, candidate in enumerate(_ranked_formats(text.iloc[np.flatnonzero(unread)[:_SAMPLE]])):
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
