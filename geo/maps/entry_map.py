"""The small map of the field form: quartier outlines, the chosen point, the latest reports, "Ma position"."""

from __future__ import annotations

import html
from typing import Literal

import folium
import geopandas as gpd
import pandas as pd
from branca.element import MacroElement
from folium.template import Template

from geo.maps.controls import FrenchLabels, MetricScale

__all__ = ["LocateControl", "build_entry_map", "next_zoom", "POINT_ZOOM", "FIRST_PICK_ZOOM",
           "ZOOM_STEP"]

POINT_ZOOM = 17  # street level: the chosen point and the doors around it
FIRST_PICK_ZOOM = 14  # the first tap on the whole territory (~zoom 12) opens the quartier around it, not a street
ZOOM_STEP = 2  # each further tap goes two levels closer, up to POINT_ZOOM


def next_zoom(previous: int | None) -> int:
    """Return the zoom to open the map at after a tap, given the zoom of the tap before (``None``: first tap).

    :data:`FIRST_PICK_ZOOM` first, then :data:`ZOOM_STEP` closer each tap, never beyond :data:`POINT_ZOOM`
    (one tap used to jump from 5 km to 50 m and lose the quartiers).
    """
    if previous is None:
        return FIRST_PICK_ZOOM
    return max(FIRST_PICK_ZOOM, min(POINT_ZOOM, int(previous) + ZOOM_STEP))


LOCATE_ERROR = "Position indisponible : autorisez la localisation, ou touchez la carte."
"""Shown in the control when the browser gives no position (refused, no signal, not HTTPS)."""

_CROSSHAIR_SVG = (
    '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">'
    '<circle cx="12" cy="12" r="3.5" fill="currentColor"/>'
    '<circle cx="12" cy="12" r="7.5" fill="none" stroke="currentColor" stroke-width="2"/>'
    '<path d="M12 1v4M12 19v4M1 12h4M19 12h4" stroke="currentColor" stroke-width="2"/></svg>'
)
"""The button's icon, drawn inline (a glyph such as U+2316 is missing from many fonts)."""


