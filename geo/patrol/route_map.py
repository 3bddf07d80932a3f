"""The map of a plan: each team's route in its own colour-blind-safe colour, numbered stops, dropped targets."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

__all__ = ["build_route_map", "LabelMarker"]


class LabelMarker(MacroElement):
    """A marker drawn as HTML (a ``L.divIcon`` given to ``L.marker`` from the start).

    ``folium.Marker`` creates its marker with Leaflet's default icon and swaps the icon afterwards, which
    makes the browser fetch the default icon's images; this marker never asks for them.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.marker({{ this.location|tojson }}, {
                icon: L.divIcon({html: {{ this.html|tojson }}, className: {{ this.class_name|tojson }},
                                 iconSize: {{ this.size|tojson }}, iconAnchor: {{ this.anchor|tojson }}}),
                title: {{ this.title|tojson }}, alt: {{ this.title|tojson }}, keyboard: true
            }).bindTooltip({{ this.title|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, location: tuple[float, float], *, html: str, title: str, class_name: str,
                 size: tuple[int, int]) -> None:
        super().__init__()
        self._name = "LabelMarker"
        self.location = [float(location[0]), float(location[1])]
        self.html = html
        self.title = title
        self.class_name = class_name
        self.size = list(size)
        self.anchor = [size[0] // 2, size[1] // 2]


def _stop_html(number: int, colour: str) -> str:
    return (f'<div style="width:24px;height:24px;border-radius:12px;background:{colour};color:#fff;'
            f'border:2px solid #fff;box-shadow:0 0 2px #000;font:700 12px/20px sans-serif;text-align:center">'
            f"{number}</div>")


def build_route_map(geojson: dict, *, start: tuple[float, float], territory: gpd.GeoDataFrame | None = None,
                    basemap_url: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png") -> folium.Map:
    """Return a folium map of a plan's GeoJSON (see :func:`geo.patrol.geojson.plan_geojson`).

    Parameters
    ----------
    geojson
        The plan's FeatureCollection.
    start
        The start point, drawn as a square marker.
    territory
        Quartiers drawn as outlines, if given.
    basemap_url
        XYZ tile URL; ``None`` for no basemap.
    """
    fmap = folium.Map(location=list(start), zoom_start=15, tiles=None, control_scale=True)
    if basemap_url:
        folium.TileLayer(basemap_url, attr="© contributeurs OpenStreetMap", name="Fond").add_to(fmap)
    if territory is not None and len(territory):
        folium.GeoJson(territory[["code", "name", "geometry"]].to_json(), name="Quartiers",
                       style_function=lambda _f: {"color": "#555555", "weight": 1, "fillOpacity": 0.03}).add_to(fmap)
    colours, bounds = {}, [list(start)]
    for feature in geojson.get("features", []):
        props, geometry = feature["properties"], feature["geometry"]
        if geometry["type"] == "LineString":
            colours[props["team"]] = props["colour"]
            line = [[lat, lon] for lon, lat in geometry["coordinates"]]
            bounds += line
            folium.PolyLine(line, color=props["colour"], weight=5, opacity=0.85,
                            tooltip=f"Équipe {props['team']} — {props['walking_minutes']:g} min de marche").add_to(fmap)
    for feature in geojson.get("features", []):
        props, geometry = feature["properties"], feature["geometry"]
        if geometry["type"] != "Point":
            continue
        lon, lat = geometry["coordinates"][:2]
        if props.get("dropped"):
            folium.CircleMarker([lat, lon], radius=5, color="#777777", fill=True, fill_opacity=0.4,
                                tooltip=html.escape(f"Écarté : {props['name']} — {props['reason']}")).add_to(fmap)
            continue
        title = (f"Équipe {props['team']}, arrêt {props['order']} à {props['arrival'][11:16]} : "
                 f"{props['name']} (priorité {props['priority']:g})")
        bounds.append([lat, lon])
        LabelMarker((lat, lon), html=_stop_html(props["order"], colours.get(props["team"], "#000000")),
                    title=title, class_name="veille-stop", size=(24, 24)).add_to(fmap)
    LabelMarker(start, html=('<div style="width:22px;height:22px;background:#fff;border:3px solid #000;'
                             'font:700 12px/16px sans-serif;text-align:center">D</div>'),
                title="Départ", class_name="veille-start", size=(22, 22)).add_to(fmap)
    if len(bounds) > 1:
        lats, lons = [b[0] for b in bounds], [b[1] for b in bounds]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return fmap
