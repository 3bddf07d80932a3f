"""The report filter shared by every page (period, registre, category, status, neighbourhood)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["ReportFilter", "apply_filter"]


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


def apply_filter(reports: pd.DataFrame, flt: ReportFilter) -> pd.DataFrame:
    """Return the reports kept by ``flt`` (a view-safe copy; the input is not modified).

    ``start``/``end`` are local calendar dates in the time zone of ``reports["observed_at"]``.
    """
    if flt.is_empty() or reports.empty:
        return reports
    keep = pd.Series(True, index=reports.index)
    tz = reports["observed_at"].dt.tz
    if flt.start is not None:
        keep &= reports["observed_at"] >= pd.Timestamp(flt.start).tz_localize(None).tz_localize(tz)
    if flt.end is not None:
        end = pd.Timestamp(flt.end).tz_localize(None).normalize() + pd.Timedelta(days=1)
        keep &= reports["observed_at"] < end.tz_localize(tz)
    for column, values in (("registre", flt.registres), ("category", flt.categories), ("status", flt.statuses),
                           ("neighbourhood", flt.neighbourhoods)):
        if values:
            keep &= reports[column].isin(values)
    return reports[keep]
