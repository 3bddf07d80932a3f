"""Who is using the app: login form (or ``st.login`` with OpenID Connect), first coordinator, page guards.

``dashboard.py`` calls :func:`require_user` once per run (it returns the signed-in user or stops the script on
the login form) and registers only :func:`allowed_pages`; every page also calls :func:`guard` with its own name,
so a page opened by URL is refused to a role that may not open it. Other pages get the user with
:func:`current_user` and record what they change with :func:`record`.

``VEILLE_AUTH=off`` skips all this (everyone is the coordinator ``local``): only for one person on their own
machine, tests and demos.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from geo.errors import InputError
from geo.settings import load_settings
from geo.sharing import accounts, oidc
from geo.sharing.accounts import LoginRefused, User
from geo.sharing.config import SharingSettings, load_sharing_settings
from geo.sharing.oidc import role_from_claims
from geo.sharing.roles import COORDINATEUR, ROLES, may_do, may_open
from geo.store.structures import split_url
from ui import loaders, structures

__all__ = ["LOCAL_USER", "sharing_settings", "require_user", "current_user", "guard", "allowed_pages", "record",
           "may", "who", "logout"]

LOCAL_USER = User(login="local", role=COORDINATEUR, display_name="Utilisation locale (sans connexion)")
_TOKEN, _USER, _NOTICE, _OIDC_SINCE = "auth_jeton", "auth_utilisateur", "auth_message", "auth_oidc_depuis"
_OIDC_STRUCTURE = "auth_oidc_structure"  # (login, structure code) found at this session's OpenID Connect sign-in


def sharing_settings() -> SharingSettings:
    """Return the accounts/privacy settings (read from the environment on each call: cheap)."""
    return load_sharing_settings()


def _oidc_mapping() -> Mapping | None:
    """Return the claims mapping when an OpenID Connect provider is configured in the secrets, else ``None``."""
    try:
        if "auth" in st.secrets and "veille_oidc" in st.secrets:
            return st.secrets["veille_oidc"]
    except (FileNotFoundError, StreamlitSecretNotFoundError):  # no secrets file at all
        return None
    return None


def _oidc_refused(message: str) -> None:
    st.error(message)
    st.button("Se déconnecter", on_click=_oidc_logout)
    st.stop()


def _oidc_logout() -> None:
    """End this browser session's OpenID Connect login (and forget its structure)."""
    st.session_state.pop(_OIDC_STRUCTURE, None)
    st.session_state.pop(_USER, None)
    _set_structure(None)
    st.logout()


def _oidc_user(mapping: Mapping, settings: SharingSettings) -> User:
    if not st.user.is_logged_in:
        st.title("Veille territoriale")
        st.button("Se connecter", type="primary", on_click=st.login)
        st.stop()
    since = st.session_state.setdefault(_OIDC_SINCE, time.time())
    if time.time() - since > settings.session_minutes * 60:
        st.session_state.pop(_OIDC_SINCE, None)
        _oidc_logout()
    claims = dict(st.user.to_dict())
    found = role_from_claims(claims, mapping)
    if found is None:
        _oidc_refused(oidc.NO_ROLE)
    role, partner = found
    try:
        login = oidc.login_from_claims(claims)
        # several structures in the database: the account's own one (found once per session), else the one the
        # claims name — as a password sign-in opens the account's structure
        cached = st.session_state.get(_OIDC_STRUCTURE)
        if cached is None or cached[0] != login:
            cached = (login, oidc.structure_for(split_url(load_settings().db_url)[0], login, claims,
                                                mapping))
            st.session_state[_OIDC_STRUCTURE] = cached
        _set_structure(cached[1])
        return accounts.ensure_external_user(loaders.store(), login, role=role, partner_id=partner,
                                             display_name=claims.get("name"))
    except (LoginRefused, InputError) as exc:
        _set_structure(None)
        st.session_state.pop(_OIDC_STRUCTURE, None)
        _oidc_refused(f"Connexion refusée : {exc}")
        raise  # not reached: st.stop() ends the run


def _first_coordinator() -> None:
    st.title("Veille territoriale — premier démarrage")
    st.info("Aucun compte n'existe encore. Créez le compte de la coordination : il pourra ensuite créer ceux "
            "des équipes et des partenaires (page *Comptes*).")
    with st.form("premier_compte"):
        login = st.text_input("Identifiant", key="premier_identifiant")
        password = st.text_input("Mot de passe", type="password", key="premier_mot_de_passe",
                                 help=f"{accounts.MIN_PASSWORD_CHARS} caractères au moins")
        again = st.text_input("Mot de passe (encore)", type="password", key="premier_mot_de_passe_bis")
        if st.form_submit_button("Créer le compte coordinateur", type="primary"):
            if password != again:
                st.error("Les deux mots de passe diffèrent.")
                return
            try:
                if accounts.count_users(loaders.store()):  # someone was quicker
                    st.rerun()
                user = accounts.create_user(loaders.store(), login, password, role=COORDINATEUR,
                                            created_by="premier-demarrage")
            except InputError as exc:
                st.error(str(exc))
                return
            _sign_in(user)


def _sign_in(user: User) -> None:
    st.session_state[_TOKEN] = accounts.open_session(loaders.store(), user, settings=sharing_settings())
    st.session_state.pop(_NOTICE, None)
    st.rerun()


