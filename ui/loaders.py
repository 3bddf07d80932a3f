"""The one layer where pages reach ``geo``: cached, keyed on the store's data version.

A page rerun never re-reads the whole store: readers are cached under ``(db_url, data_version)``,
and the data version is one cheap query (cached for half a second) bumped by every write.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.analysis import overview
from geo.analysis.filtering import ReportFilter, kept_positions
from geo.ingest.provenance import raw_row as _read_raw_row
from geo.settings import Settings, load_settings
from geo.store.database import READ_COLUMNS, Store
from geo.store.mapped_reports import load_mapped_reports
from geo.store.structures import scoped_url
from geo.taxonomy import Taxonomy, load_taxonomy

__all__ = ["settings", "store", "taxonomy", "data_version", "reports", "filtered_reports", "filtered_count",
           "filtered_columns", "territory", "category_labels", "neighbourhood_names", "refresh", "report_details"]


STRUCTURE_KEY = "structure_connectee"
"""Session-state key of the signed-in user's structure code (set by :mod:`ui.auth`; absent: the default one)."""


def settings() -> Settings:
    """Return the settings from the environment (cheap; not cached so that each store URL keys its caches).

    The store URL names the signed-in user's structure (:mod:`geo.store.structures`): every loader, keyed on
    it, reads that structure's data only.
    """
    found = load_settings()
    code = st.session_state.get(STRUCTURE_KEY) if get_script_run_ctx() is not None else None
    return dataclasses.replace(found, db_url=scoped_url(found.db_url, code)) if code else found


@st.cache_resource
def _store(url: str) -> Store:
    return Store(url)


def store() -> Store:
    """Return the shared store of the configured URL."""
    return _store(settings().db_url)


@st.cache_resource
def _taxonomy(path: str) -> Taxonomy:
    return load_taxonomy(path)


def taxonomy() -> Taxonomy:
    """Return the taxonomy."""
    return _taxonomy(str(settings().taxonomy_path))


# Re-read at most every half second: another instance's write (same PostgreSQL) reaches this one's pages within
# a second, rerun included (tests/e2e/test_two_instances.py).
@st.cache_data(ttl=0.5, show_spinner=False)
def _version(url: str) -> int:
    return _store(url).data_version()


def data_version() -> int:
    """Return the store's data version (re-read at most every half second)."""
    return _version(settings().db_url)


def refresh() -> None:
    """Forget the cached data version after this session wrote to the store."""
    _version.clear()


# What the pages need of every report; the registre follows from the category (current taxonomy),
# which saves reading a text column a million times.
_PAGE_COLUMNS = tuple(c for c in READ_COLUMNS if c not in ("registre", "team"))


# One entry: the frame of the current data version. Its columns are memory-mapped files (geo.store.mapped_reports):
# file pages the kernel shares between the instances of a host and drops under pressure, not this process's heap.
# Only ``registre`` (1 byte per report: it follows the current taxonomy) lives in the heap.
@st.cache_resource(max_entries=1, show_spinner="Chargement des signalements…")
def _reports(url: str, version: int) -> pd.DataFrame:
    frame = load_mapped_reports(_store(url), columns=_PAGE_COLUMNS, timezone=settings().timezone)
    frame["registre"] = _registres(frame["category"])
    return frame


def _registres(category: pd.Series) -> pd.Categorical:
    """Return the current registre of each report, as ``current_registres(…).astype("category")`` gives it.

    Mapped on the few category codes: 1 or 2 bytes per report, never a text column of every report.
    """
    codes = category.array.codes
    names = category.array.categories
    present = np.bincount(codes[codes >= 0], minlength=len(names)) > 0
    per_category = taxonomy().current_registres(pd.Series(names, dtype=object)).tolist()
    values = sorted({v for v, seen in zip(per_category, present, strict=True) if seen and pd.notna(v)})
    position = {v: i for i, v in enumerate(values)}
    # the last entry serves the code -1 (no category): no registre
    lookup = np.array([position.get(v, -1) if pd.notna(v) else -1 for v in per_category] + [-1], dtype=np.int16)
    return pd.Categorical.from_codes(lookup[codes], categories=pd.Index(values, dtype="str"))


def reports() -> pd.DataFrame:
    """Return every stored report (analysis columns; shared, do not modify in place)."""
    return _reports(settings().db_url, data_version())


# The row positions kept by a filter, not a filtered copy of every column: 4 bytes per kept report.
@st.cache_resource(max_entries=8, show_spinner=False)
def _kept(url: str, version: int, flt: ReportFilter) -> np.ndarray | None:
    return kept_positions(_reports(url, version), flt)


