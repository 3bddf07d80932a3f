"""The map of a plan: each team's route in its own colour-blind-safe colour, numbered stops, dropped targets."""

from __future__ import annotations

import html

import folium
import geopandas as gpd

__all__ = ["build_route_map"]


def _number_icon(number: int, colour: str) -> folium.DivIcon:
    return folium.DivIcon(
        html=(f'<div style="width:24px;height:24px;border-radius:12px;background:{colour};color:#fff;'
              f'border:2px solid #fff;box-shadow:0 0 2px #000;font:700 12px/20px sans-serif;text-align:center">'
              f"{number}</div>"),
        icon_size=(24, 24), icon_anchor=(12, 12), class_name="veille-stop")


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
        bounds.append([lat, lon])
        if props.get("dropped"):
            folium.CircleMarker([lat, lon], radius=5, color="#777777", fill=True, fill_opacity=0.4,
                                tooltip=html.escape(f"Écarté : {props['name']} — {props['reason']}")).add_to(fmap)
            continue
        tooltip = html.escape(f"Équipe {props['team']}, arrêt {props['order']} à {props['arrival'][11:16]} : "
                              f"{props['name']} (priorité {props['priority']:g})")
        folium.Marker([lat, lon], icon=_number_icon(props["order"], colours.get(props["team"], "#000000")),
                      tooltip=tooltip).add_to(fmap)
    start_icon = folium.DivIcon(
        html=('<div style="width:22px;height:22px;background:#fff;border:3px solid #000;'
              'font:700 12px/16px sans-serif;text-align:center">D</div>'),
        icon_size=(22, 22), icon_anchor=(11, 11), class_name="veille-start")
    folium.Marker(list(start), icon=start_icon, tooltip="Départ").add_to(fmap)
    if len(bounds) > 1:
        lats, lons = [b[0] for b in bounds], [b[1] for b in bounds]
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return fmap