def _login_form() -> None:
    st.title("Veille territoriale — connexion")
    notice = st.session_state.get(_NOTICE)
    if notice:
        st.warning(notice)
    with st.form("connexion"):
        login = st.text_input("Identifiant", key="connexion_identifiant")
        password = st.text_input("Mot de passe", type="password", key="connexion_mot_de_passe")
        if st.form_submit_button("Se connecter", type="primary"):
            # several structures in the database: the account's own one holds its password and its data
            _set_structure(structures.structure_of_login(login))
            try:
                user = accounts.authenticate(loaders.store(), login, password, settings=sharing_settings())
            except LoginRefused as exc:
                _set_structure(None)
                st.error(str(exc))
                return
            _sign_in(user)


def _set_structure(code: str | None) -> None:
    """Make ``code`` the structure this browser session reads and writes (``None``: the default one)."""
    if code is None:
        st.session_state.pop(loaders.STRUCTURE_KEY, None)
    else:
        st.session_state[loaders.STRUCTURE_KEY] = code


def logout() -> None:
    """End this browser session's login."""
    accounts.close_session(loaders.store(), st.session_state.pop(_TOKEN, None))
    st.session_state.pop(_USER, None)
    _set_structure(None)


def require_user() -> User:
    """Return the signed-in user, or draw the login (or first-coordinator) form and stop the script."""
    settings = sharing_settings()
    if not settings.auth_enabled:
        st.session_state[_USER] = LOCAL_USER
        return LOCAL_USER
    if get_script_run_ctx() is None:
        # Not run by Streamlit (bare mode: ``python dashboard.py``, or a multiprocessing child re-running the
        # entry script): st.stop() does nothing there and nothing reaches any browser; end the script quietly.
        return LOCAL_USER
    mapping = _oidc_mapping()
    if mapping is not None:
        user = _oidc_user(mapping, settings)
    else:
        token = st.session_state.get(_TOKEN)
        user = accounts.session_user(loaders.store(), token)
        if user is None:
            st.session_state.pop(_USER, None)
            _set_structure(None)
            if token is not None:
                st.session_state.pop(_TOKEN, None)
                st.session_state[_NOTICE] = "Votre session a expiré : reconnectez-vous."
            form = _first_coordinator if accounts.count_users(loaders.store()) == 0 else _login_form
            # the form as the only page: no other page is registered (nor listed) until someone signs in
            st.navigation([st.Page(form, title="Connexion", url_path="connexion")], position="hidden").run()
            st.stop()
    st.session_state[_USER] = user
    with st.sidebar:
        st.caption(f"Connecté : **{user.display_name or user.login}** — {ROLES[user.role].split(' (')[0]}")
        if structures.several():  # never with a single structure (every SQLite store)
            st.caption(f"Structure : **{structures.current().name}**")
        if mapping is None:
            st.button("Se déconnecter", key="auth_deconnexion", on_click=logout)
        else:
            st.button("Se déconnecter", key="auth_deconnexion", on_click=_oidc_logout)
    return user


def current_user() -> User | None:
    """Return the user signed in for this run (set by :func:`require_user`), or ``None``."""
    return st.session_state.get(_USER)


def who() -> str | None:
    """Return the signed-in account's login, or ``None`` without sign-in (``VEILLE_AUTH=off``)."""
    user = current_user()
    return user.login if user is not None and user != LOCAL_USER else None


def may(action: str) -> bool:
    """Return whether the current user may do ``action`` (see :data:`geo.sharing.roles.ACTION_ROLES`)."""
    user = current_user()
    return user is not None and may_do(user.role, action)


def _checked_user() -> User | None:
    """Return this run's user, checked again against the store (expired or disabled: ``None``)."""
    settings = sharing_settings()
    if not settings.auth_enabled:
        return LOCAL_USER
    user = current_user()
    if user is None or _oidc_mapping() is not None:
        return user
    return accounts.session_user(loaders.store(), st.session_state.get(_TOKEN))


def guard(page: str) -> User:
    """Return the current user if their role may open ``page`` (a page file's stem); else refuse and stop.

    The session is checked again here, so a page run on its own (not through the dashboard) is guarded too.
    """
    user = _checked_user() or require_user()
    if not may_open(user.role, page):
        st.error("Accès refusé : votre rôle ne permet pas d'ouvrir cette page.")
        st.stop()
    return user


def _page_name(page: st.Page) -> str:
    source = getattr(page, "_page", None)
    if isinstance(source, str | Path):
        return Path(str(source)).stem
    try:
        return page.url_path
    except AttributeError:  # a page built outside a Streamlit run has no path: opened by nobody
        return ""


def allowed_pages(pages: Sequence[st.Page] | Mapping[str, Sequence[st.Page]],
                  user: User) -> list[st.Page] | dict[str, list[st.Page]]:
    """Return the navigation's pages (a list, or sections of pages) that ``user`` may open (empty sections dropped)."""
    if not isinstance(pages, Mapping):
        return [p for p in pages if may_open(user.role, _page_name(p))]
    kept = {section: [p for p in items if may_open(user.role, _page_name(p))] for section, items in pages.items()}
    return {section: items for section, items in kept.items() if items}


def record(action: str, detail: str | None = None) -> None:
    """Record that the current user did ``action`` (data changed)."""
    user = current_user()
    accounts.record_action(loaders.store(), user.login if user else "inconnu", action, detail)
