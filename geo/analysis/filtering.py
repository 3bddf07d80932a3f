"""The report filter shared by every page (period, registre, category, status, neighbourhood)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ReportFilter", "apply_filter", "kept_positions"]


@dataclass(frozen=True)
class ReportFilter:
    """Which reports to show; an empty tuple means no restriction on that field.

    Attributes
    ----------
    start, end
        Inclusive local dates of observation (``None``: unbounded).
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    registres: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """Tell whether the filter keeps every report."""
        return self == ReportFilter()


def kept_positions(reports: pd.DataFrame, flt: ReportFilter) -> np.ndarray | None:
    """Return the row positions (increasing) of the reports kept by ``flt``; ``None`` when it keeps all.

    What a cache keeps instead of a filtered copy: 4 bytes per kept report (int32) rather than every column.
    ``start``/``end`` are local calendar dates in the time zone of ``reports["observed_at"]``.
    """
    if flt.is_empty() or reports.empty:
        return None
    keep = np.ones(len(reports), dtype=bool)
    tz = reports["observed_at"].dt.tz
    if flt.start is not None:
        keep &= (reports["observed_at"] >= pd.Timestamp(flt.start).tz_localize(None).tz_localize(tz)).to_numpy()
    if flt.end is not None:
        end = pd.Timestamp(flt.end).tz_localize(None).normalize() + pd.Timedelta(days=1)
        keep &= (reports["observed_at"] < end.tz_localize(tz)).to_numpy()
    for column, values in (("registre", flt.registres), ("category", flt.categories), ("status", flt.statuses),
                           ("neighbourhood", flt.neighbourhoods)):
        if values:
            keep &= reports[column].isin(values).to_numpy()
    kept = np.flatnonzero(keep)
    return kept.astype(np.int32) if len(reports) < 2**31 else kept


def apply_filter(reports: pd.DataFrame, flt: ReportFilter) -> pd.DataFrame:
    """Return the reports kept by ``flt`` (the input itself when it keeps all; else a copy, the input unmodified).

    ``start``/``end`` are local calendar dates in the time zone of ``reports["observed_at"]``.
    """
    kept = kept_positions(reports, flt)
    return reports if kept is None else reports.take(kept)
