"""Counts per quartier, category and week computed by PostgreSQL itself, to check and measure our own path against.

:func:`geo.analysis.aggregation.aggregate_reports` counts reports in process, from the quartier stored with each
report at import. On a PostgreSQL store the same counts can come from the database: a ``GROUP BY`` on that
stored column (:func:`counts_by_stored_column`), or a PostGIS spatial join of the report points with the
quartier polygons (:func:`counts_by_spatial_join`, ``ST_Contains`` under the GiST indexes of
:mod:`geo.store.postgis_schema`). ``bench/scale.py`` times the three side by side and checks they agree.

Weeks start on Monday, in local time (``timezone``), as in :func:`geo.analysis.aggregation.aggregate_reports`.
A point exactly on a quartier's edge is in no quartier for ``ST_Contains`` (the edge is not inside), while the
stored column gives it the first quartier whose polygon it touches; and the spatial join has no row for reports
outside every quartier. :func:`counts_in_process` reads an :func:`aggregate_reports` table the same way.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from geo.analysis.aggregation import OUTSIDE

__all__ = ["counts_by_stored_column", "counts_by_spatial_join", "counts_in_process", "same_counts", "COUNT_COLUMNS"]

COUNT_COLUMNS = ["neighbourhood", "category", "week", "count"]


def _week(timezone: str) -> str:
    return f"date_trunc('week', to_timestamp(r.observed_at) AT TIME ZONE '{_zone(timezone)}')::date"


def _zone(timezone: str) -> str:
    if not timezone.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum():
        raise ValueError(f"expected a time zone name such as Europe/Paris; found {timezone!r}")
    return timezone


def _frame(conn: sa.Connection, sql: str) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(conn.exec_driver_sql(sql).all(), columns=COUNT_COLUMNS)
    frame["week"] = pd.to_datetime(frame["week"]).dt.strftime("%Y-%m-%d")
    frame["count"] = frame["count"].astype("int64")
    return frame


def counts_by_stored_column(conn: sa.Connection, *, timezone: str = "Europe/Paris") -> pd.DataFrame:
    """Count reports per stored quartier (:data:`OUTSIDE` when none), category and week, by a ``GROUP BY``."""
    return _frame(conn, f"SELECT coalesce(r.neighbourhood, '{OUTSIDE}'), r.category, {_week(timezone)}, count(*) "
                        "FROM reports AS r GROUP BY 1, 2, 3")


def counts_by_spatial_join(conn: sa.Connection, *, timezone: str = "Europe/Paris") -> pd.DataFrame:
    """Count reports per quartier whose polygon contains their point, category and week (PostGIS only).

    Reports in no quartier have no row.
    """
    return _frame(conn, f"SELECT q.code, r.category, {_week(timezone)}, count(*) FROM reports AS r "
                        "JOIN neighbourhoods AS q ON ST_Contains(q.geom, r.geom) GROUP BY 1, 2, 3")


def counts_in_process(table: pd.DataFrame) -> pd.DataFrame:
    """Return the non-zero rows of an :func:`aggregate_reports` table by neighbourhood, category, week."""
    frame = table.loc[table["count"] > 0, COUNT_COLUMNS].astype({"neighbourhood": str, "category": str,
                                                                  "week": str, "count": "int64"})
    return frame.reset_index(drop=True)


def same_counts(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    """Tell whether two count tables hold the same rows, in any order."""
    def norm(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[COUNT_COLUMNS].astype({"neighbourhood": str, "category": str, "week": str, "count": "int64"}) \
            .sort_values(COUNT_COLUMNS[:3]).reset_index(drop=True)
    return norm(left).equals(norm(right))
