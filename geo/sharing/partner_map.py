"""The partner map: quartiers coloured by masked counts, generalised cells by class; every text set as text.

The map's data travel as one JSON object (``<`` and ``>`` escaped) and its tooltips are built with
``textContent``: no value is ever parsed as HTML, whatever it holds.
"""

from __future__ import annotations

import json
from typing import Final

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from geo.maps.explorer import DEFAULT_CENTER, MAX_ZOOM
from geo.sharing.privacy import COUNT_CLASSES, MASKED_CLASS, PartnerView, grid_cells, quartier_classes

__all__ = ["CLASS_COLOURS", "SCRIPT_HEAD", "SCRIPT_TAIL", "build_partner_map", "safe_json"]

CLASS_COLOURS: Final = {"0": "#f7f7f7", "< 3": "#fee5d9", "3 à 9": "#fcae91", "10 à 29": "#fb6a4a",
                        "30 et plus": "#cb181d", MASKED_CLASS: "#bdbdbd"}


def safe_json(value: object) -> str:
    """Return ``value`` as JSON that can sit inside a ``<script>`` element (no ``<``, ``>`` or ``&`` left)."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# The parts of a map script both the partner and the réseau maps use: the data, a tooltip whose lines are set as
# text (never HTML), and the legend of count classes with the fit to the bounds.
SCRIPT_HEAD: Final = """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var data = {{ this.data_json }};
            function tip(lines) {
                var box = document.createElement("div");
                lines.forEach(function (line, i) {
                    var row = document.createElement(i === 0 ? "strong" : "div");
                    row.textContent = line;
                    box.appendChild(row);
                });
                return box;
            }
"""
SCRIPT_TAIL: Final = """
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "veille-legend");
                div.style.cssText = "background:rgba(255,255,255,.9);padding:6px 10px;font:12px sans-serif;" +
                                    "border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                div.appendChild(tip([data.legend_title]));
                data.legend.forEach(function (label) {
                    var row = document.createElement("div");
                    var sw = document.createElement("span");
                    sw.style.cssText = "display:inline-block;width:12px;height:12px;margin-right:6px;" +
                                       "border:1px solid #777;vertical-align:middle;background:" + data.colours[label];
                    row.appendChild(sw);
                    row.appendChild(document.createTextNode(label));
                    div.appendChild(row);
                });
                return div;
            };
            legend.addTo(map);
            if (data.bounds) { map.fitBounds(data.bounds); }
        })();
        {% endmacro %}
"""


class _PartnerLayers(MacroElement):
    _template = Template(SCRIPT_HEAD + """
            var quartiers = L.geoJSON(data.quartiers, {
                style: function (f) { return {color: "#555", weight: 1, fillOpacity: 0.55,
                                              fillColor: data.colours[f.properties.classe] || "#f7f7f7"}; },
                onEachFeature: function (f, layer) { layer.bindTooltip(tip(f.properties.lines), {sticky: true}); }
            });
            var cells = L.featureGroup(data.cells.map(function (c) {
                return L.circleMarker([c.lat, c.lon], {radius: data.radius[c.classe] || 5, weight: 1,
                    color: "#333", fillColor: data.colours[c.classe] || "#999", fillOpacity: 0.85})
                    .bindTooltip(tip(c.lines));
            }));
            quartiers.addTo(map);
            cells.addTo(map);
            L.control.layers(null, {"Quartiers": quartiers, "Lieux (généralisés)": cells},
                             {collapsed: false}).addTo(map);
""" + SCRIPT_TAIL)

    def __init__(self, data: dict) -> None:
        super().__init__()
        self._name = "PartnerLayers"
        self.data_json = safe_json(data)


def build_partner_map(view: PartnerView, territory: gpd.GeoDataFrame) -> folium.Map:
    """Return the partner's map: no basemap (it needs no network), quartiers and generalised cells.

    Quartier tooltips give the quartier's protected counts (:func:`geo.sharing.privacy.quartier_classes`), its
    colour their class (« masqué » for a complementary suppression); cell tooltips give a class only.
    """
    terr = territory.to_crs("EPSG:4326") if territory.crs is not None else territory
    if view.scope.neighbourhoods is not None and len(terr):
        terr = terr[terr["code"].isin(view.scope.neighbourhoods)]
    classes = quartier_classes(view)
    features = []
    for row in terr.itertuples(index=False):
        classe, reports, open_ = classes.get(row.code, ("0", "0", "0"))
        features.append({"type": "Feature", "geometry": row.geometry.__geo_interface__, "properties": {
            "classe": classe, "lines": [str(row.name), f"Signalements : {reports}", f"Ouverts : {open_}"],
        }})
    cells = [{"lat": float(c.lat), "lon": float(c.lon), "classe": c.classe,
              "lines": ["Lieu généralisé", f"Signalements : {c.classe}"]}
             for c in grid_cells(view).itertuples(index=False)]
    bounds = None
    if len(terr):
        x0, y0, x1, y1 = terr.total_bounds
        bounds = [[y0, x0], [y1, x1]]
    elif cells:
        bounds = [[min(c["lat"] for c in cells), min(c["lon"] for c in cells)],
                  [max(c["lat"] for c in cells), max(c["lon"] for c in cells)]]
    labels = [label.replace("< 3", f"< {view.min_count}") for _, _, label in COUNT_CLASSES]
    colours = {label: CLASS_COLOURS[orig] for label, (_, _, orig) in zip(labels, COUNT_CLASSES, strict=True)}
    colours[MASKED_CLASS] = CLASS_COLOURS[MASKED_CLASS]
    if any(f["properties"]["classe"] == MASKED_CLASS for f in features):
        labels.append(MASKED_CLASS)
    data = {
        "quartiers": {"type": "FeatureCollection", "features": features},
        "cells": cells, "colours": colours, "legend": labels,
        "legend_title": f"Signalements — {view.scope.name}",
        "radius": dict(zip(labels, (3, 5, 7, 9, 11), strict=False)),
        "bounds": bounds,
    }
    m = folium.Map(location=DEFAULT_CENTER, zoom_start=13, tiles=None, control_scale=True)
    m.options["max_zoom"] = MAX_ZOOM
    _PartnerLayers(data).add_to(m)
    return m