class LocateControl(MacroElement):
    """A "Ma position" button that asks the browser for the device's position and picks it on the map.

    The button calls Leaflet's own ``map.locate`` (no plugin). When a position is found the map is
    centred on it, the accuracy is drawn as a circle and a ``click`` is fired on the map at that
    position, with the fields of a real map click (``latlng``, ``layerPoint``, ``containerPoint``):
    ``streamlit_folium`` listens to the map's clicks and returns ``e.latlng`` as ``last_clicked``, so the
    position is picked exactly as if it had been touched. When there is none, ``error_message`` is shown
    under the button. Browsers only give the position to pages served over HTTPS or from localhost.

    Parameters
    ----------
    position
        Leaflet control position (controls of a corner stack in the order they are added: under the
        zoom buttons for ``"topleft"``).
    label
        Text, title and accessible name of the button.
    error_message
        Text shown when no position could be obtained.
    max_zoom
        Highest zoom the map goes to when centring on the position.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function (map) {
                var control = this;
                var box = L.DomUtil.create("div", "leaflet-bar veille-locate");
                var button = L.DomUtil.create("a", "veille-locate-button", box);
                button.href = "#";
                button.setAttribute("role", "button");
                button.setAttribute("aria-label", {{ this.label|tojson }});
                button.title = {{ this.label|tojson }};
                button.style.cssText = "width:auto;height:44px;line-height:44px;padding:0 12px;"
                    + "font:600 15px/44px sans-serif;white-space:nowrap;color:#222";
                var icon = L.DomUtil.create("span", "", button);
                icon.style.cssText = "display:inline-block;vertical-align:-4px;margin-right:6px";
                icon.innerHTML = {{ this.icon_svg|tojson }};
                button.appendChild(document.createTextNode({{ this.label|tojson }}));
                var status = L.DomUtil.create("div", "veille-locate-status", box);
                status.setAttribute("role", "status");
                status.setAttribute("aria-live", "polite");
                status.style.cssText = "display:none;max-width:220px;padding:6px 10px;background:#fff;"
                    + "font:13px/1.3 sans-serif;white-space:normal;border-top:1px solid #ccc";
                control._show = function (text, isError) {
                    status.textContent = text;
                    status.style.display = text ? "block" : "none";
                    status.style.color = isError ? "#b00020" : "#333";
                    button.setAttribute("aria-busy", text && !isError ? "true" : "false");
                };
                control._found = function (e) {
                    control._show("", false);
                    if (control._circle) { map.removeLayer(control._circle); }
                    control._circle = L.circle(e.latlng, {radius: e.accuracy || 0, interactive: false,
                        color: "#1f78b4", weight: 1, fillOpacity: 0.15}).addTo(map);
                    map.fire("click", {latlng: e.latlng, layerPoint: map.latLngToLayerPoint(e.latlng),
                                       containerPoint: map.latLngToContainerPoint(e.latlng)});
                };
                control._failed = function () {
                    control._show({{ this.error_message|tojson }}, true);
                };
                map.on("locationfound", control._found);
                map.on("locationerror", control._failed);
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.on(button, "click", function (ev) {
                    L.DomEvent.preventDefault(ev);
                    control._show({{ this.searching_message|tojson }}, false);
                    {{ this._parent.get_name() }}.locate({{ this.locate_options|tojson }});
                });
                return box;
            };
            {{ this.get_name() }}.onRemove = function (map) {
                map.stopLocate();
                map.off("locationfound", this._found);
                map.off("locationerror", this._failed);
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, position: Literal["topleft", "topright", "bottomleft", "bottomright"] = "topleft",
                 label: str = "Ma position", error_message: str = LOCATE_ERROR, max_zoom: int = 17) -> None:
        super().__init__()
        self._name = "LocateControl"
        self.position = position
        self.label = label
        self.error_message = error_message
        self.searching_message = "Recherche de la position…"
        self.icon_svg = _CROSSHAIR_SVG
        self.locate_options = {"setView": True, "maxZoom": max_zoom, "enableHighAccuracy": True}

    def render(self, **kwargs: object) -> None:
        """Render into the figure; the control must be a direct child of a ``folium.Map``."""
        if not isinstance(self._parent, folium.Map):
            raise TypeError("LocateControl must be added to a folium.Map.")
        super().render(**kwargs)


def build_entry_map(territory: gpd.GeoDataFrame, *, point: tuple[float, float] | None = None,
                    recent: pd.DataFrame | None = None, labels: dict[str, str] | None = None,
                    basemap_url: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    locate: bool = True, zoom: int = POINT_ZOOM) -> folium.Map:
    """Return a map to pick a position on.

    Parameters
    ----------
    territory
        Neighbourhoods (WGS84), drawn as outlines.
    point
        The chosen ``(lat, lon)``, drawn as a marker; the map opens on it at ``zoom``. Without it, the map
        shows the whole territory.
    recent
        Latest reports (``lat``, ``lon``, ``category``), drawn as small grey dots.
    basemap_url
        XYZ tile URL; ``None`` for no basemap.
    locate
        Add the "Ma position" button (:class:`LocateControl`), under the zoom buttons.
    zoom
        Zoom level around ``point`` (see :func:`next_zoom`); street level by default.
    """
    if point is not None:
        fmap = folium.Map(location=list(point), zoom_start=zoom, tiles=None, zoom_control=True)
    else:
        fmap = folium.Map(tiles=None, zoom_control=True)
    MetricScale().add_to(fmap)
    FrenchLabels().add_to(fmap)
    if locate:
        LocateControl().add_to(fmap)
    if basemap_url:
        folium.TileLayer(basemap_url, attr="© contributeurs OpenStreetMap", name="Fond").add_to(fmap)
    if len(territory):
        folium.GeoJson(
            territory[["code", "name", "geometry"]].to_json(),
            name="Quartiers",
            style_function=lambda _f: {"color": "#3f3f3f", "weight": 2, "opacity": 0.8, "fillOpacity": 0.03},
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Quartier"]),
        ).add_to(fmap)
        if point is None:
            minx, miny, maxx, maxy = territory.total_bounds
            fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    for row in (recent if recent is not None else pd.DataFrame()).itertuples(index=False):
        label = (labels or {}).get(row.category, row.category)
        folium.CircleMarker([row.lat, row.lon], radius=4, color="#666666", fill=True, fill_opacity=0.7,
                            tooltip=html.escape(str(label))).add_to(fmap)
    if point is not None:
        # not interactive: a tap on it is a tap on the map (a closer look at the same spot)
        folium.CircleMarker(list(point), radius=9, color="#d7301f", weight=3, fill=True, fill_opacity=0.5,
                            interactive=False).add_to(fmap)
    return fmap
