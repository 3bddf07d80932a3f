"""Apply a label -> category mapping to reports stored under ``autre`` with their original label."""

from __future__ import annotations

import time
from collections.abc import Mapping

import sqlalchemy as sa

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store
from geo.store.workflow_schema import route_reports
from geo.taxonomy import UNKNOWN_CATEGORY, Taxonomy

__all__ = ["apply_category_map", "unknown_labels"]


def unknown_labels(store: Store) -> dict[str, int]:
    """Return the original labels of reports stored under ``autre``, with their counts."""
    table = schema.reports
    query = (sa.select(table.c.category_label, sa.func.count()).where(table.c.category == UNKNOWN_CATEGORY)
             .group_by(table.c.category_label).order_by(sa.func.count().desc()))
    with store.engine.connect() as conn:
        return {label or "(vide)": int(n) for label, n in conn.execute(query).all()}


def apply_category_map(store: Store, mapping: Mapping[str, str], *, taxonomy: Taxonomy) -> int:
    """Move reports stored under ``autre`` whose original label is a key of ``mapping`` to its category.

    Returns
    -------
    int
        The number of reports re-categorised.

    Raises
    ------
    InputError
        When a target is not a category code.
    """
    wrong = {label: code for label, code in mapping.items() if code not in taxonomy.categories}
    if wrong:
        raise InputError(f"codes de catégorie inconnus : {wrong} ; attendus parmi {sorted(taxonomy.categories)}")
    table = schema.reports
    changed = 0
    with store.transaction() as conn:
        for label, code in mapping.items():
            if code == UNKNOWN_CATEGORY:
                continue
            result = conn.execute(
                table.update()
                .where(table.c.category == UNKNOWN_CATEGORY, table.c.category_label == label)
                .values(category=code, registre=taxonomy.registre_of(code), updated_at=int(time.time()))
            )
            changed += int(result.rowcount)
            if result.rowcount:  # a new category may go to another partner
                route_reports(conn, where=sa.and_(table.c.category == code, table.c.category_label == label))
    return changed
