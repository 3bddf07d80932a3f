"""The report store.

One SQLAlchemy URL (SQLite file by default), its schema and migrations, and the staging files that bulk loads go
through.
"""

from __future__ import annotations

from geo.store.database import READ_COLUMNS, REPORT_FIELDS, Store

__all__ = ["Store", "READ_COLUMNS", "REPORT_FIELDS"]
