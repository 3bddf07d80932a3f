"""The fixed calendar periods a partner may ask for: completed months, quarters, years, and « depuis le début ».

Why fixed periods: every partner table is protected for one period (:mod:`geo.sharing.disclosure`). With free
dates, a partner asks for two periods that differ by one day and subtracts the exact published cells: the
difference is the count of that day, small or not (a differencing attack). So a partner (its page, and every
export made for it) only reaches periods of this module:

- a **completed calendar month** — the atom every other period is made of;
- a completed calendar **quarter** or **year**, and **« depuis le début »** (from the month of the first report
  to the end of the last completed month): each is a union of whole months, and its view is *derived* from the
  published views of its months (:mod:`geo.sharing.period_view`), so it tells nothing the months do not;
- never the current month: its content grows every day, and two views of it taken on two days would give
  that day's reports by difference. Its reports reach partners when the month is over.

ISO weeks are not offered: they straddle months, and a week next to the month it overlaps gives the days of
the month outside the week by difference.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store

__all__ = ["KINDS", "MONTHS_FR", "FixedPeriod", "month_period", "quarter_period", "year_period", "all_period",
           "first_report_month", "available_periods", "ensure_completed", "parse_period", "period_from_dates",
           "PERIOD_HELP"]

KINDS: Final = {"mois": "Mois", "trimestre": "Trimestre", "annee": "Année", "tout": "Depuis le début"}
"""Kinds of fixed periods (code -> French label)."""
MONTHS_FR: Final = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
                    "octobre", "novembre", "décembre")
PERIOD_HELP: Final = ("AAAA-MM (un mois), AAAA-T1 à AAAA-T4 (un trimestre), AAAA (une année) ou « tout » "
                      "(depuis le début)")
"""How to write a fixed period on the command line (French)."""
_ORDINALS: Final = ("1er", "2e", "3e", "4e")


@dataclass(frozen=True)
class FixedPeriod:
    """One fixed calendar period: a half-open interval of local times made of whole calendar months.

    Attributes
    ----------
    kind
        ``mois``, ``trimestre``, ``annee`` or ``tout``.
    start, end
        ``[start, end)``, local times at midnight on the 1st of a month (``start == end``: no month, an empty
        « depuis le début »).
    label
        The period in French, as shown after « Période : » (« mois de novembre 2026 »).
    code
        The period as written on the command line (``2026-11``, ``2026-T4``, ``2026``, ``tout``).
    """

    kind: str
    start: pd.Timestamp
    end: pd.Timestamp
    label: str
    code: str

    def months(self) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Return the calendar months ``[start, end)`` the period is made of, oldest first."""
        out = []
        first = self.start
        while first < self.end:
            nxt = _next_month(first)
            out.append((first, nxt))
            first = nxt
        return out


def _month_start(year: int, month: int, timezone: str) -> pd.Timestamp:
    return pd.Timestamp(year=year, month=month, day=1).tz_localize(timezone)


def _next_month(first: pd.Timestamp) -> pd.Timestamp:
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return _month_start(year, month, str(first.tz))


def _current_month(now: pd.Timestamp, timezone: str) -> pd.Timestamp:
    local = now.tz_convert(timezone) if now.tzinfo is not None else now.tz_localize(timezone)
    return _month_start(local.year, local.month, timezone)


def month_period(year: int, month: int, *, timezone: str) -> FixedPeriod:
    """Return the calendar month ``year``-``month``."""
    start = _month_start(year, month, timezone)
    return FixedPeriod("mois", start, _next_month(start), f"mois {_de(MONTHS_FR[month - 1])} {year}",
                       f"{year}-{month:02d}")


def _de(word: str) -> str:
    return f"d'{word}" if word[0] in "aeiouéèêà" else f"de {word}"


def quarter_period(year: int, quarter: int, *, timezone: str) -> FixedPeriod:
    """Return the calendar quarter ``quarter`` (1–4) of ``year``."""
    start = _month_start(year, 3 * quarter - 2, timezone)
    end = _month_start(year + 1, 1, timezone) if quarter == 4 else _month_start(year, 3 * quarter + 1, timezone)
    months = f"{MONTHS_FR[3 * quarter - 3]} à {MONTHS_FR[3 * quarter - 1]}"
    return FixedPeriod("trimestre", start, end, f"{_ORDINALS[quarter - 1]} trimestre {year} ({months})",
                       f"{year}-T{quarter}")


def year_period(year: int, *, timezone: str) -> FixedPeriod:
    """Return the calendar year ``year``."""
    return FixedPeriod("annee", _month_start(year, 1, timezone), _month_start(year + 1, 1, timezone),
                       f"année {year}", str(year))


def all_period(first_month: pd.Timestamp | None, *, now: pd.Timestamp, timezone: str) -> FixedPeriod:
    """Return « depuis le début »: from ``first_month`` (the month of the first report) to the current month."""
    end = _current_month(now, timezone)
    start = end if first_month is None else min(_month_start(first_month.year, first_month.month, timezone), end)
    last = end - pd.Timedelta(days=1)
    return FixedPeriod("tout", start, end, f"depuis le début (jusqu'au {last:%d/%m/%Y})", "tout")


