"""The life of a report: statuses, the transitions allowed between them, and the history of every change.

``nouveau`` → ``transmis`` (relayed to its partner) → ``pris_en_charge`` → ``resolu``; a report may also be closed
``clos_sans_suite`` or marked ``doublon`` of an original report. Every change is kept in ``status_history``
(who, when, from, to, comment; when it was typed, which may be later than the change). A change that makes no
sense is refused with a French message; a change applied to several reports is one transaction (all or none).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store

__all__ = ["STATUSES", "STATUS_LABELS", "CLOSED_STATUSES", "TRANSITIONS", "StatusChange", "transition_error",
           "parse_when", "resolve_report_id", "change_status", "change_statuses", "read_history",
           "write_history", "ORIGIN_MANUAL", "ORIGIN_IMPORT", "ORIGIN_IMPORT_UNDATED", "ORIGIN_DEMO"]

STATUSES = ("nouveau", "transmis", "pris_en_charge", "resolu", "clos_sans_suite", "doublon")
STATUS_LABELS = {"nouveau": "Nouveau", "transmis": "Transmis au partenaire", "pris_en_charge": "Pris en charge",
                 "resolu": "Résolu", "clos_sans_suite": "Clos sans suite", "doublon": "Doublon"}
CLOSED_STATUSES = frozenset({"resolu", "clos_sans_suite", "doublon"})
# Allowed moves. A closed report can be reopened: a resolved problem that comes back goes to its partner again,
# a report closed without follow-up or wrongly marked duplicate starts again as new.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "nouveau": frozenset({"transmis", "resolu", "clos_sans_suite", "doublon"}),
    "transmis": frozenset({"pris_en_charge", "resolu", "clos_sans_suite", "doublon"}),
    "pris_en_charge": frozenset({"resolu", "clos_sans_suite"}),
    "resolu": frozenset({"transmis"}),
    "clos_sans_suite": frozenset({"nouveau"}),
    "doublon": frozenset({"nouveau"}),
}
ORIGIN_MANUAL, ORIGIN_IMPORT, ORIGIN_IMPORT_UNDATED, ORIGIN_DEMO = "saisie", "import", "import_sans_date", "demo"
_FUTURE_TOLERANCE_S = 300
_HISTORY_COLUMNS = ("id", "report_id", "changed_at", "changed_by", "from_status", "to_status", "note",
                    "recorded_at", "origin")


@dataclass(frozen=True)
class StatusChange:
    """One change made by :func:`change_status` (times in seconds since the epoch)."""

    report_id: str
    source_id: str | None
    from_status: str
    to_status: str
    changed_at: int
    changed_by: str | None
    partner: str | None
    duplicate_of: str | None = None

    def as_dict(self) -> dict:
        """Return the change as the JSON summary of ``python -m geo status``."""
        return {"id": self.report_id, "source_id": self.source_id, "from": self.from_status, "to": self.to_status,
                "at": pd.Timestamp(self.changed_at, unit="s", tz="UTC").isoformat(), "by": self.changed_by,
                "partner": self.partner, "duplicate_of": self.duplicate_of}


def transition_error(current: str, new: str) -> str | None:
    """Return why ``current`` → ``new`` is refused (French), or ``None`` when it is allowed."""
    if new not in STATUSES:
        return f"statut inconnu {new!r} ; attendu l'un de {', '.join(STATUSES)}"
    if current == new:
        return f"le signalement est déjà « {STATUS_LABELS[new]} »"
    if new in TRANSITIONS.get(current, frozenset()):
        return None
    if new == "pris_en_charge" and current == "nouveau":
        return "un signalement doit être transmis à son partenaire avant d'être pris en charge"
    allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "aucun"
    return (f"passage de « {STATUS_LABELS.get(current, current)} » à « {STATUS_LABELS[new]} » refusé "
            f"(depuis {current} : {allowed})")


def parse_when(value: str | pd.Timestamp | None, *, timezone: str) -> pd.Timestamp | None:
    """Read a time given by a person (``2026-03-02T14:30``, ``02/03/2026 14:30``, ``02/03/2026``) as UTC.

    Raises
    ------
    InputError
        When the text is not a date.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp):
        stamp = value
    else:
        text = value.strip()
        stamp = None
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
            try:
                stamp = pd.to_datetime(text, format=fmt)
                break
            except ValueError:
                continue
        if stamp is None:
            try:
                stamp = pd.Timestamp(text)
            except ValueError as exc:
                raise InputError(f"date illisible {text!r} : attendu AAAA-MM-JJTHH:MM ou JJ/MM/AAAA HH:MM") from exc
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def resolve_report_id(store: Store, reference: str) -> str:
    """Return the stored id of the report ``reference`` names: its stored id, or its source's own id.

    Raises
    ------
    InputError
        When no report has that id, or when several reports have that source id (the candidates are listed).
    """
    table = schema.reports
    with store.engine.connect() as conn:
        if conn.execute(sa.select(table.c.id).where(table.c.id == reference)).first() is not None:
            return reference
        found = conn.execute(sa.select(table.c.id).where(table.c.source_id == reference).order_by(table.c.id)
                             .limit(21)).scalars().all()
    if not found:
        raise InputError(f"aucun signalement n'a l'identifiant {reference!r} (ni identifiant enregistré, "
                         "ni identifiant source)")
    if len(found) > 1:
        shown = ", ".join(found[:20]) + (" …" if len(found) > 20 else "")
        raise InputError(f"identifiant source {reference!r} ambigu : {len(found)} signalements le portent "
                         f"({shown}) ; donnez l'identifiant enregistré")
    return found[0]


