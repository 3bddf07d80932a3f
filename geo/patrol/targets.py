"""Candidate stops of a patrol: places from a file, open reports waiting longest, hot-spot cells.

Each target carries a priority the coordinator can change and the reason it is a target.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.errors import InputError

__all__ = ["Target", "read_targets", "parse_targets", "targets_from_overdue", "targets_from_hotspots",
           "with_priorities", "parse_clock", "HOTSPOTS_UNAVAILABLE"]

HOTSPOTS_UNAVAILABLE = "analyse des points chauds indisponible"
_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)


@dataclass(frozen=True)
class Target:
    """One candidate stop.

    Attributes
    ----------
    name
        What the team looks for there (shown on the round sheet).
    lat, lon
        WGS84 position.
    priority
        Weight of visiting it (positive; higher is more important).
    reason
        Why it is a target (French, shown to the coordinator and on the round sheet).
    kind
        ``lieu`` (from a file), ``signalement`` (an open report) or ``point_chaud`` (a hot-spot cell).
    window_start, window_end
        Optional local clock times between which the team must arrive (e.g. a school exit 16:15–16:45).
    ref
        Identifier of the source (report id, cell id), if any.
    """

    name: str
    lat: float
    lon: float
    priority: float
    reason: str
    kind: str = "lieu"
    window_start: time | None = None
    window_end: time | None = None
    ref: str | None = None

    @property
    def key(self) -> str:
        """Return a stable identifier of the target within a plan."""
        return self.ref or f"{self.kind}:{self.name}:{self.lat:.6f},{self.lon:.6f}"


def parse_clock(value: str, *, where: str) -> time:
    """Return the clock time ``HH:MM`` (or ``HHhMM``) in ``value``; raise :class:`InputError` otherwise."""
    text = str(value).strip().lower().replace("h", ":")
    parts = text.split(":")
    try:
        hours = int(parts[0])
        minutes = int(parts[1]) if len(parts) > 1 and parts[1] else 0
        return time(hours, minutes)
    except (ValueError, IndexError):
        raise InputError(f"{where} : heure attendue au format HH:MM, trouvé {value!r}") from None


def _number(value: object, *, what: str, where: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{where} : {what} doit être un nombre, trouvé {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{where} : {what} doit être un nombre fini, trouvé {value!r}")
    return number


def _make_target(row: Sequence[object], *, where: str) -> Target:
    name, lat, lon, priority, start, end = row
    label = str(name or "").strip()
    if not label:
        raise InputError(f"{where} : nom du lieu manquant")
    lat_f, lon_f = _number(lat, what="la latitude", where=where), _number(lon, what="la longitude", where=where)
    if not (-90 <= lat_f <= 90 and -180 <= lon_f <= 180):
        raise InputError(f"{where} : coordonnées hors limites ({lat_f}, {lon_f}) ; attendu latitude puis longitude")
    prio = 1.0 if priority in (None, "") else _number(priority, what="la priorité", where=where)
    if prio <= 0:
        raise InputError(f"{where} : la priorité doit être positive, trouvé {priority!r}")
    has_start, has_end = start not in (None, ""), end not in (None, "")
    if has_start != has_end:
        raise InputError(f"{where} : un créneau demande un début et une fin, trouvé {start!r} et {end!r}")
    w_start = parse_clock(str(start), where=where) if has_start else None
    w_end = parse_clock(str(end), where=where) if has_end else None
    if w_start is not None and w_end is not None and w_end < w_start:
        raise InputError(f"{where} : fin du créneau {w_end:%H:%M} avant son début {w_start:%H:%M}")
    reason = "lieu à visiter" if w_start is None else f"lieu à visiter entre {w_start:%H:%M} et {w_end:%H:%M}"
    return Target(name=label, lat=lat_f, lon=lon_f, priority=prio, reason=reason, kind="lieu",
                  window_start=w_start, window_end=w_end)


def _parse_csv(text: str, *, source: str) -> list[Target]:
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=";") if any(cell.strip() for cell in row)]
    if rows and rows[0] and rows[0][0].strip().lower() in {"name", "nom"}:
        rows = rows[1:]
    targets = []
    for number, row in enumerate(rows, start=1):
        where = f"{source}, ligne {number}"
        if len(row) not in (4, 6):
            raise InputError(f"{where} : attendu name;lat;lon;priority[;window_start;window_end], "
                             f"trouvé {len(row)} colonnes")
        start, end = (row[4], row[5]) if len(row) == 6 else (None, None)
        targets.append(_make_target((*row[:4], start, end), where=where))
    return targets


def _parse_geojson(text: str, *, source: str) -> list[Target]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source} : GeoJSON illisible ({exc.msg}, ligne {exc.lineno})") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list):
        raise InputError(f"{source} : FeatureCollection attendue, trouvé {type(doc).__name__}")
    targets = []
    for number, feature in enumerate(features, start=1):
        where = f"{source}, objet {number}"
        geometry = (feature or {}).get("geometry") or {}
        if geometry.get("type") != "Point":
            raise InputError(f"{where} : géométrie Point attendue, trouvé {geometry.get('type')!r}")
        lon, lat = geometry.get("coordinates", [None, None])[:2]
        props = feature.get("properties") or {}
        row = (props.get("name") or props.get("nom"), lat, lon, props.get("priority"), props.get("window_start"),
               props.get("window_end"))
        targets.append(_make_target(row, where=where))
    return targets


def parse_targets(data: bytes, *, source: str) -> list[Target]:
    """Return the places in a CSV (``name;lat;lon;priority[;window_start;window_end]``) or GeoJSON file.

    Parameters
    ----------
    data
        File content (UTF-8, with or without BOM; cp1252 accepted for CSV).
    source
        File name, used to recognise GeoJSON and in error messages.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    if source.lower().endswith((".geojson", ".json")) or text.lstrip().startswith("{"):
        targets = _parse_geojson(text, source=source)
    else:
        targets = _parse_csv(text, source=source)
    if not targets:
        raise InputError(f"{source} : aucun lieu trouvé")
    return targets


