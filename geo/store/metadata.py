"""The one SQLAlchemy ``MetaData`` every table of the store is declared on.

Core tables are in :mod:`geo.store.schema`; each capability declares its own tables in a module of its own
beside it (``geo/store/<capability>_schema.py``) on this same object, with an idempotent migration that
:data:`geo.store.schema.MIGRATIONS` lists.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["METADATA"]

METADATA = sa.MetaData()
