"""The roles and what each may open or do."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from geo.errors import VeilleError

__all__ = ["ROLES", "COORDINATEUR", "EQUIPE", "PARTENAIRE", "RESEAU", "PAGE_ROLES", "ACTION_ROLES", "AccessDenied",
           "check_role", "may_open", "may_do", "pages_for"]

COORDINATEUR: Final = "coordinateur"
EQUIPE: Final = "equipe"
PARTENAIRE: Final = "partenaire"
RESEAU: Final = "reseau"
ROLES: Final[Mapping[str, str]] = MappingProxyType({
    COORDINATEUR: "Coordination (tout, administration)",
    EQUIPE: "Équipe de terrain (saisie, cartes, tournées)",
    PARTENAIRE: "Partenaire (lecture seule, son périmètre, sans donnée personnelle)",
    # several structures in one database (geo.store.structures): figures of them all, never a report
    RESEAU: "Réseau (chiffres agrégés de tous les membres, sans donnée personnelle)",
})

PAGE_ROLES: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "accueil": frozenset({COORDINATEUR, EQUIPE}),
    "carte": frozenset({COORDINATEUR, EQUIPE}),
    "tendances": frozenset({COORDINATEUR, EQUIPE}),
    "signalements": frozenset({COORDINATEUR, EQUIPE}),
    "alertes": frozenset({COORDINATEUR}),  # acknowledging alerts and sending notes de veille: coordination
    "tournees": frozenset({COORDINATEUR, EQUIPE}),  # teams see and print their rounds
    "partenaires": frozenset({COORDINATEUR}),  # the registry and the routing table: coordinators only
    "bilan": frozenset({COORDINATEUR}),
    "saisie": frozenset({COORDINATEUR, EQUIPE}),
    "import_donnees": frozenset({COORDINATEUR}),
    "partage": frozenset({COORDINATEUR}),
    "comptes": frozenset({COORDINATEUR}),
    "partenaire": frozenset({PARTENAIRE}),
    "reseau": frozenset({RESEAU}),
})
"""Page (file name without ``.py``) -> roles that may open it. A page not listed is opened by coordinators only."""

ACTION_ROLES: Final[Mapping[str, frozenset[str]]] = MappingProxyType({
    "manage_users": frozenset({COORDINATEUR}),
    "edit_routing": frozenset({COORDINATEUR}),
    "import": frozenset({COORDINATEUR}),
    "enter_report": frozenset({COORDINATEUR, EQUIPE}),
    "export_full": frozenset({COORDINATEUR}),
    "export_partner": frozenset({COORDINATEUR, PARTENAIRE}),
    "retention": frozenset({COORDINATEUR}),
})
"""Action -> roles allowed to do it."""


class AccessDenied(VeilleError, PermissionError):
    """The account's role does not allow this page or action."""


def check_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, else raise ``ValueError`` naming the expected ones."""
    if role not in ROLES:
        raise ValueError(f"rôle inconnu {role!r} ; attendu : {', '.join(ROLES)}")
    return role


def may_open(role: str | None, page: str) -> bool:
    """Return whether ``role`` may open ``page`` (a page file's stem)."""
    return role is not None and role in PAGE_ROLES.get(page, frozenset({COORDINATEUR}))


def may_do(role: str | None, action: str) -> bool:
    """Return whether ``role`` may do ``action`` (a key of :data:`ACTION_ROLES`)."""
    return role is not None and role in ACTION_ROLES.get(action, frozenset({COORDINATEUR}))


def pages_for(role: str | None, pages: list[str]) -> list[str]:
    """Return the ``pages`` that ``role`` may open, in order."""
    return [p for p in pages if may_open(role, p)]
