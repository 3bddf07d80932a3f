"""One GPX 1.1 file per team, for phones (OsmAnd, Organic Maps): stops as waypoints, the route, the track."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC
from pathlib import Path

from geo.patrol.solver import Plan, TeamRoute

__all__ = ["GPX_NAMESPACE", "team_gpx", "write_gpx"]

GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"
_CREATOR = "Veille territoriale"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{GPX_NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _coords(lat: float, lon: float) -> dict[str, str]:
    return {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"}


def team_gpx(plan: Plan, route: TeamRoute, *, name: str | None = None) -> bytes:
    """Return team ``route``'s GPX 1.1 document (UTF-8 bytes).

    Elements follow the schema's order: metadata, one ``wpt`` per stop (numbered name, arrival time,
    reason), one ``rte`` through start, stops and end, one ``trk`` along the walked path.
    """
    ET.register_namespace("", GPX_NAMESPACE)
    title = name or f"Tournée équipe {route.team} — {plan.request.at:%d/%m/%Y %H:%M}"
    root = ET.Element(f"{{{GPX_NAMESPACE}}}gpx", {"version": "1.1", "creator": _CREATOR})
    metadata = _sub(root, "metadata")
    _sub(metadata, "name", title)
    _sub(metadata, "time", plan.request.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    for stop in route.stops:
        wpt = _sub(root, "wpt", **_coords(stop.target.lat, stop.target.lon))
        _sub(wpt, "time", stop.arrival.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        _sub(wpt, "name", f"{stop.order}. {stop.target.name}")
        _sub(wpt, "desc", f"Arrivée {stop.arrival:%H:%M}, priorité {stop.target.priority:g} : {stop.target.reason}")
    rte = _sub(root, "rte")
    _sub(rte, "name", title)
    waypoints = [("Départ", *plan.request.start)]
    waypoints += [(f"{s.order}. {s.target.name}", s.target.lat, s.target.lon) for s in route.stops]
    waypoints.append(("Arrivée", *plan.request.finish))
    for label, lat, lon in waypoints:
        _sub(_sub(rte, "rtept", **_coords(lat, lon)), "name", label)
    trk = _sub(root, "trk")
    _sub(trk, "name", title)
    segment = _sub(trk, "trkseg")
    for lat, lon in route.path:
        _sub(segment, "trkpt", **_coords(lat, lon))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_gpx(plan: Plan, folder: str | Path) -> list[Path]:
    """Write ``equipe-N.gpx`` for each team into ``folder`` (created if missing); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for route in plan.routes:
        path = folder / f"equipe-{route.team}.gpx"
        path.write_bytes(team_gpx(plan, route))
        paths.append(path)
    return paths
