"""Plans saved in the store: named, reopened, adjusted, marked done, linked to the reports of the round.

A saved plan keeps its request, walking options and every candidate with its priority, so that it can be
reopened, its priorities adjusted and solved again under the same name. Stops are stored with their
quartier, which gives the coverage of the territory by the rounds done.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.patrol.geojson import plan_geojson
from geo.patrol.solver import Dropped, Plan, PlanRequest, Stop, TeamRoute
from geo.patrol.targets import Target
from geo.store.database import Store
from geo.store.patrol_schema import patrol_plans, patrol_reports, patrol_stops
from geo.store.schema import reports

__all__ = ["SavedPlan", "plan_of", "save_plan", "update_plan", "list_plans", "load_plan", "mark_done", "link_reports",
           "linked_reports", "coverage", "walking_options"]


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from the store."""

    id: int
    name: str
    status: str
    request: PlanRequest
    walking: dict
    targets: list[Target]
    stops: pd.DataFrame
    summary: dict
    geojson: dict
    done_at: datetime | None


def walking_options(*, speed_kmh: float, detour: float, network: str | None = None) -> dict:
    """Return the walking options saved with a plan (a network is recorded by its file name)."""
    return {"speed_kmh": speed_kmh, "detour": detour, "network": network}


def _target_doc(target: Target) -> dict:
    return {"name": target.name, "lat": target.lat, "lon": target.lon, "priority": target.priority,
            "reason": target.reason, "kind": target.kind, "ref": target.ref,
            "window_start": target.window_start.strftime("%H:%M") if target.window_start else None,
            "window_end": target.window_end.strftime("%H:%M") if target.window_end else None}


def _target_from(doc: dict) -> Target:
    start, end = doc.get("window_start"), doc.get("window_end")
    return Target(name=doc["name"], lat=doc["lat"], lon=doc["lon"], priority=doc["priority"], reason=doc["reason"],
                  kind=doc.get("kind", "lieu"), ref=doc.get("ref"),
                  window_start=time.fromisoformat(start) if start else None,
                  window_end=time.fromisoformat(end) if end else None)


def _neighbourhoods(points: list[tuple[float, float]], territory: gpd.GeoDataFrame | None) -> list[str | None]:
    if territory is None or territory.empty or not points:
        return [None] * len(points)
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy([p[1] for p in points], [p[0] for p in points]),
                             crs="EPSG:4326")
    joined = gpd.sjoin(frame, territory[["code", "geometry"]].to_crs("EPSG:4326"), how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    return [None if pd.isna(code) else str(code) for code in joined["code"]]


def _rows(plan: Plan, *, name: str, walking: dict, now: int) -> dict:
    request = plan.request
    params = {
        "start": list(request.start), "end": list(request.end) if request.end else None,
        "at": request.at.isoformat(), "dwell_minutes": request.dwell_minutes, "time_limit_s": request.time_limit_s,
        "walking": walking, "targets": [_target_doc(t) for t in plan.targets],
    }
    return {
        "name": name, "updated_at": now, "starts_at": int(request.at.timestamp()),
        "timezone": str(request.at.tzinfo), "teams": request.teams, "shift_minutes": request.shift_minutes,
        "params": json.dumps(params, ensure_ascii=False), "summary": json.dumps(plan.summary(), ensure_ascii=False),
        "geojson": json.dumps(plan_geojson(plan), ensure_ascii=False),
    }


def _write_stops(conn: sa.Connection, plan_id: int, plan: Plan, territory: gpd.GeoDataFrame | None) -> None:
    conn.execute(patrol_stops.delete().where(patrol_stops.c.plan_id == plan_id))
    stops = [s for route in plan.routes for s in route.stops]
    codes = _neighbourhoods([(s.target.lat, s.target.lon) for s in stops], territory)
    rows = [
        {"plan_id": plan_id, "team": s.team, "stop_order": s.order, "name": s.target.name, "lat": s.target.lat,
         "lon": s.target.lon, "arrival": int(s.arrival.timestamp()), "priority": s.target.priority,
         "reason": s.target.reason, "kind": s.target.kind, "ref": s.target.ref, "neighbourhood": code}
        for s, code in zip(stops, codes, strict=True)
    ]
    if rows:
        conn.execute(patrol_stops.insert(), rows)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InputError("nom du plan attendu, trouvé un nom vide")
    return name


def save_plan(store: Store, plan: Plan, *, name: str, walking: dict, territory: gpd.GeoDataFrame | None = None,
              created_by: str | None = None) -> int:
    """Save ``plan`` under ``name``; return its id. Stops get the quartier of ``territory`` they fall in."""
    name = _check_name(name)
    now = int(clock.time())
    with store.transaction() as conn:
        row = _rows(plan, name=name, walking=walking, now=now)
        plan_id = conn.execute(patrol_plans.insert().values(**row, created_at=now, status="planned",
                                                            created_by=created_by)).inserted_primary_key[0]
        _write_stops(conn, int(plan_id), plan, territory)
    return int(plan_id)


def update_plan(store: Store, plan_id: int, plan: Plan, *, walking: dict, name: str | None = None,
                territory: gpd.GeoDataFrame | None = None) -> None:
    """Replace saved plan ``plan_id`` by an adjusted ``plan`` (same id; name kept unless given)."""
    current = _plan_row(store, plan_id)
    if current["status"] == "done":
        raise InputError(f"le plan {plan_id} est déjà marqué fait : enregistrez l'ajustement sous un nouveau nom")
    with store.transaction() as conn:
        row = _rows(plan, name=_check_name(name or current["name"]), walking=walking, now=int(clock.time()))
        conn.execute(patrol_plans.update().where(patrol_plans.c.id == plan_id).values(**row))
        _write_stops(conn, plan_id, plan, territory)


def _plan_row(store: Store, plan_id: int) -> dict:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(patrol_plans).where(patrol_plans.c.id == plan_id)).mappings().first()
    if row is None:
        raise InputError(f"plan {plan_id} introuvable")
    return dict(row)


