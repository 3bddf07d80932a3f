"""Import batches as a coordinator sees them, and undoing one (a file imported with the wrong options).

Undoing a batch removes its reports, its quarantined rows and its kept file in one transaction; the batch's
row stays, with who undid it, when, and how many rows went with it. A field report (Saisie form) is never
removed this way: its batch is refused.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.entry import FORM_SOURCE
from geo.store import schema
from geo.store.database import Store

__all__ = ["BatchRemoval", "remove_batch", "batch_table", "FORM_FORMAT"]

FORM_FORMAT = "form"
"""``source_format`` of the batches of field reports typed in the Saisie form."""


@dataclass(frozen=True)
class BatchRemoval:
    """What undoing a batch removed.

    Attributes
    ----------
    linked
        Rows of other tables that referred to the removed reports (status history…), per table.
    """

    batch_id: int
    source_name: str
    removed_reports: int
    removed_quarantine: int
    removed_source_parts: int
    removed_at: int
    removed_by: str | None
    linked: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict:
        """Return the JSON summary printed by ``python -m geo batches remove``."""
        return asdict(self)


def _describe(batch: dict) -> str:
    return f"lot {batch['id']} ({batch['source_name']})"


def _linked_tables() -> list[tuple[sa.Table, sa.Column]]:
    """Return every table with a foreign key to a report, and that key's column."""
    return [(table, fk.parent) for table in schema.METADATA.sorted_tables for fk in table.foreign_keys
            if fk.column.table is schema.reports]


def remove_batch(store: Store, batch_id: int, *, removed_by: str | None = None, now: int | None = None
                 ) -> BatchRemoval:
    """Undo batch ``batch_id``: remove its reports, its quarantine and its kept file; record who and when.

    Parameters
    ----------
    removed_by
        Who undid it (recorded on the batch).
    now
        Time of the removal in seconds since the epoch (default: now).

    Raises
    ------
    InputError
        When the batch does not exist, is already undone, or holds a field report from the Saisie form.
    """
    batches, reports, quarantine = schema.batches, schema.reports, schema.quarantine
    stamp = int(time.time()) if now is None else int(now)
    with store.transaction() as conn:
        batch = conn.execute(sa.select(batches).where(batches.c.id == int(batch_id))).mappings().first()
        if batch is None:
            raise InputError(f"lot {batch_id} introuvable ; la liste des lots : python -m geo batches")
        if batch["removed_at"] is not None:
            when = pd.Timestamp(batch["removed_at"], unit="s", tz="UTC").strftime("%d/%m/%Y %H:%M UTC")
            who = f" par {batch['removed_by']}" if batch["removed_by"] else ""
            raise InputError(f"{_describe(batch)} déjà annulé le {when}{who}")
        if batch["source_format"] == FORM_FORMAT or batch["source_name"] == FORM_SOURCE:
            raise InputError(f"{_describe(batch)} : c'est un signalement saisi sur le terrain (formulaire Saisie) ; "
                             "l'annulation d'un lot ne retire jamais un signalement de terrain")
        of_batch = sa.select(reports.c.id).where(reports.c.batch_id == batch["id"])
        linked = {}
        for table, column in _linked_tables():
            count = conn.execute(table.delete().where(column.in_(of_batch))).rowcount
            linked[table.name] = linked.get(table.name, 0) + int(count)
        removed_reports = int(conn.execute(reports.delete().where(reports.c.batch_id == batch["id"])).rowcount)
        removed_quarantine = int(conn.execute(quarantine.delete().where(quarantine.c.batch_id == batch["id"]))
                                 .rowcount)
        parts = int(conn.execute(schema.source_files.delete().where(schema.source_files.c.batch_id == batch["id"]))
                    .rowcount)
        conn.execute(batches.update().where(batches.c.id == batch["id"]).values(
            removed_at=stamp, removed_by=removed_by or None, removed_reports=removed_reports,
            removed_quarantine=removed_quarantine))
    return BatchRemoval(batch_id=int(batch["id"]), source_name=batch["source_name"], removed_reports=removed_reports,
                        removed_quarantine=removed_quarantine, removed_source_parts=parts, removed_at=stamp,
                        removed_by=removed_by or None, linked={k: v for k, v in linked.items() if v})


def batch_table(store: Store, *, include_form: bool = False, timezone: str = "Europe/Paris") -> pd.DataFrame:
    """Return the batches as a coordinator reads them, newest first, in French, one row per batch.

    Batches of the Saisie form (one per field report) are left out unless ``include_form``; times are
    written in ``timezone``.

    Returns
    -------
    pandas.DataFrame
        Columns ``lot``, ``fichier``, ``importé le``, ``par``, ``lues``, ``enregistrées``, ``doublons``,
        ``quarantaine``, ``hors territoire``, ``annulé le``, ``annulé par``; ``annulable`` tells whether the
        batch can be undone.
    """
    frame = store.list_batches()
    if not include_form:
        frame = frame[frame["source_format"] != FORM_FORMAT]

    def when(seconds: pd.Series) -> pd.Series:
        stamps = pd.to_datetime(seconds.astype("float64"), unit="s", utc=True).dt.tz_convert(timezone)
        return stamps.dt.strftime("%d/%m/%Y %H:%M").fillna("")

    return pd.DataFrame({
        "lot": frame["id"].astype(int), "fichier": frame["source_name"], "importé le": when(frame["imported_at"]),
        "par": frame["imported_by"].fillna(""), "lues": frame["read"], "enregistrées": frame["stored"],
        "doublons": frame["duplicates"], "quarantaine": frame["quarantined"],
        "hors territoire": frame["outside_territory"], "annulé le": when(frame["removed_at"]),
        "annulé par": frame["removed_by"].fillna(""),
        "annulable": frame["removed_at"].isna() & (frame["source_format"] != FORM_FORMAT),
    }).reset_index(drop=True)
