"""Cached map building for the pages: one folium Map per (data version, filter, options)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import folium
import numpy as np
import pandas as pd
import streamlit as st

from geo.analysis.filtering import ReportFilter
from geo.maps.assets import use_local_assets
from geo.maps.explorer import NeighbourhoodPanel, build_map, neighbourhood_panel
from geo.store.snapshot import release_unused_memory
from ui import loaders
from ui.offline import register_assets

__all__ = ["MapOptions", "explorer_map", "panel", "panel_open_table", "BASEMAPS", "LAYERS", "COLOUR_LAYERS"]

BASEMAPS = {"osm": "OpenStreetMap", "ign": "IGN Plan (Géoplateforme)", "none": "Aucun fond (hors ligne)"}
LAYERS = {"choropleth": "Quartiers (choroplèthe)", "heat": "Chaleur", "points": "Signalements (regroupés)",
          "hexagons": "Grille hexagonale H3"}
COLOUR_LAYERS = {"choropleth": "Quartiers (nombre ou taux)", "heat": "Chaleur", "hexagons": "Grille hexagonale H3",
                 "none": "Aucune (limites seules)"}
"""The layers that colour the map; one at a time (the page's choice)."""


@dataclass(frozen=True)
class MapOptions:
    """What the user chose above the map."""

    layers: tuple[str, ...] = ("choropleth", "points")
    measure: str = "count"
    basemap: str = "osm"
    scheme: str = "quantiles"
    tile_url: str | None = None
    max_points: int = 2000


_MAP_COLUMNS = ["observed_at", "lat", "lon", "category", "status", "severity", "neighbourhood"]
"""The report columns the explorer's layers read (geo.maps.explorer.build_map)."""


@st.cache_resource(max_entries=8, show_spinner="Préparation de la carte…")
def _explorer_map(url: str, version: int, flt: ReportFilter, options: MapOptions) -> folium.Map:
    # only what the layers draw (with a filter, a copy of these columns of the kept reports, not of all)
    reports = loaders.filtered_columns(flt, _MAP_COLUMNS)
    if "points" in options.layers and len(reports):
        # Free text only for the reports drawn as points (the newest), read on demand: mapping every id of
        # the selection through them cost a second at 1M reports.
        recent = reports.nlargest(options.max_points, "observed_at")
        recent = recent.assign(id=loaders.reports().loc[recent.index, "id"])  # labels: rows of the shared frame
        details = loaders.report_details(recent["id"].tolist()).set_index("id")["description"]
        # as categories: 1 or 2 bytes per report of the selection (an object column took 8, and a copy)
        texts, uniques = pd.factorize(recent["id"].map(details).to_numpy(dtype=object))
        codes = np.full(len(reports), -1, dtype=np.int16 if len(uniques) < 2**15 - 1 else np.int32)
        codes[reports.index.get_indexer(recent.index)] = texts
        reports = reports.assign(description=pd.Categorical.from_codes(codes, categories=pd.Index(uniques,
                                                                                                 dtype=object)))
    fmap = build_map(loaders.territory(), reports, layers=options.layers, measure=options.measure,
                     basemap=options.basemap, tile_url=options.tile_url if options.basemap != "none" else None,
                     labels=loaders.category_labels(), status_labels=loaders.taxonomy().statuses,
                     severity_labels=loaders.taxonomy().severities, max_points=options.max_points,
                     scheme=options.scheme)
    use_local_assets(fmap, roots=register_assets())
    release_unused_memory()  # the building's temporary arrays (tens of MB at 1M reports)
    return fmap


def explorer_map(flt: ReportFilter, options: MapOptions) -> folium.Map:
    """Return the explorer's map for the filtered reports (cached; a private copy for each call).

    ``st_folium`` renames the map's elements in place while it renders them, so a second run handed
    the same cached object would draw a script that refers to names it never defines (blank map).
    """
    register_assets()
    return copy.deepcopy(_explorer_map(loaders.settings().db_url, loaders.data_version(), flt, options))


@st.cache_data(max_entries=32, show_spinner=False)
def _panel(url: str, version: int, flt: ReportFilter, code: str, day: str) -> NeighbourhoodPanel:
    now = pd.Timestamp.now(tz=loaders.settings().timezone)
    return neighbourhood_panel(loaders.filtered_reports(flt), loaders.territory(), code, now=now,
                               labels=loaders.category_labels())


def panel(flt: ReportFilter, code: str) -> NeighbourhoodPanel:
    """Return a quartier's panel data (counts by category, 12-week series, open reports)."""
    day = pd.Timestamp.now(tz=loaders.settings().timezone).strftime("%Y-%m-%d")
    return _panel(loaders.settings().db_url, loaders.data_version(), flt, code, day)


def panel_open_table(data: NeighbourhoodPanel) -> pd.DataFrame:
    """Return a quartier's open reports as a French table, newest first."""
    tax = loaders.taxonomy()
    return pd.DataFrame({
        "Ancienneté": [r.ageing_band for r in data.open_reports],
        "Jours": [r.age_days for r in data.open_reports],
        "Catégorie": [r.category_label for r in data.open_reports],
        "Statut": [tax.statuses.get(r.status, r.status) for r in data.open_reports],
        "Gravité": [r.severity for r in data.open_reports],
        "Date": [r.observed_at.strftime("%d/%m/%Y %H:%M") for r in data.open_reports],
    })
