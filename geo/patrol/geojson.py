"""The plan as GeoJSON and as a table: one LineString per team, one Point per stop, dropped targets.

Team colours are the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from geo.patrol.solver import Plan

__all__ = ["TEAM_COLOURS", "team_colour", "plan_geojson", "write_geojson", "plan_table"]

TEAM_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")


def team_colour(team: int) -> str:
    """Return the colour of team ``team`` (1-based), cycling through the palette."""
    return TEAM_COLOURS[(team - 1) % len(TEAM_COLOURS)]


def _point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}


def plan_geojson(plan: Plan) -> dict:
    """Return the plan as a GeoJSON FeatureCollection (WGS84).

    Features: one LineString per team (``team``, ``colour``, ``walking_minutes``, ``stops``), one Point per
    stop (``team``, ``order``, ``name``, ``arrival`` as ISO time, ``priority``, ``reason``, ``departure``),
    and one Point per dropped target (``dropped: true``, ``reason``, ``name``, ``priority``).
    """
    features = []
    for route in plan.routes:
        line = [[round(lon, 7), round(lat, 7)] for lat, lon in route.path]
        features.append({
            "type": "Feature", "geometry": {"type": "LineString", "coordinates": line},
            "properties": {"team": route.team, "colour": team_colour(route.team),
                           "walking_minutes": route.walking_minutes, "stops": len(route.stops),
                           "back_at": route.back_at.isoformat(timespec="seconds")},
        })
        for stop in route.stops:
            target = stop.target
            features.append({
                "type": "Feature", "geometry": _point(target.lat, target.lon),
                "properties": {"team": stop.team, "order": stop.order, "name": target.name,
                               "arrival": stop.arrival.isoformat(timespec="seconds"),
                               "departure": stop.departure.isoformat(timespec="seconds"),
                               "priority": target.priority, "reason": target.reason, "kind": target.kind,
                               "ref": target.ref, "dropped": False},
            })
    for dropped in plan.dropped:
        target = dropped.target
        features.append({
            "type": "Feature", "geometry": _point(target.lat, target.lon),
            "properties": {"name": target.name, "priority": target.priority, "dropped": True,
                           "reason": dropped.reason, "target_reason": target.reason, "kind": target.kind,
                           "ref": target.ref},
        })
    return {"type": "FeatureCollection", "features": features}


def write_geojson(plan: Plan, path: str | Path) -> Path:
    """Write :func:`plan_geojson` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan_geojson(plan), ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def plan_table(plan: Plan) -> pd.DataFrame:
    """Return one row per stop and per dropped target (French headers, for CSV through the safe writer)."""
    rows = [
        {"équipe": s.team, "ordre": s.order, "lieu": s.target.name, "arrivée": f"{s.arrival:%H:%M}",
         "départ": f"{s.departure:%H:%M}", "priorité": s.target.priority, "motif": s.target.reason,
         "latitude": s.target.lat, "longitude": s.target.lon, "écarté": "", "raison de l'écart": ""}
        for route in plan.routes for s in route.stops
    ]
    rows += [
        {"équipe": "", "ordre": "", "lieu": d.target.name, "arrivée": "", "départ": "", "priorité": d.target.priority,
         "motif": d.target.reason, "latitude": d.target.lat, "longitude": d.target.lon, "écarté": "oui",
         "raison de l'écart": d.reason}
        for d in plan.dropped
    ]
    return pd.DataFrame(rows, columns=["équipe", "ordre", "lieu", "arrivée", "départ", "priorité", "motif",
                                       "latitude", "longitude", "écarté", "raison de l'écart"])
