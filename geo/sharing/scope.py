"""A partner's scope: the categories and quartiers whose reports it may see.

Until the partners registry and routing table exist (``geo.workflow``), a partner is one of the taxonomy's
partner types (``ville``, ``bailleur``, ``transport``…): it sees the categories whose default partner type it
is, on the whole territory.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.errors import InputError
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["PartnerScope", "PARTNER_NAMES", "list_partners", "partner_scope"]

PARTNER_NAMES = {
    "ville": "Ville", "metropole": "Métropole", "bailleur": "Bailleur social", "transport": "Réseau de transport",
    "reseaux": "Réseaux d'énergie", "police_municipale": "Police municipale", "ccas": "CCAS",
}


@dataclass(frozen=True)
class PartnerScope:
    """What one partner may see.

    Attributes
    ----------
    partner_id, name
        The partner.
    categories
        Category codes it is responsible for (nothing else is ever read for it).
    neighbourhoods
        Quartier codes it covers; ``None`` for the whole territory.
    """

    partner_id: str
    name: str
    categories: frozenset[str]
    neighbourhoods: frozenset[str] | None = None


def list_partners(store: Store, *, taxonomy: Taxonomy) -> dict[str, str]:
    """Return partner id -> name, for the partners that have at least one category."""
    types = sorted({c.partner_type for c in taxonomy.categories.values() if c.partner_type})
    return {t: PARTNER_NAMES.get(t, t) for t in types}


def partner_scope(store: Store, partner_id: str, *, taxonomy: Taxonomy) -> PartnerScope:
    """Return a partner's scope.

    Raises
    ------
    InputError
        When no partner has this id.
    """
    partners = list_partners(store, taxonomy=taxonomy)
    if partner_id not in partners:
        raise InputError(f"partenaire inconnu {partner_id!r} ; attendu l'un de : {', '.join(partners)}")
    categories = frozenset(c.code for c in taxonomy.categories.values() if c.partner_type == partner_id)
    return PartnerScope(partner_id=partner_id, name=partners[partner_id], categories=categories)