def read_targets(path: str | Path) -> list[Target]:
    """Return the places in the CSV or GeoJSON file at ``path`` (see :func:`parse_targets`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"fichier de cibles introuvable : {path}")
    return parse_targets(path.read_bytes(), source=path.name)


def targets_from_overdue(reports: pd.DataFrame, *, open_statuses: frozenset[str], now: pd.Timestamp,
                         limit: int = 30, labels: dict[str, str] | None = None,
                         status_labels: dict[str, str] | None = None) -> list[Target]:
    """Return the open reports waiting longest, oldest first, as targets.

    Priority grows with the wait (1 + weeks waited, at most 5) and with severity (times ``severity / 2``,
    severity 1–4 as stored). The reason says the status and how long the report has waited.

    Parameters
    ----------
    reports
        Columns ``id, observed_at (tz-aware), lat, lon, category, severity, status``.
    open_statuses
        Status codes that count as open (the taxonomy's).
    now
        Reference time for ages.
    limit
        Most targets returned.
    labels
        Category code to label, for names.
    status_labels
        Status code to label, for reasons.
    """
    open_ = reports[reports["status"].isin(open_statuses)].sort_values("observed_at", kind="stable").head(limit)
    labels, status_labels = labels or {}, status_labels or {}
    targets = []
    for row in open_.itertuples(index=False):
        days = max(0, int((now - row.observed_at).total_seconds() // 86400))
        severity = float(getattr(row, "severity", 2) or 2)
        priority = round(min(5.0, 1.0 + days / 7.0) * max(0.5, severity / 2.0), 2)
        label = labels.get(row.category, row.category)
        targets.append(Target(
            name=f"{label} ({row.id})", lat=float(row.lat), lon=float(row.lon), priority=priority,
            reason=(f"signalement ouvert depuis {days} jours (statut : {status_labels.get(row.status, row.status)}) : "
                    "vérifier sur place"),
            kind="signalement", ref=str(row.id)))
    return targets


_HOT_PRIORITY = {"hot_99": 5.0, "hot_95": 4.0, "hot_90": 3.0}
_BUSY_RADIUS_M = 50.0


def targets_from_hotspots(cells: pd.DataFrame, *, cell_of_report: np.ndarray, report_xy: np.ndarray,
                          cell_xy: np.ndarray, weeks: int, limit: int = 30) -> list[Target]:
    """Return hot-spot cells as targets, at the busiest point inside each cell.

    The stop is the report of the cell with the most reports within 50 m (where a team sees most); a hot
    cell without a report inside (hot through its neighbours) gets its centre. Priority: 5 at 99 %
    confidence, 4 at 95 %, 3 at 90 %; the most confident and busiest cells first.

    Parameters
    ----------
    cells
        Hot-spot cells indexed by cell id with ``class`` (``hot_99``, ``hot_95``, ``hot_90``, …) and ``count``
        (as :func:`geo.analysis.hotspots.report_hotspots` returns them).
    cell_of_report
        Position in ``cells`` of each report's cell (``-1`` outside).
    report_xy, cell_xy
        Lambert-93 ``(n, 2)`` positions of the reports and of the cells' centres.
    weeks
        Period the reports cover, for the reason.
    limit
        Most targets returned.
    """
    classes = cells["class"].astype(str).to_numpy()
    counts = cells["count"].to_numpy()
    hot = [i for i in range(len(cells)) if classes[i] in _HOT_PRIORITY]
    hot.sort(key=lambda i: (-_HOT_PRIORITY[classes[i]], -counts[i]))
    targets = []
    for i in hot[:limit]:
        inside = np.flatnonzero(cell_of_report == i)
        if len(inside):
            points = report_xy[inside]
            near = cKDTree(points).query_ball_point(points, r=_BUSY_RADIUS_M, return_length=True)
            x, y = points[int(np.argmax(near))]
        else:
            x, y = cell_xy[i]
        lon, lat = _TO_WGS84.transform(x, y)
        level = classes[i].removeprefix("hot_")
        targets.append(Target(
            name=f"Point chaud {cells.index[i]}", lat=round(float(lat), 6), lon=round(float(lon), 6),
            priority=_HOT_PRIORITY[classes[i]],
            reason=(f"point chaud (Gi*, confiance {level} %) : {int(counts[i])} signalements dans la cellule "
                    f"en {weeks} semaines ; présence visible 10 à 15 minutes"),
            kind="point_chaud", ref=f"point_chaud:{cells.index[i]}"))
    return targets


def with_priorities(targets: list[Target], priorities: dict[str, float]) -> list[Target]:
    """Return ``targets`` with the priorities the coordinator changed (keyed by :attr:`Target.key`)."""
    return [replace(t, priority=float(priorities[t.key])) if t.key in priorities else t for t in targets]
