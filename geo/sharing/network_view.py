"""The *réseau* view: figures of every structure of a shared database, aggregates only, counts masked.

A réseau account (:data:`geo.sharing.roles.RESEAU`) never sees a report: :func:`network_figures` reads, from
each structure's own tables (:mod:`geo.store.structures`), only the time, category and quartier of its reports,
counts them per structure × quartier × category × month, and masks every count below ``min_count`` (« < 3 »,
:func:`geo.sharing.privacy.mask_count`). No description, author, team, position or id is ever read.

The map gives each quartier's total over the period. A total is exact only when none of the quartier's cells is
masked: otherwise it minus the published cells would give the masked ones back. Such a quartier shows « ≥ S »
(S: the sum of its published cells) and the class of S, or « masqué » when all its cells are masked — figures
that depend on published cells only (:func:`_quartier_total`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from geo.sharing.privacy import MASKED_CLASS, count_class, mask_count
from geo.store.database import Store
from geo.store.snapshot import load_reports
from geo.store.structures import list_structures
from geo.taxonomy import Taxonomy

__all__ = ["NETWORK_COLUMNS", "READ_COLUMNS", "NetworkFigures", "network_figures"]

READ_COLUMNS: Final = ("observed_at", "category", "neighbourhood")
"""The only report columns read for the réseau."""
NETWORK_COLUMNS: Final = ("structure", "quartier", "categorie", "mois", "signalements")
"""Columns of :attr:`NetworkFigures.table` (French: they are shown and exported as they are)."""
OUTSIDE: Final = "Hors territoire"


@dataclass(frozen=True)
class NetworkFigures:
    """Masked figures of every structure for a period.

    Attributes
    ----------
    table
        One row per structure × quartier × category × month with reports, columns :data:`NETWORK_COLUMNS`;
        ``signalements`` is text (« < 3 » below ``min_count``).
    quartiers
        One row per structure × quartier of its territory: ``structure``, ``code``, ``quartier``, ``geometry``
        (WGS84), ``signalements`` (masked text) and ``classe`` (:func:`geo.sharing.privacy.count_class`).
    structures
        Names of every structure of the database, the default one first (with or without reports).
    min_count
        Counts below it are masked.
    """

    table: pd.DataFrame
    quartiers: pd.DataFrame
    structures: tuple[str, ...]
    min_count: int = 3


def _counts(store: Store, *, start: pd.Timestamp | None, end: pd.Timestamp | None, timezone: str) -> pd.DataFrame:
    """Return raw counts of one structure per quartier code × category × month (never leaves this module)."""
    # the structure's columnar snapshot (geo.store.snapshot): shared with its pages, never stale
    frame = load_reports(store, columns=READ_COLUMNS, start=start, end=end, timezone=timezone, categorical=False)
    if frame.empty:
        return pd.DataFrame({"neighbourhood": [], "category": [], "mois": [], "n": []})
    frame["mois"] = frame["observed_at"].dt.strftime("%Y-%m")
    frame["neighbourhood"] = frame["neighbourhood"].fillna("")
    return frame.groupby(["neighbourhood", "category", "mois"], observed=True).size().rename("n").reset_index()


def _quartier_total(cells: pd.Series, *, min_count: int) -> tuple[str, str]:
    """Return the published total and map class of a quartier whose cell counts are ``cells``."""
    cells = cells[cells > 0]
    published = int(cells[cells >= min_count].sum())
    if (cells < min_count).any():  # a masked cell: only what the published cells say
        if published == 0:
            return MASKED_CLASS, MASKED_CLASS
        return f"≥ {published}", count_class(published, min_count=min_count)
    return mask_count(published, min_count=min_count), count_class(published, min_count=min_count)


def network_figures(url: str, *, taxonomy: Taxonomy, start: pd.Timestamp | None = None,
                    end: pd.Timestamp | None = None, min_count: int = 3,
                    timezone: str = "Europe/Paris") -> NetworkFigures:
    """Return the masked figures of every structure of the database of ``url`` for ``[start, end)``."""
    labels = {code: cat.label for code, cat in taxonomy.categories.items()}
    rows, quartiers = [], []
    known = list_structures(url)
    for structure in known:
        store = Store(url, structure=structure.code)
        try:
            counts = _counts(store, start=start, end=end, timezone=timezone)
            territory = store.load_territory()
        finally:
            store.engine.dispose()
        names = dict(zip(territory["code"], territory["name"], strict=True))
        for r in counts.itertuples(index=False):
            rows.append({"structure": structure.name,
                         "quartier": names.get(r.neighbourhood, OUTSIDE) if r.neighbourhood else OUTSIDE,
                         "categorie": labels.get(r.category, r.category), "mois": r.mois,
                         "signalements": mask_count(r.n, min_count=min_count)})
        cells = dict(tuple(counts.groupby("neighbourhood")["n"])) if len(counts) else {}
        for t in territory.itertuples(index=False):
            total, classe = _quartier_total(cells.get(t.code, pd.Series(dtype="int64")), min_count=min_count)
            quartiers.append({"structure": structure.name, "code": t.code, "quartier": t.name,
                              "geometry": t.geometry, "signalements": total, "classe": classe})
    table = pd.DataFrame(rows, columns=list(NETWORK_COLUMNS))
    table = table.sort_values(["structure", "mois", "quartier", "categorie"], ignore_index=True)
    frame = pd.DataFrame(quartiers, columns=["structure", "code", "quartier", "geometry", "signalements", "classe"])
    return NetworkFigures(table=table, quartiers=frame, structures=tuple(s.name for s in known), min_count=min_count)