def first_report_month(store: Store, *, timezone: str) -> pd.Timestamp | None:
    """Return the first day of the month of the oldest report (local time), ``None`` for an empty store."""
    with store.engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(schema.reports.c.observed_at))).scalar()
    if first is None:
        return None
    local = pd.Timestamp(int(first), unit="s", tz="UTC").tz_convert(timezone)
    return _month_start(local.year, local.month, timezone)


def available_periods(first_month: pd.Timestamp | None, *, now: pd.Timestamp,
                      timezone: str) -> dict[str, list[FixedPeriod]]:
    """Return the periods a partner may choose, per kind, newest first: only completed ones.

    Months, quarters and years from the one holding ``first_month`` to the last one completed before ``now``;
    ``tout`` always (empty when the store is).
    """
    end = _current_month(now, timezone)
    out: dict[str, list[FixedPeriod]] = {kind: [] for kind in KINDS}
    if first_month is not None:
        first = _month_start(first_month.year, first_month.month, timezone)
        month = first
        while month < end:
            out["mois"].append(month_period(month.year, month.month, timezone=timezone))
            month = _next_month(month)
        for year in range(first.year, end.year + 1):
            for quarter in range(1, 5):
                period = quarter_period(year, quarter, timezone=timezone)
                if period.end <= end and period.end > first:
                    out["trimestre"].append(period)
            period = year_period(year, timezone=timezone)
            if period.end <= end:
                out["annee"].append(period)
    out["tout"].append(all_period(first_month, now=now, timezone=timezone))
    return {kind: list(reversed(periods)) if kind != "tout" else periods for kind, periods in out.items()}


def ensure_completed(period: FixedPeriod, *, now: pd.Timestamp, timezone: str) -> FixedPeriod:
    """Return ``period`` if it is over at ``now``; else raise :class:`InputError` (French)."""
    return _completed(period, now=now, timezone=timezone, asked=period.code)


def _completed(period: FixedPeriod, *, now: pd.Timestamp, timezone: str, asked: str) -> FixedPeriod:
    current = _current_month(now, timezone)
    if period.end > current:
        last = current - pd.Timedelta(days=1)
        closed = month_period(last.year, last.month, timezone=timezone)
        raise InputError(f"période {asked} non terminée (« {period.label} ») : un partenaire ne reçoit que des "
                         f"périodes closes ; le dernier mois clos est le {closed.label} (--periode {closed.code})")
    return period


def parse_period(text: str, *, now: pd.Timestamp, timezone: str, first_month: pd.Timestamp | None = None,
                 completed: bool = True) -> FixedPeriod:
    """Return the fixed period written ``text`` (:data:`PERIOD_HELP`).

    ``completed``: refuse a period that is not over at ``now`` (always, for a partner).

    Raises
    ------
    InputError
        When ``text`` is not one of these forms, or (``completed``) names a period that is not over.
    """
    value = str(text).strip()
    check = _completed if completed else (lambda period, **_: period)
    if value.lower() in ("tout", "depuis-le-debut", "depuis le début"):
        return all_period(first_month, now=now, timezone=timezone)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return check(month_period(year, month, timezone=timezone), now=now, timezone=timezone, asked=value)
    elif match := re.fullmatch(r"(\d{4})-[TtQq]([1-4])", value):
        return check(quarter_period(int(match[1]), int(match[2]), timezone=timezone), now=now, timezone=timezone,
                     asked=value)
    elif re.fullmatch(r"\d{4}", value):
        return check(year_period(int(value), timezone=timezone), now=now, timezone=timezone, asked=value)
    raise InputError(f"période attendue : {PERIOD_HELP} ; trouvé {value!r}")


def period_from_dates(first: dt.date | None, last: dt.date | None, *, now: pd.Timestamp, timezone: str,
                      first_month: pd.Timestamp | None = None) -> FixedPeriod:
    """Return the fixed period whose first and last days are ``first`` and ``last`` (inclusive), if there is one.

    Both ``None``: « depuis le début ». Kept for ``--from`` / ``--to`` of a partner export.

    Raises
    ------
    InputError
        When the dates are not exactly a calendar month, quarter or year, or the period is not over.
    """
    if first is None and last is None:
        return all_period(first_month, now=now, timezone=timezone)
    asked = f"du {first:%d/%m/%Y} au {last:%d/%m/%Y}" if first and last else (
        f"depuis le {first:%d/%m/%Y}" if first else f"jusqu'au {last:%d/%m/%Y}")
    found = None
    if first is not None and last is not None and first.day == 1:
        candidates = [month_period(first.year, first.month, timezone=timezone)]
        if first.month in (1, 4, 7, 10):
            candidates.append(quarter_period(first.year, (first.month + 2) // 3, timezone=timezone))
        if first.month == 1:
            candidates.append(year_period(first.year, timezone=timezone))
        for period in candidates:
            if (period.end - pd.Timedelta(days=1)).date() == last:
                found = period
    if found is None:
        raise InputError(f"un partenaire ne reçoit que des périodes fixes (un mois, un trimestre ou une année "
                         f"civils terminés, ou depuis le début) ; {asked} n'en est pas une. Demandez par exemple "
                         f"--periode {PERIOD_HELP}, ou --from et --to sur le premier et le dernier jour d'un mois, "
                         f"d'un trimestre ou d'une année")
    return _completed(found, now=now, timezone=timezone, asked=asked)
