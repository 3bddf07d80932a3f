"""The partners registry: who acts on reports (id, name, type, contact e-mail addresses, target delay).

Partners are read from and written to the store; :func:`read_partners_csv` reads the Excel-French file
``id;name;type;emails;target_days`` (e-mail addresses separated by ``,``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.store.database import Store
from geo.store.workflow_schema import partners as partners_table

__all__ = ["Partner", "PARTNER_COLUMNS", "read_partners", "get_partner", "read_partners_csv", "partners_frame",
           "frame_to_partners", "read_table_file"]

PARTNER_COLUMNS = ("id", "name", "type", "emails", "target_days")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_MAX_ERRORS = 20


@dataclass(frozen=True)
class Partner:
    """A local actor reports are relayed to.

    Attributes
    ----------
    id
        Stable code (letters, digits, ``-``, ``_``, ``.``), referred to by the routing table and by reports.
    name
        Name shown to people.
    type
        Kind of partner (``ville``, ``metropole``, ``bailleur``, ``transport``, ``police_municipale``, ``ccas``…),
        as the taxonomy's ``partner_type``.
    emails
        Contact addresses.
    target_days
        Days the partner aims to take from relay to resolution; ``None`` when it has no target.
    """

    id: str
    name: str
    type: str = ""
    emails: tuple[str, ...] = ()
    target_days: int | None = None


def _from_row(row: sa.RowMapping) -> Partner:
    emails = tuple(e for e in (row["emails"] or "").split(",") if e)
    return Partner(id=row["id"], name=row["name"], type=row["type"] or "", emails=emails,
                   target_days=row["target_days"])


def read_partners(store: Store) -> list[Partner]:
    """Return every partner of the registry, ordered by id."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(partners_table).order_by(partners_table.c.id)).mappings().all()
    return [_from_row(r) for r in rows]


def get_partner(store: Store, partner_id: str) -> Partner | None:
    """Return one partner, or ``None`` when the registry has no such id."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(partners_table).where(partners_table.c.id == partner_id)).mappings().first()
    return _from_row(row) if row else None


def partners_frame(partners: Iterable[Partner]) -> pd.DataFrame:
    """Return partners as a table (e-mail addresses joined by ``,``), for display and editing."""
    return pd.DataFrame(
        [{"id": p.id, "name": p.name, "type": p.type, "emails": ",".join(p.emails),
          "target_days": p.target_days} for p in partners],
        columns=list(PARTNER_COLUMNS),
    ).astype({"target_days": "Int64"})


def _text(value: object) -> str:
    missing = value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))
    return "" if missing else str(value).strip()


def frame_to_partners(frame: pd.DataFrame, *, source: str = "registre") -> list[Partner]:
    """Check a table of partners (columns :data:`PARTNER_COLUMNS`) and return its partners.

    Parameters
    ----------
    frame
        One partner per row; line numbers in messages count the header as line 1.
    source
        Name of the file or table, for messages.

    Raises
    ------
    InputError
        Listing every faulty line (missing column, empty or repeated id, missing name, address that is not an
        e-mail address, target delay that is not a whole number of days ≥ 0).
    """
    missing = [c for c in PARTNER_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{source} : colonnes manquantes {missing} ; colonnes attendues "
                         f"{';'.join(PARTNER_COLUMNS)}, trouvées {list(frame.columns)}")
    errors: list[str] = []
    found: list[Partner] = []
    seen: set[str] = set()
    for line, row in enumerate(frame.to_dict("records"), start=2):
        pid, name = _text(row["id"]), _text(row["name"])
        if not _ID.match(pid):
            errors.append(f"ligne {line} : identifiant {pid!r} invalide (lettres, chiffres, - _ . ; 64 au plus)")
            continue
        if pid in seen:
            errors.append(f"ligne {line} : identifiant {pid!r} en double")
        seen.add(pid)
        if not name:
            errors.append(f"ligne {line} : nom manquant pour {pid!r}")
        emails = tuple(e.strip() for e in re.split(r"[,\s]+", _text(row["emails"])) if e.strip())
        bad = [e for e in emails if not _EMAIL.match(e)]
        if bad:
            errors.append(f"ligne {line} : adresse(s) e-mail invalide(s) pour {pid!r} : {bad}")
        target_text = _text(row["target_days"]).removesuffix(".0")
        target: int | None = None
        if target_text:
            if not target_text.isdigit():
                errors.append(f"ligne {line} : délai cible {target_text!r} pour {pid!r} : un nombre entier de "
                              "jours (0 ou plus) est attendu")
            else:
                target = int(target_text)
        found.append(Partner(id=pid, name=name, type=_text(row["type"]), emails=emails, target_days=target))
    if errors:
        more = f" (et {len(errors) - _MAX_ERRORS} autre(s))" if len(errors) > _MAX_ERRORS else ""
        raise InputError(f"{source} : " + " ; ".join(errors[:_MAX_ERRORS]) + more + ". Rien n'a été enregistré.")
    return found


def read_table_file(path: Path | str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a small Excel-French CSV (``;``, UTF-8 with or without BOM, or cp1252) as text cells.

    Raises
    ------
    InputError
        When the file cannot be read or decoded, or its header lacks one of ``columns``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name} : fichier illisible ({exc.strerror or exc})") from exc
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise InputError(f"{path.name} : encodage non reconnu (UTF-8 ou Windows-1252 attendu)")
    header = text.splitlines()[0] if text.strip() else ""
    sep = ";" if header.count(";") >= max(header.count("\t"), 1) else ("\t" if "\t" in header else ";")
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{path.name} : fichier vide ; en-tête attendu {';'.join(columns)}")
    names = [c.strip().lower() for c in rows[0]]
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(f"{path.name} : colonnes manquantes {missing} ; en-tête attendu {';'.join(columns)} "
                         f"(séparateur ;), trouvé {rows[0]}")
    body = [r + [""] * (len(names) - len(r)) for r in rows[1:]]
    return pd.DataFrame([r[:len(names)] for r in body], columns=names, dtype=object)[list(columns)]


def read_partners_csv(path: Path | str) -> list[Partner]:
    """Read and check a partners file ``id;name;type;emails;target_days``.

    Raises
    ------
    InputError
        When the file cannot be read or a line is wrong (all faulty lines are listed).
    """
    return frame_to_partners(read_table_file(path, PARTNER_COLUMNS), source=Path(path).name)
