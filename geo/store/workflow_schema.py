"""Tables of the follow-up workflow: partners, routing, status history, photos; and the routing statement.

The ``reports`` table gains ``partner`` (who the report is routed to) and ``duplicate_of`` (the original of a
``doublon``); ``status_history`` gains ``recorded_at`` (when a change was typed, which may be after the change
itself) and ``origin`` (``saisie``, ``import``, ``import_sans_date``, ``demo``). :func:`migrate` brings an older
store up to date and is idempotent.

:func:`partner_expression` is the one expression that routes a report from the routing table: the field form
sets ``reports.partner`` with it (:func:`route_reports`) inside its transaction, and an import's bulk load writes
it into the statement that stores the reports (:meth:`geo.store.database.Store.load_staged`), so that a report is
routed the moment it is stored.
"""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.metadata import METADATA
from geo.store.schema import reports, status_history

__all__ = ["partners", "routing", "photos", "DEFAULT_NEIGHBOURHOOD", "migrate", "partner_expression", "route_reports",
           "route_batch"]

_CASE_ROUTES = 400
DEFAULT_NEIGHBOURHOOD = "*"
"""Neighbourhood of a category's default route (used where no route names the report's quartier)."""

partners = sa.Table(
    "partners", METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("type", sa.String(64)),
    sa.Column("emails", sa.Text, nullable=False, default=""),  # comma-separated
    sa.Column("target_days", sa.Integer),  # target delay from relay to resolution; None: no target
)

routing = sa.Table(
    "routing", METADATA,
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Column("neighbourhood", sa.String(64), primary_key=True),  # a quartier code, or "*"
    sa.Column("partner", sa.String(64), sa.ForeignKey("partners.id"), nullable=False),
)

photos = sa.Table(
    "photos", METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("report_id", sa.String(96), sa.ForeignKey("reports.id"), index=True, nullable=False),
    sa.Column("added_at", sa.BigInteger, nullable=False),
    sa.Column("added_by", sa.Text),
    sa.Column("filename", sa.Text),
    sa.Column("width", sa.Integer, nullable=False),  # of the display copy
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("original", sa.LargeBinary, nullable=False),  # as received: coordinator only
    sa.Column("display", sa.LargeBinary, nullable=False),  # JPEG, resized, no metadata
    sa.Column("thumbnail", sa.LargeBinary, nullable=False),  # JPEG, small, no metadata
)

_REPORT_COLUMNS = (sa.Column("partner", sa.String(64)), sa.Column("duplicate_of", sa.String(96)))
_HISTORY_COLUMNS = (sa.Column("recorded_at", sa.BigInteger), sa.Column("origin", sa.String(32)))
for _column in _REPORT_COLUMNS:
    reports.append_column(_column)
for _column in _HISTORY_COLUMNS:
    status_history.append_column(_column)


def _add_missing_columns(conn: sa.Connection, table: sa.Table, columns: tuple[sa.Column, ...]) -> None:
    found = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    for column in columns:
        if column.name not in found:
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))


def migrate(conn: sa.Connection) -> None:
    """Create the workflow tables and columns that are missing (idempotent)."""
    for table in (partners, routing, photos, status_history):
        table.create(conn, checkfirst=True)
    _add_missing_columns(conn, reports, _REPORT_COLUMNS)
    _add_missing_columns(conn, status_history, _HISTORY_COLUMNS)


def partner_expression(conn: sa.Connection, category: sa.ColumnElement, neighbourhood: sa.ColumnElement
                       ) -> sa.ColumnElement | None:
    """Return the SQL expression of the partner a report goes to, from the routing table; ``None`` when it is empty.

    A route for the report's (category, quartier) wins over the category's default (quartier ``*``); a report
    with neither gets no partner (``NULL``: a missing route, shown to the coordinator).

    Parameters
    ----------
    category, neighbourhood
        The report's columns: of ``reports`` (:func:`route_reports`) or of any table of reports to be stored,
        e.g. ``sa.literal_column("stage_0.reports_3.category")`` for a staged chunk
        (:meth:`geo.store.database.Store.load_staged`), so that a report is routed by the statement storing it.
    """
    routes = conn.execute(sa.select(routing.c.category, routing.c.neighbourhood, routing.c.partner)
                          .order_by(routing.c.category, routing.c.neighbourhood).limit(_CASE_ROUTES + 1)).all()
    if not routes:
        return None
    if len(routes) > _CASE_ROUTES:
        exact = routing.alias("exact_route")
        default = routing.alias("default_route")
        return sa.func.coalesce(
            sa.select(exact.c.partner).where(exact.c.category == category,
                                             exact.c.neighbourhood == neighbourhood).scalar_subquery(),
            sa.select(default.c.partner).where(default.c.category == category,
                                               default.c.neighbourhood == DEFAULT_NEIGHBOURHOOD).scalar_subquery(),
        )
    # the table written into the statement: a third faster than looking it up for each of a million rows
    per_category: dict[str, dict[str, str]] = {}
    for category_code, place, partner_id in routes:
        per_category.setdefault(category_code, {})[place] = partner_id
    whens = []
    for category_code, places in per_category.items():
        default_id = places.get(DEFAULT_NEIGHBOURHOOD)
        otherwise = sa.null() if default_id is None else sa.literal(default_id)
        exact_routes = [(neighbourhood == place, sa.literal(pid)) for place, pid in places.items()
                        if place != DEFAULT_NEIGHBOURHOOD]
        value = sa.case(*exact_routes, else_=otherwise) if exact_routes else otherwise
        whens.append((category == category_code, value))
    return sa.case(*whens, else_=sa.null())


def route_reports(conn: sa.Connection, *, where: sa.ColumnElement[bool] | None = None) -> int:
    """Set ``partner`` of the reports matching ``where`` (all when ``None``) from the routing table.

    See :func:`partner_expression`. Does nothing when the routing table is empty.

    Returns
    -------
    int
        The number of reports the statement visited.
    """
    partner = partner_expression(conn, reports.c.category, reports.c.neighbourhood)
    if partner is None:
        return 0
    statement = reports.update().values(partner=partner)
    if where is not None:
        statement = statement.where(where)
    return int(conn.execute(statement).rowcount)


def route_batch(conn: sa.Connection, batch_id: int) -> int:
    """Route the reports of one import batch (inside the import's transaction)."""
    return route_reports(conn, where=reports.c.batch_id == batch_id)
