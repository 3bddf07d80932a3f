"""Folium maps: the explorer's layers (points, heat, choropleth, hexagons), the field-entry map, offline assets."""

from __future__ import annotations

from geo.maps.assets import use_local_assets
from geo.maps.entry_map import build_entry_map
from geo.maps.explorer import NeighbourhoodPanel, build_map, neighbourhood_panel

__all__ = ["build_map", "NeighbourhoodPanel", "neighbourhood_panel", "build_entry_map", "use_local_assets"]
