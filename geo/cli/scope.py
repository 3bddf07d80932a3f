"""Which structures a scheduled command works on: the one named, else every structure of the database.

A scheduled command (``alerts --detect``, ``digest --due``, ``retention``) is launched once by cron or a systemd
timer for the whole database: without ``--structure`` it goes through every structure in turn, each with a store
opened for it alone; with ``--structure CODE`` (or a URL naming one) it works on that one only. A database with a
single structure (every SQLite file) runs exactly as before and never names it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from geo.errors import VeilleError
from geo.settings import Settings
from geo.store.structures import check_code, get_structure, list_structures, scoped_url, split_url

__all__ = ["StructureRun", "structure_runs", "structure_failure"]


@dataclass(frozen=True)
class StructureRun:
    """One structure a scheduled command works on.

    Attributes
    ----------
    code
        The structure's code; ``None`` when the database has a single structure (nothing to name).
    name
        The structure's name shown to people (``None`` likewise).
    settings
        The command's settings with the store URL opened for this structure.
    """

    code: str | None
    name: str | None
    settings: Settings

    def prefix(self) -> str:
        """Return what starts this structure's messages (empty with a single structure)."""
        return f"[{self.code}] " if self.code else ""


def structure_runs(settings: Settings, *, named: str | None = None) -> list[StructureRun]:
    """Return the structures a scheduled command run with ``settings`` works on, the default one first.

    ``named`` (the ``--structure`` option: it may name the default structure, which its URL does not show) or
    the URL names a structure: that one. Otherwise every structure of the database, each named; a single
    structure is not named.
    """
    base, code = split_url(settings.db_url)
    code = check_code(named) if named else code
    known = list_structures(base)
    if len(known) == 1 and code in (None, known[0].code):
        return [StructureRun(None, None, settings)]
    if code is not None:
        chosen = [s for s in known if s.code == code]
        if not chosen:  # refused with the list of known codes
            get_structure(base, code)
        structure = chosen[0]
        return [StructureRun(structure.code, structure.name, settings)]
    return [StructureRun(s.code, s.name, dataclasses.replace(settings, db_url=scoped_url(base, s.code)))
            for s in known]


def structure_failure(exc: BaseException) -> str | None:
    """Return what to say of ``exc`` when it stops one structure's part of a scheduled command, else ``None``.

    Bad data or settings (:class:`~geo.errors.VeilleError`, ``ValueError``) and the database refusing the work
    (SQLAlchemy's errors) stop that structure only: the others are still processed, and the command ends with
    status 1. Anything else is a bug and propagates.
    """
    if isinstance(exc, VeilleError | ValueError):
        return str(exc)
    if type(exc).__module__.startswith("sqlalchemy."):
        cause = getattr(exc, "orig", None) or exc
        text = str(cause).strip()
        return f"le stockage a refusé l'opération ({text.splitlines()[0] if text else type(cause).__name__})"
    return None
