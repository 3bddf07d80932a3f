"""Roles of people signed in through an OpenID Connect provider, from a mapping of the provider's claims.

The mapping lives in Streamlit's secrets beside the ``[auth]`` section that ``st.login`` reads::

    [veille_oidc]
    role_claim = "groups"              # claim holding a string or a list of strings
    partner_claim = "groups"           # (optional) claim naming the partner organisation
    [veille_oidc.roles]                # claim value -> role
    "veille-coordination" = "coordinateur"
    "veille-equipe" = "equipe"
    "veille-partenaires" = "partenaire"
    [veille_oidc.partners]             # claim value -> partner id
    "ville-de-dijon" = "ville"

Someone whose claims map to no role is refused; the strongest role wins when several match.
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.sharing.roles import COORDINATEUR, EQUIPE, PARTENAIRE, check_role

__all__ = ["role_from_claims"]

_STRENGTH = {COORDINATEUR: 3, EQUIPE: 2, PARTENAIRE: 1}


def _values(claims: Mapping, name: str | None) -> list[str]:
    if not name:
        return []
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def role_from_claims(claims: Mapping, mapping: Mapping) -> tuple[str, str | None] | None:
    """Return ``(role, partner_id)`` for these claims, or ``None`` when they map to no usable role.

    A ``partenaire`` also needs a partner from ``mapping["partners"]``; without one, ``None``.
    """
    roles = mapping.get("roles", {})
    found = [check_role(roles[v]) for v in _values(claims, mapping.get("role_claim", "groups")) if v in roles]
    if not found:
        return None
    role = max(found, key=_STRENGTH.__getitem__)
    if role != PARTENAIRE:
        return role, None
    partners = mapping.get("partners", {})
    ids = [partners[v] for v in _values(claims, mapping.get("partner_claim", mapping.get("role_claim", "groups")))
           if v in partners]
    return (role, ids[0]) if ids else None
