"""The réseau map: every structure's quartiers coloured by the class of their count; every text set as text."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.template import Template

from geo.maps.explorer import DEFAULT_CENTER, MAX_ZOOM
from geo.sharing.network_view import NetworkFigures
from geo.sharing.partner_map import CLASS_COLOURS, SCRIPT_HEAD, SCRIPT_TAIL, safe_json
from geo.sharing.privacy import COUNT_CLASSES, MASKED_CLASS

__all__ = ["build_network_map"]


class _NetworkLayer(MacroElement):
    _template = Template(SCRIPT_HEAD + """
            L.geoJSON(data.quartiers, {
                style: function (f) { return {color: "#555", weight: 1, fillOpacity: 0.55,
                                              fillColor: data.colours[f.properties.classe] || "#f7f7f7"}; },
                onEachFeature: function (f, layer) { layer.bindTooltip(tip(f.properties.lines), {sticky: true}); }
            }).addTo(map);
""" + SCRIPT_TAIL)

    def __init__(self, data: dict) -> None:
        super().__init__()
        self._name = "NetworkLayer"
        self.data_json = safe_json(data)


def build_network_map(figures: NetworkFigures) -> folium.Map:
    """Return the réseau map (no basemap: it needs no network): quartiers of every structure, by count class."""
    quartiers = figures.quartiers
    features = [{"type": "Feature", "geometry": q.geometry.__geo_interface__,
                 "properties": {"classe": q.classe,
                                "lines": [str(q.quartier), str(q.structure), f"Signalements : {q.signalements}"]}}
                for q in quartiers.itertuples(index=False)]
    bounds = None
    if len(quartiers):
        xs = [q.geometry.bounds for q in quartiers.itertuples(index=False)]
        bounds = [[min(b[1] for b in xs), min(b[0] for b in xs)], [max(b[3] for b in xs), max(b[2] for b in xs)]]
    labels = [label.replace("< 3", f"< {figures.min_count}") for _, _, label in COUNT_CLASSES]
    colours = {label: CLASS_COLOURS[orig] for label, (_, _, orig) in zip(labels, COUNT_CLASSES, strict=True)}
    if any(q.classe == MASKED_CLASS for q in quartiers.itertuples(index=False)):
        labels.append(MASKED_CLASS)
        colours[MASKED_CLASS] = CLASS_COLOURS[MASKED_CLASS]
    data = {"quartiers": {"type": "FeatureCollection", "features": features}, "colours": colours,
            "legend": labels, "legend_title": "Signalements par quartier", "bounds": bounds}
    m = folium.Map(location=DEFAULT_CENTER, zoom_start=12, tiles=None, control_scale=True)
    m.options["max_zoom"] = MAX_ZOOM
    _NetworkLayer(data).add_to(m)
    return m