def list_plans(store: Store) -> pd.DataFrame:
    """Return the saved plans, most recent start first (``id, name, starts_at, teams, status, visited``...)."""
    query = sa.select(patrol_plans.c.id, patrol_plans.c.name, patrol_plans.c.starts_at, patrol_plans.c.timezone,
                      patrol_plans.c.teams, patrol_plans.c.shift_minutes, patrol_plans.c.status,
                      patrol_plans.c.summary).order_by(patrol_plans.c.starts_at.desc(), patrol_plans.c.id.desc())
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=["id", "name", "starts_at", "timezone", "teams", "shift_minutes", "status",
                                        "summary"])
    summaries = [json.loads(s) for s in frame["summary"]]
    frame["visited"] = [s.get("visited", 0) for s in summaries]
    frame["dropped"] = [s.get("dropped", 0) for s in summaries]
    frame["starts_at"] = [datetime.fromtimestamp(ts, ZoneInfo(tz)) for ts, tz in zip(frame["starts_at"],
                                                                                     frame["timezone"], strict=True)]
    return frame.drop(columns=["summary", "timezone"])


def load_plan(store: Store, plan_id: int) -> SavedPlan:
    """Return saved plan ``plan_id`` with its request, candidates (and priorities) and stops."""
    row = _plan_row(store, plan_id)
    params = json.loads(row["params"])
    zone = ZoneInfo(row["timezone"])
    request = PlanRequest(teams=row["teams"], shift_minutes=row["shift_minutes"], start=tuple(params["start"]),
                          end=tuple(params["end"]) if params.get("end") else None,
                          at=datetime.fromisoformat(params["at"]).astimezone(zone),
                          dwell_minutes=params["dwell_minutes"], time_limit_s=params["time_limit_s"])
    with store.engine.connect() as conn:
        stops = pd.DataFrame(conn.execute(sa.select(patrol_stops).where(patrol_stops.c.plan_id == plan_id)
                                          .order_by(patrol_stops.c.team, patrol_stops.c.stop_order)).mappings().all(),
                             columns=[c.name for c in patrol_stops.columns])
    stops["arrival"] = [datetime.fromtimestamp(int(ts), zone) for ts in stops["arrival"]]
    done_at = datetime.fromtimestamp(row["done_at"], zone) if row["done_at"] else None
    return SavedPlan(id=row["id"], name=row["name"], status=row["status"], request=request, walking=params["walking"],
                     targets=[_target_from(t) for t in params["targets"]], stops=stops,
                     summary=json.loads(row["summary"]), geojson=json.loads(row["geojson"]), done_at=done_at)


def mark_done(store: Store, plan_id: int, *, done_at: datetime | None = None) -> None:
    """Mark saved plan ``plan_id`` as walked (at ``done_at``, now by default)."""
    _plan_row(store, plan_id)
    stamp = int(done_at.timestamp() if done_at else clock.time())
    with store.transaction() as conn:
        conn.execute(patrol_plans.update().where(patrol_plans.c.id == plan_id)
                     .values(status="done", done_at=stamp, updated_at=stamp))


