"""Immutable configuration read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROJECT_ROOT", "DATA_DIR", "DEFAULT_DB_PATH", "Settings", "load_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB_PATH = DATA_DIR / "veille.sqlite"
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class Settings:
    """Configuration shared by the CLI and the dashboard.

    Attributes
    ----------
    db_url
        SQLAlchemy URL of the store (``VEILLE_DB_URL``); an SQLite file by default.
    timezone
        Time zone given to naive times in imported files (``VEILLE_TIMEZONE``).
    taxonomy_path
        JSON taxonomy (``VEILLE_TAXONOMY``).
    """

    db_url: str
    timezone: str = DEFAULT_TIMEZONE
    taxonomy_path: Path = DATA_DIR / "taxonomy.json"


def load_settings(*, db_url: str | None = None) -> Settings:
    """Return the settings, an explicit ``db_url`` winning over the environment."""
    url = db_url or os.environ.get("VEILLE_DB_URL") or f"sqlite:///{DEFAULT_DB_PATH}"
    return Settings(
        db_url=url,
        timezone=os.environ.get("VEILLE_TIMEZONE", DEFAULT_TIMEZONE),
        taxonomy_path=Path(os.environ.get("VEILLE_TAXONOMY", DATA_DIR / "taxonomy.json")),
    )
