"""Statuses carried by imported files become history entries, dated where the file says when.

An Open311 request's ``status`` changed at its ``updated_datetime``; a FixMyStreet report was fixed at ``Fixed``
and closed at ``Closed``. A status with no date in the file is kept with the import's time and the origin
``import_sans_date`` (left out of delay figures).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.provenance import raw_rows_by_number, restore_file
from geo.store import schema
from geo.store.database import Store
from geo.workflow.lifecycle import ORIGIN_IMPORT, ORIGIN_IMPORT_UNDATED, parse_when, write_history

__all__ = ["record_import_history"]


def _when(raw: dict, column: str | None, *, timezone: str) -> int | None:
    if not column or not str(raw.get(column) or "").strip():
        return None
    try:
        stamp = parse_when(str(raw[column]), timezone=timezone)
    except (InputError, ValueError):
        return None
    return None if stamp is None else int(stamp.timestamp())


def _entries(report: dict, raw: dict, profile: str, *, imported_at: int, timezone: str) -> list[dict]:
    """Return the history entries one imported report's row tells (oldest first)."""
    status = report["status"]
    observed = int(report["observed_at"])
    steps: list[tuple[str, int | None]] = []
    if profile == "open311":
        if status != "nouveau":
            steps.append((status, _when(raw, "updated_datetime", timezone=timezone)))
    elif profile == "fixmystreet":
        fixed = _when(raw, "Fixed", timezone=timezone)
        closed = _when(raw, "Closed", timezone=timezone)
        if status == "resolu":
            steps.append(("resolu", fixed or closed))
        elif status in ("clos_sans_suite", "doublon"):
            if fixed:
                steps.append(("resolu", fixed))
            steps.append((status, closed))
        elif status != "nouveau":
            steps.append((status, None))
    elif status != "nouveau":
        steps.append((status, None))
    entries, previous, last = [], "nouveau", observed
    for to_status, at in steps:
        dated = at is not None and at >= last
        when = at if dated else max(imported_at, last)
        entries.append({"report_id": report["id"], "changed_at": when, "changed_by": "import",
                        "from_status": previous, "to_status": to_status,
                        "note": None if dated else "statut du fichier importé, date inconnue",
                        "recorded_at": imported_at, "origin": ORIGIN_IMPORT if dated else ORIGIN_IMPORT_UNDATED})
        previous, last = to_status, when
    return entries


def record_import_history(store: Store, batch_id: int, *, timezone: str = "Europe/Paris") -> int:
    """Write the history entries of the statuses an imported batch carries; return how many were written.

    Reports that already have a history are skipped, so that running it twice writes nothing more.
    """
    batch = store.get_batch(batch_id)
    if batch is None:
        raise InputError(f"lot {batch_id} inconnu")
    options = batch["options"] or {}
    profile = (options.get("mapping") or {}).get("profile", "table")
    table, history = schema.reports, schema.status_history
    has_history = sa.exists().where(history.c.report_id == table.c.id)
    if profile not in ("open311", "fixmystreet"):
        return _insert_undated(store, batch_id, imported_at=int(batch["imported_at"]))
    query = (sa.select(table.c.id, table.c.status, table.c.observed_at, table.c.row_number)
             .where(table.c.batch_id == batch_id, ~has_history))
    with store.engine.connect() as conn:
        reports = pd.DataFrame([tuple(r) for r in conn.execute(query).all()],
                               columns=["id", "status", "observed_at", "row_number"])
    if reports.empty:
        return 0
    raws: dict[int, str] = {}
    numbers = [int(n) for n in reports["row_number"].dropna()]
    if profile in ("open311", "fixmystreet") and numbers:
        with tempfile.TemporaryDirectory(prefix="veille-history-") as tmp:
            path = restore_file(store, batch_id, Path(tmp))
            if path is not None:
                raws = raw_rows_by_number(path, numbers, encoding=options.get("encoding"),
                                          sep=options.get("separator"))
    imported_at = int(batch["imported_at"])
    entries = []
    for report in reports.to_dict("records"):
        number = report["row_number"]
        raw = json.loads(raws.get(int(number), "{}")) if pd.notna(number) else {}
        entries += _entries(report, raw, profile, imported_at=imported_at, timezone=timezone)
    frame = pd.DataFrame(entries)
    if frame.empty:
        return 0
    with store.transaction() as conn:
        return write_history(conn, frame)


def _insert_undated(store: Store, batch_id: int, *, imported_at: int) -> int:
    """Write the one undated entry of each report of a plain table, in the database at once.

    ``nouveau`` → the file's status, at the import's time (or the observation's, when later), marked undated:
    what :func:`_entries` gives for a row with no dates to read.
    """
    table, history = schema.reports, schema.status_history
    has_history = sa.exists().where(history.c.report_id == table.c.id)
    changed = sa.case((table.c.observed_at > imported_at, table.c.observed_at), else_=sa.literal(imported_at))
    rows = sa.select(
        table.c.id, changed, sa.literal("import"), sa.literal("nouveau"), table.c.status,
        sa.literal("statut du fichier importé, date inconnue"), sa.literal(imported_at),
        sa.literal(ORIGIN_IMPORT_UNDATED),
    ).where(table.c.batch_id == batch_id, table.c.status != "nouveau", ~has_history)
    columns = ["report_id", "changed_at", "changed_by", "from_status", "to_status", "note", "recorded_at", "origin"]
    with store.transaction() as conn:
        if not store.is_sqlite:
            # PostgreSQL plans NOT EXISTS on a (near) empty ``status_history`` as a nested loop scanning it once per
            # report, the pages this INSERT adds included: quadratic (40,000 reports 23 s; a 1M-row import did not
            # end in 18 min). A hash anti-join reads it once (0.5 s for the 40,000).
            conn.exec_driver_sql("SET LOCAL enable_nestloop = off")
        return int(conn.execute(history.insert().from_select(columns, rows)).rowcount)
