"""Streamlit side of the Tournées page: gathering targets, solving with a progress bar, downloads."""

from __future__ import annotations

import tempfile
import time as clock
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import folium
import pandas as pd
import streamlit as st
from pyproj import Transformer

from geo.analysis.permutation_worker import WorkerError, shared_worker
from geo.errors import InputError
from geo.export.safe_csv import csv_bytes
from geo.maps.assets import use_local_assets
from geo.patrol.geojson import plan_geojson, plan_table
from geo.patrol.gpx import team_gpx
from geo.patrol.network import NetworkWalking, load_network
from geo.patrol.route_map import build_route_map
from geo.patrol.sheet_pdf import round_sheet
from geo.patrol.solver import Plan, PlanRequest, solve
from geo.patrol.sources import hotspot_targets, overdue_targets
from geo.patrol.targets import Target, parse_targets
from geo.patrol.walking import StraightLineWalking
from ui import loaders
from ui.offline import register_assets

__all__ = ["default_start", "gather_targets", "targets_frame", "edited_targets", "solve_with_progress",
           "route_map", "downloads", "start_datetime", "KINDS"]

_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
KINDS = {"lieu": "Lieu", "signalement": "Signalement en attente", "point_chaud": "Point chaud"}


def default_start() -> tuple[float, float]:
    """Return a start point: the centre of the territory (Dijon centre without one)."""
    territory = loaders.territory()
    if len(territory):
        centre = territory.to_crs(2154).union_all().representative_point()
        lon, lat = _TO_WGS84.transform(centre.x, centre.y)
        return round(lat, 6), round(lon, 6)
    return 47.3220, 5.0415


def gather_targets(*, upload: object | None, overdue: bool, hotspots: bool, overdue_limit: int,
                   now: datetime) -> tuple[list[Target], list[str]]:
    """Return the targets of the chosen sources and the messages (French) of sources that failed."""
    targets: list[Target] = []
    problems: list[str] = []
    if upload is not None:
        try:
            targets += parse_targets(upload.getvalue(), source=upload.name)
        except InputError as exc:
            problems.append(str(exc))
    if overdue:
        targets += overdue_targets(loaders.store(), settings=loaders.settings(), now=now, limit=overdue_limit)
    if hotspots:
        try:
            # permutation Gi* in the server's worker process: esda and numba never load in the server
            targets += hotspot_targets(loaders.store(), settings=loaders.settings(), now=now,
                                       worker=shared_worker())
        except InputError as exc:
            problems.append(str(exc))
        except WorkerError as exc:
            problems.append(f"Points chauds indisponibles pour l'instant : {exc}. Réessayez dans un instant.")
    return targets, problems


def _window(target: Target) -> str:
    if target.window_start is None:
        return ""
    return f"{target.window_start:%H:%M}–{target.window_end:%H:%M}"


def targets_frame(targets: list[Target]) -> pd.DataFrame:
    """Return the editable table of targets (kept, priority) with what the coordinator needs to see."""
    return pd.DataFrame({
        "retenir": [True] * len(targets),
        "priorité": [float(t.priority) for t in targets],
        "nom": [t.name for t in targets],
        "type": [KINDS.get(t.kind, t.kind) for t in targets],
        "motif": [t.reason for t in targets],
        "créneau": [_window(t) for t in targets],
    })


def edited_targets(targets: list[Target], frame: pd.DataFrame) -> list[Target]:
    """Return the kept targets with the priorities typed in the table (rows in the same order)."""
    kept = []
    for target, keep, priority in zip(targets, frame["retenir"], frame["priorité"], strict=True):
        if not keep:
            continue
        value = float(priority) if pd.notna(priority) and float(priority) > 0 else target.priority
        kept.append(replace(target, priority=value))
    return kept


def solve_with_progress(targets: list[Target], request: PlanRequest, *, speed_kmh: float, detour: float,
                        network_upload: object | None) -> Plan:
    """Solve in a worker thread while a progress bar follows the solver's time limit."""
    if network_upload is not None:
        suffix = Path(network_upload.name).suffix.lower()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"reseau{suffix}"
            path.write_bytes(network_upload.getvalue())
            walking = NetworkWalking(load_network(path), speed_kmh=speed_kmh)
    else:
        walking = StraightLineWalking(speed_kmh=speed_kmh, detour=detour)
    bar = st.progress(0.0, text=f"Calcul des tournées (limite du solveur : {request.time_limit_s:g} s)…")
    started = clock.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(solve, targets, request=request, walking=walking)
        while not future.done():
            elapsed = clock.monotonic() - started
            bar.progress(min(elapsed / max(request.time_limit_s, 0.1), 0.99),
                         text=f"Calcul des tournées : {elapsed:.0f} s sur {request.time_limit_s:g} s au plus…")
            clock.sleep(0.2)
        plan = future.result()
    bar.progress(1.0, text=f"Tournées calculées en {plan.solve_seconds:.1f} s.")
    return plan


def route_map(plan: Plan) -> folium.Map:
    """Return the plan's map with local map assets."""
    fmap = build_route_map(plan_geojson(plan), start=plan.request.start, territory=loaders.territory())
    use_local_assets(fmap, roots=register_assets())
    return fmap


def downloads(plan: Plan, *, name: str, key: str) -> None:
    """Draw the download buttons: GeoJSON, CSV, and per team the GPX and the PDF round sheet."""
    import json  # noqa: PLC0415

    c1, c2 = st.columns(2)
    c1.download_button("Plan (GeoJSON)", json.dumps(plan_geojson(plan), ensure_ascii=False).encode("utf-8"),
                       file_name="tournees.geojson", mime="application/geo+json", key=f"{key}_geojson")
    c2.download_button("Arrêts (CSV)", csv_bytes(plan_table(plan)), file_name="tournees.csv", mime="text/csv",
                       key=f"{key}_csv")
    for route in plan.routes:
        c1, c2 = st.columns(2)
        c1.download_button(f"Équipe {route.team} : feuille de tournée (PDF)", round_sheet(plan, route, name=name),
                           file_name=f"feuille-tournee-equipe-{route.team}.pdf", mime="application/pdf",
                           key=f"{key}_pdf_{route.team}")
        c2.download_button(f"Équipe {route.team} : GPX", team_gpx(plan, route), file_name=f"equipe-{route.team}.gpx",
                           mime="application/gpx+xml", key=f"{key}_gpx_{route.team}")


def start_datetime(day: object, at: time, *, timezone: str) -> datetime:
    """Return the tz-aware start of the round from the page's date and time inputs."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone))