def _last_changes(conn: sa.Connection, ids: Sequence[str]) -> dict[str, int]:
    table = schema.status_history
    last: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        query = (sa.select(table.c.report_id, sa.func.max(table.c.changed_at))
                 .where(table.c.report_id.in_(list(ids[start:start + 500]))).group_by(table.c.report_id))
        last.update({rid: int(t) for rid, t in conn.execute(query).all()})
    return last


def _original_of(conn: sa.Connection, duplicate_of: str) -> tuple[str | None, str | None]:
    """Return (the root original of ``duplicate_of``, an error) following links of reports marked duplicate."""
    table = schema.reports
    current, seen = duplicate_of, set()
    while True:
        row = conn.execute(sa.select(table.c.id, table.c.status, table.c.duplicate_of)
                           .where(table.c.id == current)).first()
        if row is None:
            return None, f"le signalement original {current!r} n'existe pas"
        if row.status != "doublon" or not row.duplicate_of or row.duplicate_of in seen:
            return row.id, None
        seen.add(row.id)
        current = row.duplicate_of


def change_statuses(
    store: Store, report_ids: Sequence[str], new_status: str, *, at: pd.Timestamp | None = None,
    by: str | None = None, comment: str | None = None, duplicate_of: str | None = None,
    now: pd.Timestamp | None = None,
) -> list[StatusChange]:
    """Move every report of ``report_ids`` to ``new_status`` in one transaction: all of them, or none.

    Parameters
    ----------
    report_ids
        Stored report ids (see :func:`resolve_report_id` for source ids).
    at
        When the change happened (a relay made yesterday, typed today); now by default. Not in the future,
        not before the report was observed nor before its last change.
    by, comment
        Who made the change, and a note kept in the history.
    duplicate_of
        The original report, required for ``doublon`` (a report marked duplicate of a duplicate is linked to
        that one's original).

    Raises
    ------
    InputError
        Listing every report the change cannot apply to (unknown report, transition refused, ``transmis``
        without partner, time out of order, ``doublon`` without a valid original); nothing is changed then.
    """
    ids = list(dict.fromkeys(report_ids))
    if not ids:
        raise InputError("aucun signalement sélectionné")
    if new_status not in STATUSES:
        raise InputError(f"statut inconnu {new_status!r} ; attendu l'un de {', '.join(STATUSES)}")
    now_s = int((now if now is not None else pd.Timestamp.now(tz="UTC")).timestamp())
    when = now_s if at is None else int(pd.Timestamp(at).timestamp())
    if when > now_s + _FUTURE_TOLERANCE_S:
        raise InputError(f"la date du changement ({pd.Timestamp(when, unit='s', tz='UTC').isoformat()}) est dans "
                         "le futur")
    if duplicate_of is not None and new_status != "doublon":
        raise InputError("--duplicate-of ne s'emploie qu'avec le statut doublon")
    table, history = schema.reports, schema.status_history
    changes: list[StatusChange] = []
    with store.transaction() as conn:
        rows = {}
        for start in range(0, len(ids), 500):
            query = sa.select(table.c.id, table.c.source_id, table.c.status, table.c.partner, table.c.observed_at
                              ).where(table.c.id.in_(ids[start:start + 500]))
            rows.update({r.id: r for r in conn.execute(query).all()})
        last = _last_changes(conn, ids)
        original = None
        errors = []
        if new_status == "doublon":
            if not duplicate_of:
                errors.append("le statut doublon demande le signalement original (--duplicate-of)")
            else:
                original, problem = _original_of(conn, duplicate_of)
                if problem:
                    errors.append(problem)
        for rid in ids:
            row = rows.get(rid)
            if row is None:
                errors.append(f"{rid} : signalement inconnu")
                continue
            problem = transition_error(row.status, new_status)
            if problem is None and new_status == "transmis" and not row.partner:
                problem = ("aucun partenaire pour sa catégorie et son quartier : complétez la table de routage "
                           "(page Partenaires)")
            if problem is None and original is not None and rid == original:
                problem = "un signalement ne peut pas être le doublon de lui-même"
            if problem is None and when < int(row.observed_at):
                problem = "la date du changement précède l'observation du signalement"
            if problem is None and when < last.get(rid, when):
                problem = "la date du changement précède le dernier changement de statut du signalement"
            if problem:
                errors.append(f"{rid} : {problem}")
        if errors:
            more = f" (et {len(errors) - 20} autre(s))" if len(errors) > 20 else ""
            raise InputError("changement de statut refusé, rien n'a été modifié : " + " ; ".join(errors[:20]) + more)
        recorded = int(time.time())
        link = original if new_status == "doublon" else None
        for rid in ids:
            row = rows[rid]
            conn.execute(table.update().where(table.c.id == rid)
                         .values(status=new_status, duplicate_of=link, updated_at=recorded))
            changes.append(StatusChange(rid, row.source_id, row.status, new_status, when, by, row.partner, link))
        conn.execute(history.insert(), [
            {"report_id": c.report_id, "changed_at": when, "changed_by": by, "from_status": c.from_status,
             "to_status": new_status, "note": comment or None, "recorded_at": recorded, "origin": ORIGIN_MANUAL}
            for c in changes])
    return changes


