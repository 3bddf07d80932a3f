"""The report store.

One SQLAlchemy URL (SQLite file by default), its schema and migrations, the staging files that bulk loads go
through, and the columnar snapshot that analyses read. Names are imported on first use, so that a child process
importing one light module of this package does not pay for SQLAlchemy, pandas and GeoPandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Store", "READ_COLUMNS", "REPORT_FIELDS", "ensure_snapshot", "read_snapshot"]

_HOMES = {"Store": "database", "READ_COLUMNS": "database", "REPORT_FIELDS": "database",
          "ensure_snapshot": "snapshot", "read_snapshot": "snapshot"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'geo.store' has no attribute {name!r}")
    return getattr(importlib.import_module(f"geo.store.{_HOMES[name]}"), name)
