"""The small map of the field form: quartier outlines, the chosen point and the latest reports."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import pandas as pd

__all__ = ["build_entry_map"]


def build_entry_map(territory: gpd.GeoDataFrame, *, point: tuple[float, float] | None = None,
                    recent: pd.DataFrame | None = None, labels: dict[str, str] | None = None,
                    basemap_url: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png") -> folium.Map:
    """Return a map to pick a position on.

    Parameters
    ----------
    territory
        Neighbourhoods (WGS84), drawn as outlines.
    point
        The chosen ``(lat, lon)``, drawn as a marker, and the map's centre.
    recent
        Latest reports (``lat``, ``lon``, ``category``), drawn as small grey dots.
    basemap_url
        XYZ tile URL; ``None`` for no basemap.
    """
    fmap = folium.Map(tiles=None, control_scale=True, zoom_control=True)
    if basemap_url:
        folium.TileLayer(basemap_url, attr="© contributeurs OpenStreetMap", name="Fond").add_to(fmap)
    if len(territory):
        folium.GeoJson(
            territory[["code", "name", "geometry"]].to_json(),
            name="Quartiers",
            style_function=lambda _f: {"color": "#555555", "weight": 1, "fillOpacity": 0.03},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Quartier"]),
        ).add_to(fmap)
        minx, miny, maxx, maxy = territory.total_bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    for row in (recent if recent is not None else pd.DataFrame()).itertuples(index=False):
        label = (labels or {}).get(row.category, row.category)
        folium.CircleMarker([row.lat, row.lon], radius=4, color="#666666", fill=True, fill_opacity=0.7,
                            tooltip=html.escape(str(label))).add_to(fmap)
    if point is not None:
        folium.CircleMarker(list(point), radius=9, color="#d7301f", weight=3, fill=True, fill_opacity=0.5,
                            tooltip="Point choisi").add_to(fmap)
        fmap.location = list(point)
    return fmap