def change_status(store: Store, report_id: str, new_status: str, **options: object) -> StatusChange:
    """Move one report to ``new_status`` (options as :func:`change_statuses`) and return the change."""
    return change_statuses(store, [report_id], new_status, **options)[0]


def write_history(conn: sa.Connection, entries: pd.DataFrame) -> int:
    """Append history entries (columns of ``status_history`` but ``id``) inside ``conn``'s transaction.

    For loaders (imported files, demo) that set statuses themselves: no transition rule is checked.
    """
    if entries.empty:
        return 0
    columns = [c for c in _HISTORY_COLUMNS if c != "id" and c in entries.columns]
    records = entries[columns].astype(object).where(entries[columns].notna(), None).to_dict("records")
    for start in range(0, len(records), 50_000):
        conn.execute(schema.status_history.insert(), records[start:start + 50_000])
    return len(records)


def read_history(store: Store, report_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Return status changes (all, or of ``report_ids``) ordered by report then time.

    ``changed_at`` and ``recorded_at`` are UTC timestamps.
    """
    table = schema.status_history
    query = sa.select(*[table.c[c] for c in _HISTORY_COLUMNS]).order_by(table.c.report_id, table.c.changed_at,
                                                                         table.c.id)
    frames = []
    with store.engine.connect() as conn:
        if report_ids is None:
            frames.append(pd.DataFrame([tuple(r) for r in conn.execute(query).all()], columns=list(_HISTORY_COLUMNS)))
        else:
            ids = list(report_ids)
            for start in range(0, max(len(ids), 1), 500):
                part = conn.execute(query.where(table.c.report_id.in_(ids[start:start + 500]))).all()
                frames.append(pd.DataFrame([tuple(r) for r in part], columns=list(_HISTORY_COLUMNS)))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(_HISTORY_COLUMNS))
    for column in ("changed_at", "recorded_at"):
        frame[column] = pd.to_datetime(pd.to_numeric(frame[column]), unit="s", utc=True)
    return frame.sort_values(["report_id", "changed_at", "id"], ignore_index=True)
