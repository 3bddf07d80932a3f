"""The demonstration's accounts: one per role, documented in the README (never for real use)."""

from __future__ import annotations

from typing import Final

from geo.sharing import accounts
from geo.store.database import Store
from geo.workflow.partners import get_partner

__all__ = ["DEMO_ACCOUNTS", "create_demo_accounts"]

DEMO_ACCOUNTS: Final = (
    # login, role, partner, password
    ("coordination", "coordinateur", None, "demo-coordination"),
    ("terrain", "equipe", None, "demo-terrain-2026"),
    ("mairie", "partenaire", "ville-proprete", "demo-partenaire"),
)


def create_demo_accounts(store: Store) -> list[str]:
    """Create the demo accounts when the store has no account yet; return the logins created.

    In a structure other than the default one (:mod:`geo.store.structures`), each login ends with
    ``.CODE``: logins are unique across the structures of a database.
    """
    if accounts.count_users(store):
        return []
    created = []
    for base, role, partner, password in DEMO_ACCOUNTS:
        if partner is not None and get_partner(store, partner) is None:
            continue
        login = f"{base}.{store.structure}" if store.structure else base
        accounts.create_user(store, login, password, role=role, partner_id=partner, created_by="demo",
                             display_name=f"Démo — {role}")
        created.append(login)
    return created
