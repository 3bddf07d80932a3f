"""Who receives an alert: the partners registry and routing table of :mod:`geo.workflow`, read once per run.

Routing is the workflow's (category × quartier → partner, ``*`` for the category's default); this module only
keeps both tables in memory so that a detection run routes hundreds of alerts and reports without a query each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.store.database import Store
from geo.workflow import Partner, read_partners, read_routing
from geo.workflow.routing import ROUTING_COLUMNS

__all__ = ["Partner", "PartnerDirectory", "load_partner_directory"]

DEFAULT_NEIGHBOURHOOD = "*"


@dataclass
class PartnerDirectory:
    """Partners by id, and the routing category × quartier → partner (``*`` = the category's default)."""

    partners: dict[str, Partner] = field(default_factory=dict)
    routes: dict[tuple[str, str], str] = field(default_factory=dict)

    def route(self, category: str, neighbourhood: str | None) -> str | None:
        """Return the partner id for a category in a quartier (its own route, else the category's default)."""
        if neighbourhood is not None and (category, neighbourhood) in self.routes:
            return self.routes[(category, neighbourhood)]
        return self.routes.get((category, DEFAULT_NEIGHBOURHOOD))

    def get(self, partner_id: str | None) -> Partner | None:
        """Return a partner by id, or ``None``."""
        return self.partners.get(partner_id) if partner_id else None


def load_partner_directory(store: Store) -> PartnerDirectory:
    """Read the stored partners registry and routing table (``python -m geo partners load``)."""
    routes = read_routing(store)
    return PartnerDirectory(
        partners={p.id: p for p in read_partners(store)},
        routes={(c, n): p for c, n, p in routes[list(ROUTING_COLUMNS)].itertuples(index=False)},
    )
