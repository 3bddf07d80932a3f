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

Several structures in the database (PostgreSQL): someone whose login already has an account opens that account's
structure, as with a password. Someone signing in for the first time gets an account in the structure their
claims name, when the mapping says which::

    [veille_oidc]
    structure_claim = "groups"         # (optional) claim naming the structure; default: role_claim
    default_structure = "principale"   # (optional) for claims naming none; without it they are refused
    [veille_oidc.structures]           # claim value -> structure code
    "pimms-quetigny" = "quetigny"

Without a ``[veille_oidc.structures]`` table, first-time accounts go to the default structure (as with a single
structure: a single structure is never named, and the table is then ignored).
"""

from __future__ import annotations

from collections.abc import Mapping

from geo.sharing import accounts
from geo.sharing.accounts import LoginRefused, User
from geo.sharing.roles import COORDINATEUR, EQUIPE, PARTENAIRE, check_role
from geo.store.database import Store
from geo.store.structures import list_structures, login_structure, split_url

__all__ = ["role_from_claims", "login_from_claims", "structure_for", "sign_in"]

NO_ROLE = "Votre compte n'a aucun rôle dans Veille territoriale : demandez-le à la coordination."

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


def login_from_claims(claims: Mapping) -> str:
    """Return the login of the account of these claims: the e-mail address, else the subject."""
    login = claims.get("email") or claims.get("sub")
    if not login:
        raise LoginRefused("Le fournisseur d'identité n'a donné ni adresse électronique ni identifiant : "
                           "connexion impossible.")
    return str(login).strip().lower()


def structure_for(url: str, login: str, claims: Mapping, mapping: Mapping) -> str | None:
    """Return the code of the structure ``login`` signs in to (``None``: the default one).

    An existing account's own structure wins (as for a password sign-in); otherwise the structure the claims
    name through ``mapping["structures"]``, else ``mapping["default_structure"]``, else — when the mapping has
    no ``structures`` table — the default structure.

    Raises
    ------
    LoginRefused
        The claims name no structure (or several) while the mapping has a ``structures`` table, or name one the
        database does not have.
    """
    known = list_structures(split_url(url)[0])
    if len(known) == 1:  # every SQLite store: one structure, never named
        return None
    holder = login_structure(url, login)
    if holder is not None:
        return None if holder == known[0].code else holder
    table = mapping.get("structures")
    if table is None:
        chosen = {str(mapping.get("default_structure") or known[0].code).strip().lower()}
    else:
        name = mapping.get("structure_claim", mapping.get("role_claim", "groups"))
        chosen = {str(table[v]).strip().lower() for v in _values(claims, name) if v in table}
        if not chosen and mapping.get("default_structure"):
            chosen = {str(mapping["default_structure"]).strip().lower()}
    if not chosen:
        raise LoginRefused("Votre compte n'est rattaché à aucune structure de Veille territoriale : demandez-le "
                           "à la coordination.")
    if len(chosen) > 1:
        raise LoginRefused(f"Votre compte est rattaché à plusieurs structures ({', '.join(sorted(chosen))}) : "
                           "un compte n'en ouvre qu'une ; demandez à la coordination de n'en garder qu'une.")
    [code] = chosen
    codes = {s.code for s in known}
    if code not in codes:
        raise LoginRefused(f"La structure {code!r} donnée par le fournisseur d'identité n'existe pas dans cette "
                           f"base (structures : {', '.join(sorted(codes))}) : signalez-le à la coordination.")
    return None if code == known[0].code else code


def sign_in(url: str, claims: Mapping, mapping: Mapping) -> tuple[User, str | None]:
    """Return the account of someone signed in through OpenID Connect and the code of its structure.

    The account is created or updated from the claims (:func:`geo.sharing.accounts.ensure_external_user`) in
    the structure :func:`structure_for` gives (``None``: the default one).

    Raises
    ------
    LoginRefused
        No role, no login, no structure for these claims, or a disabled account.
    """
    found = role_from_claims(claims, mapping)
    if found is None:
        raise LoginRefused(NO_ROLE)
    role, partner = found
    login = login_from_claims(claims)
    code = structure_for(url, login, claims, mapping)
    store = Store(split_url(url)[0], structure=code)
    try:
        user = accounts.ensure_external_user(store, login, role=role, partner_id=partner,
                                             display_name=claims.get("name"))
    finally:
        store.engine.dispose()
    return user, code
