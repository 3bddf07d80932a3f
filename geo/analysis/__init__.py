"""Figures drawn from the reports: aggregation, filters, the home page's overview."""

from __future__ import annotations

from geo.analysis.aggregation import aggregate_reports, local_bounds, parse_group_keys
from geo.analysis.filtering import ReportFilter, apply_filter
from geo.analysis.overview import neighbourhood_changes, week_figures

__all__ = [
    "aggregate_reports", "parse_group_keys", "local_bounds", "ReportFilter", "apply_filter", "week_figures",
    "neighbourhood_changes",
]