def link_reports(store: Store, plan_id: int, report_ids: list[str]) -> int:
    """Link reports entered during the round to plan ``plan_id``; return how many new links were made."""
    _plan_row(store, plan_id)
    ids = list(dict.fromkeys(str(r) for r in report_ids))
    if not ids:
        return 0
    with store.transaction() as conn:
        known = set(conn.execute(sa.select(reports.c.id).where(reports.c.id.in_(ids))).scalars())
        missing = [r for r in ids if r not in known]
        if missing:
            raise InputError(f"signalements introuvables : {', '.join(missing[:5])}")
        linked = set(conn.execute(sa.select(patrol_reports.c.report_id)
                                  .where(patrol_reports.c.plan_id == plan_id)).scalars())
        rows = [{"plan_id": plan_id, "report_id": r, "linked_at": int(clock.time())} for r in ids if r not in linked]
        if rows:
            conn.execute(patrol_reports.insert(), rows)
    return len(rows)


def linked_reports(store: Store, plan_id: int) -> list[str]:
    """Return the ids of the reports linked to plan ``plan_id``."""
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(patrol_reports.c.report_id).where(patrol_reports.c.plan_id == plan_id)
                                 .order_by(patrol_reports.c.report_id)).scalars())


def coverage(store: Store, *, now: datetime, weeks: int = 4) -> pd.DataFrame:
    """Return how often each quartier was visited by rounds done in the ``weeks`` weeks before ``now``.

    Returns
    -------
    DataFrame
        ``code, name, rounds`` (distinct plans done with a stop there), ``stops`` and ``last_visit`` (the
        latest arrival, or NaT), every quartier of the territory included, least covered first.
    """
    since = int((now - timedelta(weeks=weeks)).timestamp())
    query = (sa.select(patrol_stops.c.neighbourhood, patrol_stops.c.plan_id, patrol_stops.c.arrival)
             .join(patrol_plans, patrol_plans.c.id == patrol_stops.c.plan_id)
             .where(patrol_plans.c.status == "done", patrol_stops.c.arrival >= since,
                    patrol_stops.c.arrival <= int(now.timestamp())))
    with store.engine.connect() as conn:
        stops = pd.DataFrame(conn.execute(query).all(), columns=["code", "plan_id", "arrival"])
    territory = store.load_territory()
    names = pd.DataFrame({"code": territory["code"].astype(str), "name": territory["name"].astype(str)})
    grouped = stops.groupby("code").agg(rounds=("plan_id", "nunique"), stops=("plan_id", "size"),
                                        last=("arrival", "max")).reset_index()
    table = names.merge(grouped, on="code", how="left")
    table[["rounds", "stops"]] = table[["rounds", "stops"]].fillna(0).astype(int)
    zone = now.tzinfo or ZoneInfo("UTC")
    table["last_visit"] = pd.to_datetime(table.pop("last"), unit="s", utc=True).dt.tz_convert(zone)
    return table.sort_values(["rounds", "code"], kind="stable").reset_index(drop=True)


def plan_of(saved: SavedPlan) -> Plan:
    """Return the :class:`Plan` of a saved plan, as it was saved (for its map, GPX and round sheets).

    The walking matrix is not saved: ``seconds`` is empty and each stop's walk and wait are not known (0).
    """
    zone = saved.request.at.tzinfo
    by_place = {(t.name, round(t.lat, 6), round(t.lon, 6)): t for t in saved.targets}
    routes: dict[int, TeamRoute] = {}
    stops: dict[int, list[Stop]] = {}
    dropped = []
    features = saved.geojson.get("features", [])
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        if geometry["type"] == "LineString":
            routes[props["team"]] = TeamRoute(
                team=props["team"], stops=[], walking_seconds=round(props["walking_minutes"] * 60),
                back_at=datetime.fromisoformat(props["back_at"]).astimezone(zone),
                path=[(lat, lon) for lon, lat in geometry["coordinates"]])
    for feature in features:
        props, geometry = feature["properties"], feature["geometry"]
        if geometry["type"] != "Point":
            continue
        lon, lat = geometry["coordinates"][:2]
        target = by_place.get((props["name"], round(lat, 6), round(lon, 6)))
        if target is None:
            continue
        if props.get("dropped"):
            dropped.append(Dropped(target, props["reason"]))
        else:
            stops.setdefault(props["team"], []).append(Stop(
                target=target, team=props["team"], order=props["order"],
                arrival=datetime.fromisoformat(props["arrival"]).astimezone(zone),
                departure=datetime.fromisoformat(props["departure"]).astimezone(zone), walk_seconds=0,
                wait_seconds=0))
    for team, route in routes.items():
        route.stops = sorted(stops.get(team, []), key=lambda s: s.order)
    return Plan(request=saved.request, targets=saved.targets, routes=[routes[t] for t in sorted(routes)],
                dropped=dropped, objective=saved.summary.get("objective", 0.0),
                solver_cost=saved.summary.get("solver_cost", 0), solve_seconds=saved.summary.get("solve_seconds", 0.0),
                seconds=np.zeros((0, 0), dtype=np.int64))
