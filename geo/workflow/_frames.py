"""Read query results into DataFrames as plain DBAPI tuples (SQLAlchemy ``Row`` objects cost pandas dearly)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa


def fetch_frame(conn: sa.Connection, query: sa.Select, columns: Sequence[str]) -> pd.DataFrame:
    """Run ``query`` and return its rows as a DataFrame with ``columns`` (numbers and text need no processing)."""
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns), nrows=len(rows))
