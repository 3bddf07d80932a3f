"""A partner's scope, derived from the partners registry and the routing table (:mod:`geo.workflow`).

A partner sees exactly the reports the routing table sends to it: the (category, quartier) pairs whose route
(a quartier's own route, else the category's ``*`` default) names it. Reports outside the territory follow the
default route.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.errors import InputError
from geo.store.database import Store
from geo.taxonomy import Taxonomy
from geo.workflow.partners import get_partner, read_partners
from geo.workflow.routing import read_routing, route_many

__all__ = ["PartnerScope", "list_partners", "partner_scope", "scope_keys", "uniform_places"]

_SEP = "\x1f"


@dataclass(frozen=True)
class PartnerScope:
    """What one partner may see.

    Attributes
    ----------
    partner_id, name
        The partner.
    categories
        Category codes routed to it in at least one place (nothing else is ever read for it).
    neighbourhoods
        Quartier codes where at least one category is routed to it; ``None`` for the whole territory.
    pairs
        The routed ``(category, quartier)`` pairs (quartier ``None``: outside the territory), as keys of
        :func:`scope_keys`; ``None`` to keep every report of ``categories`` (a coordinator's bulletin).
    """

    partner_id: str
    name: str
    categories: frozenset[str]
    neighbourhoods: frozenset[str] | None = None
    pairs: frozenset[str] | None = None


def scope_keys(categories: pd.Series, neighbourhoods: pd.Series) -> pd.Series:
    """Return the key of each report's (category, quartier) pair, as :attr:`PartnerScope.pairs` holds them."""
    places = neighbourhoods.astype(object).where(neighbourhoods.notna(), "")
    return categories.astype(str) + _SEP + places.astype(str)


def uniform_places(scope: PartnerScope) -> bool:
    """Return whether every category of ``scope`` is routed to it in the same places.

    When not, an item's category tells something of its quartier (a category routed to the partner in one
    quartier only places the item there).
    """
    if scope.pairs is None:
        return True
    places: dict[str, set[str]] = {}
    for key in scope.pairs:
        category, _, place = key.partition(_SEP)
        places.setdefault(category, set()).add(place)
    return len({frozenset(p) for p in places.values()}) <= 1


def list_partners(store: Store, *, taxonomy: Taxonomy | None = None) -> dict[str, str]:
    """Return partner id -> name, from the registry (empty until ``python -m geo partners load``)."""
    return {p.id: p.name for p in read_partners(store)}


def partner_scope(store: Store, partner_id: str, *, taxonomy: Taxonomy | None = None) -> PartnerScope:
    """Return a partner's scope from the current routing table.

    Raises
    ------
    InputError
        When the registry has no partner with this id.
    """
    partner = get_partner(store, partner_id)
    if partner is None:
        known = ", ".join(list_partners(store)) or "aucun (python -m geo partners load PARTENAIRES.csv)"
        raise InputError(f"partenaire inconnu {partner_id!r} ; partenaires enregistrés : {known}")
    routes = read_routing(store)
    categories = sorted(set(routes.loc[routes["partner"] == partner_id, "category"]))
    codes: list[str | None] = [*store.load_territory()["code"], None]
    cross = pd.DataFrame([(c, q) for c in categories for q in codes], columns=["category", "neighbourhood"],
                         dtype=object)
    if cross.empty:
        return PartnerScope(partner_id=partner_id, name=partner.name, categories=frozenset(),
                            neighbourhoods=frozenset(), pairs=frozenset())
    routed = route_many(store, cross["category"], cross["neighbourhood"], routes=routes)
    mine = cross[(routed == partner_id).to_numpy()]
    return PartnerScope(
        partner_id=partner_id, name=partner.name, categories=frozenset(mine["category"]),
        neighbourhoods=frozenset(q for q in mine["neighbourhood"] if q is not None),
        pairs=frozenset(scope_keys(mine["category"], mine["neighbourhood"])),
    )
