"""A minimal partner lookup for alerts: who receives an alert, and at which addresses.

**Stand-in** until :mod:`geo.workflow` (partners registry and routing, issue 9) is merged: it reads the same
file formats that ``python -m geo partners load`` takes — ``PARTNERS.csv`` with the columns
``id;name;type;emails;target_days`` (addresses separated by ``,``) and ``ROUTING.csv`` with
``category;neighbourhood;partner`` (``*`` as neighbourhood for the category's default), Excel-French CSV — from
``VEILLE_PARTNERS`` / ``VEILLE_ROUTING`` or ``data/partners.csv`` / ``data/routing.csv``. Without those files
no alert is routed (``partner`` stays empty) and nothing is sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.errors import InputError
from geo.settings import DATA_DIR

__all__ = ["Partner", "PartnerDirectory", "load_partner_directory"]


@dataclass(frozen=True)
class Partner:
    """A partner that receives alerts."""

    id: str
    name: str
    type: str
    emails: tuple[str, ...]
    target_days: float | None = None


@dataclass
class PartnerDirectory:
    """Partners by id, and the routing category × quartier → partner (``*`` = every quartier)."""

    partners: dict[str, Partner] = field(default_factory=dict)
    routes: dict[tuple[str, str], str] = field(default_factory=dict)

    def route(self, category: str, neighbourhood: str | None) -> str | None:
        """Return the partner id for a category in a quartier (its own route, else the category's default)."""
        return self.routes.get((category, neighbourhood or "*")) or self.routes.get((category, "*"))

    def get(self, partner_id: str | None) -> Partner | None:
        """Return a partner by id, or ``None``."""
        return self.partners.get(partner_id) if partner_id else None


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            frame = pd.read_csv(path, sep=";", dtype=str, encoding=encoding, keep_default_na=False)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes every byte but a few
        raise InputError(f"{path} : encodage non reconnu (UTF-8 ou Windows-1252 attendu)")
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{path} : colonnes attendues {list(columns)} ; trouvé {list(frame.columns)}")
    return frame


def load_partner_directory(partners_path: Path | str | None = None,
                           routing_path: Path | str | None = None) -> PartnerDirectory:
    """Read the partners and routing files (see the module); missing files give an empty directory."""
    partners_path = Path(partners_path or os.environ.get("VEILLE_PARTNERS") or DATA_DIR / "partners.csv")
    routing_path = Path(routing_path or os.environ.get("VEILLE_ROUTING") or DATA_DIR / "routing.csv")
    directory = PartnerDirectory()
    if partners_path.exists():
        for row in _read(partners_path, ("id", "name", "type", "emails", "target_days")).itertuples(index=False):
            emails = tuple(e.strip() for e in str(row.emails).split(",") if e.strip())
            target = float(row.target_days.replace(",", ".")) if str(row.target_days).strip() else None
            directory.partners[row.id.strip()] = Partner(row.id.strip(), row.name.strip(), row.type.strip(),
                                                         emails, target)
    if routing_path.exists():
        for row in _read(routing_path, ("category", "neighbourhood", "partner")).itertuples(index=False):
            partner = row.partner.strip()
            if partner not in directory.partners:
                raise InputError(f"{routing_path} : partenaire {partner!r} absent de {partners_path.name}")
            directory.routes[(row.category.strip(), row.neighbourhood.strip() or "*")] = partner
    return directory
