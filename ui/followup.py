"""The follow-up pages' link to ``geo.workflow``: cached readers keyed on the data version, and actions."""

from __future__ import annotations

import folium
import pandas as pd
import streamlit as st

from geo.maps.assets import use_local_assets
from geo.maps.entry_map import build_entry_map
from geo.workflow import activity as activity_mod
from geo.workflow.duplicates import suggest_duplicates
from geo.workflow.lifecycle import STATUS_LABELS, read_history
from geo.workflow.partners import read_partners
from geo.workflow.photos import add_photo, list_photos, read_photo
from geo.workflow.queue import AGEING_BANDS, ReportQuery, count_reports, list_reports
from geo.workflow.routing import missing_routes, read_routing
from ui import loaders
from ui.offline import register_assets

__all__ = ["STATUS_LABELS", "AGEING_BANDS", "report_list", "report_count", "partner_names", "partners", "routing",
           "missing", "history", "duplicate_suggestions", "activity", "report_map", "photos", "photo_bytes",
           "save_photos", "history_table"]


@st.cache_data(max_entries=16, show_spinner="Recherche des signalements…")
def _report_list(url: str, version: int, query: ReportQuery, now: pd.Timestamp, limit: int | None) -> pd.DataFrame:
    return list_reports(loaders.store(), query, now=now, timezone=loaders.settings().timezone, limit=limit)


def report_list(query: ReportQuery, *, limit: int | None = None) -> pd.DataFrame:
    """Return the (``limit`` newest) reports matching ``query``, ages counted at the current minute."""
    now = pd.Timestamp.now(tz="UTC").floor("min")
    return _report_list(loaders.settings().db_url, loaders.data_version(), query, now, limit)


@st.cache_data(max_entries=16, show_spinner=False)
def _report_count(url: str, version: int, query: ReportQuery, now: pd.Timestamp) -> int:
    return count_reports(loaders.store(), query, now=now)


def report_count(query: ReportQuery) -> int:
    """Return how many reports match ``query``."""
    now = pd.Timestamp.now(tz="UTC").floor("min")
    return _report_count(loaders.settings().db_url, loaders.data_version(), query, now)


@st.cache_data(max_entries=4, show_spinner=False)
def _partners(url: str, version: int) -> list:
    return read_partners(loaders.store())


def partners() -> list:
    """Return the partners registry."""
    return _partners(loaders.settings().db_url, loaders.data_version())


def partner_names() -> dict[str, str]:
    """Return partner id -> name."""
    return {p.id: p.name for p in partners()}


@st.cache_data(max_entries=4, show_spinner=False)
def _routing(url: str, version: int) -> pd.DataFrame:
    return read_routing(loaders.store())


def routing() -> pd.DataFrame:
    """Return the routing table."""
    return _routing(loaders.settings().db_url, loaders.data_version())


@st.cache_data(max_entries=4, show_spinner=False)
def _missing(url: str, version: int) -> pd.DataFrame:
    return missing_routes(loaders.store(), loaders.taxonomy())


def missing() -> pd.DataFrame:
    """Return the category × quartier pairs no route reaches."""
    return _missing(loaders.settings().db_url, loaders.data_version())


def history(report_id: str) -> pd.DataFrame:
    """Return a report's history (read each time: a few rows)."""
    return read_history(loaders.store(), [report_id])


def history_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a history for people: dates in local time, French statuses."""
    tz = loaders.settings().timezone
    return pd.DataFrame({
        "Date": frame["changed_at"].dt.tz_convert(tz).dt.strftime("%d/%m/%Y %H:%M"),
        "De": frame["from_status"].map(STATUS_LABELS).fillna(frame["from_status"]),
        "Vers": frame["to_status"].map(STATUS_LABELS).fillna(frame["to_status"]),
        "Par": frame["changed_by"].fillna(""), "Commentaire": frame["note"].fillna(""),
        "Saisi le": frame["recorded_at"].dt.tz_convert(tz).dt.strftime("%d/%m/%Y %H:%M"),
        "Origine": frame["origin"].fillna(""),
    })


@st.cache_data(max_entries=8, show_spinner="Recherche des doublons probables…")
def _suggestions(url: str, version: int, distance_m: float, hours: float) -> pd.DataFrame:
    # on the pages' memory-mapped reports: no second copy of the store in this process
    return suggest_duplicates(loaders.store(), distance_m=distance_m, hours=hours, reports=loaders.reports())


def duplicate_suggestions(*, distance_m: float, hours: float) -> pd.DataFrame:
    """Return likely duplicates over the whole store (cached per data version and settings)."""
    return _suggestions(loaders.settings().db_url, loaders.data_version(), distance_m, hours)


@st.cache_data(max_entries=16, show_spinner="Calcul du bilan…")
def _activity(url: str, version: int, start: pd.Timestamp, end: pd.Timestamp, by: str) -> activity_mod.Activity:
    return activity_mod.compute_activity(loaders.store(), start=start, end=end, by=by, taxonomy=loaders.taxonomy(),
                                         timezone=loaders.settings().timezone)


def activity(start: pd.Timestamp, end: pd.Timestamp, by: str) -> activity_mod.Activity:
    """Return the activity report of ``[start, end)`` grouped ``by``."""
    return _activity(loaders.settings().db_url, loaders.data_version(), start, end, by)


def report_map(lat: float, lon: float) -> folium.Map:
    """Return a small map of one report's place, with the quartier outlines."""
    fmap = build_entry_map(loaders.territory(), point=(lat, lon), locate=False)
    use_local_assets(fmap, roots=register_assets())
    return fmap


def photos(report_id: str) -> list:
    """Return a report's photos (without bytes)."""
    return list_photos(loaders.store(), report_id)


def photo_bytes(photo_id: int, variant: str = "display") -> bytes | None:
    """Return a photo's stripped display copy (or ``thumbnail``/``original``)."""
    return read_photo(loaders.store(), photo_id, variant=variant)


def save_photos(report_id: str, files: list, *, added_by: str | None = None) -> list[str]:
    """Store uploaded or camera photos with a report; return the error messages (empty when all were stored)."""
    errors = []
    for item in files or []:
        if item is None:
            continue
        try:
            add_photo(loaders.store(), report_id, item.getvalue(), filename=getattr(item, "name", None),
                      added_by=added_by)
        except ValueError as exc:
            errors.append(str(exc))
    loaders.refresh()
    return errors
