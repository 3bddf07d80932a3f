"""Command that plans patrol rounds: ``patrol``."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from geo.cli.output import emit, say
from geo.errors import InputError
from geo.patrol.defaults import DEFAULT_DETOUR, DEFAULT_DWELL_MINUTES, DEFAULT_SPEED_KMH, DEFAULT_TIME_LIMIT_S
from geo.settings import Settings

__all__ = ["register", "parse_point", "parse_when"]


def parse_point(text: str, *, option: str) -> tuple[float, float]:
    """Return ``(lat, lon)`` from ``"LAT,LON"``; raise :class:`InputError` with the expected form otherwise."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"{option} : attendu LAT,LON (par ex. 47.3220,5.0415), trouvé {text!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"{option} : coordonnées hors limites ({lat}, {lon}) ; attendu LAT,LON")
    return lat, lon


def parse_when(text: str | None, *, timezone: str) -> datetime:
    """Return the tz-aware start time in ``text`` (ISO date and time; local time when no offset), or now."""
    zone = ZoneInfo(timezone)
    if not text:
        return datetime.now(zone).replace(second=0, microsecond=0)
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise InputError(f"--at : date et heure attendues (AAAA-MM-JJTHH:MM), trouvé {text!r}") from None
    if stamp is pd.NaT:
        raise InputError(f"--at : date et heure attendues (AAAA-MM-JJTHH:MM), trouvé {text!r}")
    moment = stamp.to_pydatetime()
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _cmd_patrol(args: argparse.Namespace, settings: Settings) -> int:
    # imported here: OR-Tools and ReportLab are only loaded for this command
    from geo.patrol.geojson import write_geojson  # noqa: PLC0415
    from geo.patrol.gpx import write_gpx  # noqa: PLC0415
    from geo.patrol.solver import PlanRequest, solve  # noqa: PLC0415
    from geo.patrol.sources import collect_targets  # noqa: PLC0415
    from geo.patrol.walking import StraightLineWalking  # noqa: PLC0415

    if not str(args.out).lower().endswith((".geojson", ".json")):
        raise InputError(f"--out : fichier .geojson attendu, trouvé {args.out!r}")
    request = PlanRequest(
        teams=args.teams, shift_minutes=args.shift_minutes, start=parse_point(args.start, option="--start"),
        end=parse_point(args.end, option="--end") if args.end else None,
        at=parse_when(args.at, timezone=settings.timezone), dwell_minutes=args.dwell_minutes,
        time_limit_s=args.time_limit)
    if not (args.targets or args.from_hotspots or args.from_overdue):
        raise InputError("aucune cible : donnez --targets FICHIER, --from-hotspots ou --from-overdue")
    targets = collect_targets(settings, files=[args.targets] if args.targets else [],
                              from_hotspots=args.from_hotspots, from_overdue=args.from_overdue, now=request.at)
    if not targets:
        raise InputError("aucune cible trouvée dans les sources demandées")
    if args.network:
        from geo.patrol.network import NetworkWalking, load_network  # noqa: PLC0415
        walking = NetworkWalking(load_network(args.network), speed_kmh=args.speed_kmh)
    else:
        walking = StraightLineWalking(speed_kmh=args.speed_kmh, detour=args.detour)
    say(f"{len(targets)} cibles, {request.teams} équipe(s), tournée de {request.shift_minutes:g} min, "
        f"limite du solveur {request.time_limit_s:g} s…")
    plan = solve(targets, request=request, walking=walking)
    write_geojson(plan, args.out)
    say(f"plan écrit dans {args.out}")
    if args.gpx:
        paths = write_gpx(plan, args.gpx)
        say(f"{len(paths)} fichier(s) GPX écrit(s) dans {Path(args.gpx)}")
    for dropped in plan.dropped:
        say(f"écarté : {dropped.target.name} — {dropped.reason}")
    emit(plan.summary())
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    cmd = sub.add_parser("patrol", parents=[common], help="planifier les tournées à pied des équipes")
    cmd.add_argument("--teams", type=int, required=True, metavar="N", help="nombre d'équipes")
    cmd.add_argument("--shift-minutes", type=float, required=True, metavar="M", help="durée de la tournée (min)")
    cmd.add_argument("--start", required=True, metavar="LAT,LON", help="point de départ (le local)")
    cmd.add_argument("--end", metavar="LAT,LON", help="point d'arrivée (défaut : le départ)")
    cmd.add_argument("--at", metavar="DATETIME", help="date et heure de départ, heure locale (défaut : maintenant)")
    cmd.add_argument("--targets", metavar="FILE",
                     help="lieux à visiter : CSV name;lat;lon;priority[;window_start;window_end] ou GeoJSON")
    cmd.add_argument("--from-hotspots", action="store_true", help="ajouter les cellules des points chauds")
    cmd.add_argument("--from-overdue", action="store_true",
                     help="ajouter les signalements ouverts qui attendent le plus longtemps")
    cmd.add_argument("--network", metavar="FILE", help="réseau de rues hors ligne : OSM XML (.osm) ou GraphML")
    cmd.add_argument("--dwell-minutes", type=float, default=DEFAULT_DWELL_MINUTES,
                     help=f"temps d'arrêt par cible (défaut {DEFAULT_DWELL_MINUTES:g} min)")
    cmd.add_argument("--speed-kmh", type=float, default=DEFAULT_SPEED_KMH,
                     help=f"vitesse de marche (défaut {DEFAULT_SPEED_KMH:g} km/h)")
    cmd.add_argument("--detour", type=float, default=DEFAULT_DETOUR,
                     help=f"facteur de détour sans réseau de rues (défaut {DEFAULT_DETOUR:g})")
    cmd.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                     help=f"limite du solveur en secondes (défaut {DEFAULT_TIME_LIMIT_S:g})")
    cmd.add_argument("--out", required=True, metavar="FILE.geojson", help="plan en GeoJSON")
    cmd.add_argument("--gpx", metavar="DIR", help="dossier où écrire un GPX par équipe")
    cmd.set_defaults(run=_cmd_patrol)