def filtered_reports(flt: ReportFilter) -> pd.DataFrame:
    """Return the reports kept by the shared filter (shared, do not modify in place).

    Without a restriction: the shared frame itself. Else a copy of the kept rows made on each call and dropped
    with its caller's result (cached analyses keep their results, not this copy).
    """
    url, version = settings().db_url, data_version()
    kept = _kept(url, version, flt)
    frame = _reports(url, version)
    return frame if kept is None else frame.take(kept)


def filtered_columns(flt: ReportFilter, columns: list[str]) -> pd.DataFrame:
    """Return ``columns`` of the reports kept by ``flt`` (copied only when the filter restricts)."""
    url, version = settings().db_url, data_version()
    kept = _kept(url, version, flt)
    frame = _reports(url, version)[columns]
    return frame if kept is None else frame.take(kept)


def filtered_count(flt: ReportFilter) -> int:
    """Return how many reports the shared filter keeps (no copy)."""
    url, version = settings().db_url, data_version()
    kept = _kept(url, version, flt)
    return len(_reports(url, version)) if kept is None else len(kept)


@st.cache_resource(max_entries=2, show_spinner=False)
def _territory(url: str, version: int) -> pd.DataFrame:
    return _store(url).load_territory()


def territory() -> pd.DataFrame:
    """Return the neighbourhoods (GeoDataFrame, WGS84)."""
    return _territory(settings().db_url, data_version())


def category_labels() -> dict[str, str]:
    """Return category code -> French label."""
    return {code: cat.label for code, cat in taxonomy().categories.items()}


def neighbourhood_names() -> pd.Series:
    """Return neighbourhood code -> name."""
    terr = territory()
    return pd.Series(terr["name"].to_numpy(), index=terr["code"].to_numpy())


@st.cache_data(max_entries=64, show_spinner=False)
def _details(url: str, version: int, ids: tuple[str, ...]) -> pd.DataFrame:
    return _store(url).read_reports_by_id(ids, columns=("id", "description", "author"))


def report_details(ids: list[str]) -> pd.DataFrame:
    """Return free-text columns of a few reports (read on demand, never for the whole store)."""
    return _details(settings().db_url, data_version(), tuple(ids))


@st.cache_data(max_entries=16, show_spinner=False)
def _raw_row(url: str, version: int, report_id: str) -> dict[str, str] | None:
    return _read_raw_row(_store(url), report_id)


def raw_row(report_id: str) -> dict[str, str] | None:
    """Return the row ``report_id`` was imported from (read again from the kept file when needed), or None."""
    return _raw_row(settings().db_url, data_version(), report_id)


def _undated(flt: ReportFilter) -> ReportFilter:
    return dataclasses.replace(flt, start=None, end=None)


def period_figures(windows: overview.PeriodWindows, flt: ReportFilter) -> dict[str, overview.WeekFigures]:
    """Return the home page's figures: the period of ``windows``, the one before, a year earlier.

    They are counted on the reports kept by every filter but the dates (the two other windows lie
    outside the chosen dates).
    """
    return _period_figures(settings().db_url, data_version(), windows, _undated(flt))


@st.cache_data(max_entries=16, show_spinner=False)
def _period_figures(url: str, version: int, windows: overview.PeriodWindows,
                    flt: ReportFilter) -> dict[str, overview.WeekFigures]:
    tax = taxonomy()
    degradations = [c.code for c in tax.categories.values() if c.kind == "degradation"]
    return overview.period_figures(filtered_columns(flt, ["observed_at", "status", "category"]), windows,
                                   open_statuses=tax.open_statuses, degradations=degradations)


def neighbourhood_changes(windows: overview.PeriodWindows, flt: ReportFilter) -> pd.DataFrame:
    """Return the quartiers whose count changed most between the period and the one before."""
    return _changes(settings().db_url, data_version(), windows, _undated(flt))


@st.cache_data(max_entries=16, show_spinner=False)
def _changes(url: str, version: int, windows: overview.PeriodWindows, flt: ReportFilter) -> pd.DataFrame:
    return overview.neighbourhood_changes(filtered_columns(flt, ["observed_at", "neighbourhood"]),
                                          neighbourhood_names(), windows=windows)


def latest_reports(flt: ReportFilter, *, limit: int = 10) -> pd.DataFrame:
    """Return the most recent filtered reports, with French labels, for display."""
    observed = filtered_columns(flt, ["observed_at"])  # one column (8 bytes per kept report), not all of them
    latest = reports().loc[observed.nlargest(limit, "observed_at").index]
    tax = taxonomy()
    return pd.DataFrame({
        "Date": latest["observed_at"].dt.strftime("%d/%m/%Y %H:%M"),
        "Catégorie": latest["category"].map(category_labels()),
        "Quartier": latest["neighbourhood"].map(neighbourhood_names()).astype(object).fillna("Hors territoire"),
        "Gravité": latest["severity"],
        "Statut": latest["status"].map(tax.statuses),
    })
