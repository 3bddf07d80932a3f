"""Local accounts: argon2id password hashes, login throttling, sessions that expire, and the audit log.

Passwords are hashed with argon2-cffi's :class:`argon2.PasswordHasher` (argon2id, its RFC 9106 defaults);
nothing here is home-made cryptography. A session is a random token (:func:`secrets.token_urlsafe`) kept by the
user's browser session; the store keeps only its SHA-256, with an expiry fixed at login.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

import argon2
import sqlalchemy as sa

from geo.errors import InputError, VeilleError
from geo.sharing.config import SharingSettings
from geo.sharing.roles import PARTENAIRE, check_role
from geo.store.accounts_schema import audit_log, login_attempts, sessions, users
from geo.store.database import Store
from geo.store.structures import login_structure, structure_count

__all__ = ["User", "LoginRefused", "LoginThrottled", "MIN_PASSWORD_CHARS", "create_user", "count_users",
           "list_users", "get_user", "set_password", "set_active", "authenticate", "open_session",
           "session_user", "close_session", "record_action", "read_audit", "ensure_external_user",
           "check_password", "check_free_login"]

MIN_PASSWORD_CHARS = 10
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_HASHER = argon2.PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Return a hash to verify when the login does not exist (an unknown login costs as long as a wrong one)."""
    return _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A signed-in account."""

    login: str
    role: str
    partner_id: str | None = None
    display_name: str | None = None


class LoginRefused(VeilleError):
    """Wrong login or password (the message never says which)."""


class LoginThrottled(LoginRefused):
    """Too many wrong passwords for this login recently; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(f"Trop de tentatives infructueuses : réessayez dans {minutes} min.")
        self.retry_after = retry_after


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def _check_login(login: str) -> str:
    login = login.strip().lower()
    if not _LOGIN.match(login):
        raise InputError(f"identifiant attendu : 2 à 64 caractères parmi a-z 0-9 . _ @ - ; trouvé {login!r}")
    return login


def _user(row: sa.RowMapping) -> User:
    return User(login=row["login"], role=row["role"], partner_id=row["partner_id"],
                display_name=row["display_name"])


def check_password(password: str) -> str:
    """Return ``password`` if long enough for an account, else raise :class:`~geo.errors.InputError`."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"mot de passe trop court : {MIN_PASSWORD_CHARS} caractères au moins, "
                         f"{len(password)} trouvés")
    return password


def check_free_login(url: str, login: str) -> str:
    """Return ``login`` normalised if it is valid and no account of the database of ``url`` holds it.

    Raises
    ------
    InputError
        A bad login, or one already taken (in any structure of the database).
    """
    login = _check_login(login)
    holder = login_structure(url, login)
    if holder is not None:
        raise InputError(f"l'identifiant {login!r} existe déjà"
                         + (f" (structure {holder!r})" if structure_count(url) > 1 else ""))
    return login


def create_user(store: Store, login: str, password: str | None, *, role: str, partner_id: str | None = None,
                display_name: str | None = None, created_by: str | None = None, now: float | None = None) -> User:
    """Create an account and return it.

    Parameters
    ----------
    password
        At least :data:`MIN_PASSWORD_CHARS` characters; ``None`` only for accounts signing in through OpenID
        Connect.
    role
        One of :data:`geo.sharing.roles.ROLES`; ``partenaire`` needs ``partner_id``.

    Raises
    ------
    InputError
        Bad login, short password, unknown role, missing partner, or a login already taken.
    """
    login = _check_login(login)
    try:
        check_role(role)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if role == PARTENAIRE and not partner_id:
        raise InputError("un compte « partenaire » doit être rattaché à un partenaire (--partner ID)")
    if role != PARTENAIRE and partner_id:
        raise InputError(f"seul un compte « partenaire » se rattache à un partenaire ; rôle trouvé : {role!r}")
    if password is not None:
        check_password(password)
    if store.structure is not None or structure_count(store) > 1:  # one login, one structure: sign-in finds it
        holder = login_structure(store.url, login)
        if holder is not None:
            raise InputError(f"l'identifiant {login!r} existe déjà (structure {holder!r})")
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        if conn.execute(sa.select(users.c.login).where(users.c.login == login)).first() is not None:
            raise InputError(f"l'identifiant {login!r} existe déjà")
        conn.execute(users.insert().values(
            login=login, password_hash=None if password is None else _HASHER.hash(password), role=role,
            partner_id=partner_id, display_name=display_name, active=True, created_at=_now(now),
            created_by=created_by,
        ))
        conn.execute(audit_log.insert().values(at=_now(now), login=created_by or "cli", action="user_created",
                                               detail=f"{login} ({role}{', ' + partner_id if partner_id else ''})"))
    return User(login=login, role=role, partner_id=partner_id, display_name=display_name)


def ensure_external_user(store: Store, login: str, *, role: str, partner_id: str | None = None,
                         display_name: str | None = None) -> User:
    """Return the account of someone signed in through OpenID Connect, creating or updating it from the claims."""
    login = _check_login(login)
    check_role(role)
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        row = conn.execute(sa.select(users).where(users.c.login == login)).mappings().first()
        if row is None:
            conn.execute(users.insert().values(login=login, password_hash=None, role=role, partner_id=partner_id,
                                               display_name=display_name, active=True, created_at=_now(None),
                                               created_by="oidc"))
        elif not row["active"]:
            raise LoginRefused("Ce compte est désactivé.")
        elif (row["role"], row["partner_id"]) != (role, partner_id):
            conn.execute(users.update().where(users.c.login == login).values(role=role, partner_id=partner_id))
    return User(login=login, role=role, partner_id=partner_id, display_name=display_name)


def count_users(store: Store) -> int:
    """Return the number of active accounts."""
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(users).where(users.c.active)).scalar())


def list_users(store: Store) -> list[dict]:
    """Return every account (no password hash), by login."""
    cols = [users.c.login, users.c.role, users.c.partner_id, users.c.display_name, users.c.active,
            users.c.created_at, users.c.created_by]
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(*cols).order_by(users.c.login)).mappings()]


def get_user(store: Store, login: str) -> User | None:
    """Return an active account, or ``None``."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.login == login.strip().lower(), users.c.active)
                           ).mappings().first()
    return None if row is None else _user(row)


def set_password(store: Store, login: str, password: str, *, by: str) -> None:
    """Replace an account's password and end its sessions."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"mot de passe trop court : {MIN_PASSWORD_CHARS} caractères au moins")
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        done = conn.execute(users.update().where(users.c.login == login).values(password_hash=_HASHER.hash(password)))
        if not done.rowcount:
            raise InputError(f"identifiant inconnu : {login!r}")
        conn.execute(sessions.delete().where(sessions.c.login == login))
        conn.execute(audit_log.insert().values(at=_now(None), login=by, action="password_set", detail=login))


def set_active(store: Store, login: str, active: bool, *, by: str) -> None:
    """Enable or disable an account; disabling ends its sessions."""
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        done = conn.execute(users.update().where(users.c.login == login).values(active=active))
        if not done.rowcount:
            raise InputError(f"identifiant inconnu : {login!r}")
        if not active:
            conn.execute(sessions.delete().where(sessions.c.login == login))
        conn.execute(audit_log.insert().values(at=_now(None), login=by,
                                               action="user_enabled" if active else "user_disabled", detail=login))


def _throttle_wait(conn: sa.Connection, login: str, now: int, settings: SharingSettings) -> int:
    """Return the seconds ``login`` must wait before trying again (0 when it may try now)."""
    window = int(settings.failure_window_minutes * 60)
    last_success = conn.execute(sa.select(sa.func.max(login_attempts.c.at)).where(
        login_attempts.c.login == login, login_attempts.c.success)).scalar()
    since = max(now - window, (last_success or 0) + 1)
    failures = conn.execute(sa.select(login_attempts.c.at).where(
        login_attempts.c.login == login, sa.not_(login_attempts.c.success), login_attempts.c.at >= since,
    ).order_by(login_attempts.c.at.desc()).limit(settings.max_failures)).scalars().all()
    if len(failures) < settings.max_failures:
        return 0
    # locked until the oldest of the last ``max_failures`` failures leaves the window
    return max(1, failures[-1] + window - now)


def authenticate(store: Store, login: str, password: str, *, settings: SharingSettings,
                 now: float | None = None) -> User:
    """Return the account whose login and password these are.

    Raises
    ------
    LoginThrottled
        After ``settings.max_failures`` wrong passwords within the window, even for the right password.
    LoginRefused
        Unknown login, disabled account or wrong password (one message for all three).
    """
    stamp = _now(now)
    login = login.strip().lower()[:64]
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        wait = _throttle_wait(conn, login, stamp, settings)
        if wait:
            raise LoginThrottled(wait)
        row = conn.execute(sa.select(users).where(users.c.login == login)).mappings().first()
        ok = False
        try:
            ok = _HASHER.verify(row["password_hash"] if row is not None and row["password_hash"] else _dummy_hash(),
                                password)
        except argon2.exceptions.VerificationError:
            ok = False
        except argon2.exceptions.InvalidHashError:
            ok = False
        ok = ok and row is not None and bool(row["active"]) and bool(row["password_hash"])
        conn.execute(login_attempts.insert().values(login=login, at=stamp, success=ok))
        if ok and _HASHER.check_needs_rehash(row["password_hash"]):
            conn.execute(users.update().where(users.c.login == login).values(password_hash=_HASHER.hash(password)))
    if not ok:
        raise LoginRefused("Identifiant ou mot de passe incorrect.")
    return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(store: Store, user: User, *, settings: SharingSettings, now: float | None = None) -> str:
    """Start a session for ``user`` and return its token (to keep in the user's browser session only)."""
    stamp = _now(now)
    token = secrets.token_urlsafe(32)
    with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
        conn.execute(sessions.delete().where(sessions.c.expires_at <= stamp))
        conn.execute(sessions.insert().values(token_hash=_digest(token), login=user.login, created_at=stamp,
                                              last_seen=stamp, expires_at=stamp + int(settings.session_minutes * 60)))
    return token


def session_user(store: Store, token: str | None, *, now: float | None = None) -> User | None:
    """Return the account of a live session, or ``None`` when the token is unknown, expired or disabled."""
    if not token:
        return None
    stamp = _now(now)
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(users, sessions.c.expires_at).join(sessions, sessions.c.login == users.c.login)
            .where(sessions.c.token_hash == _digest(token))
        ).mappings().first()
    if row is None or row["expires_at"] <= stamp or not row["active"]:
        return None
    return _user(row)


def close_session(store: Store, token: str | None) -> None:
    """End a session (log out)."""
    if token:
        with store.engine.begin() as conn:  # no data-version bump: reports are unchanged
            conn.execute(sessions.delete().where(sessions.c.token_hash == _digest(token)))


def record_action(store: Store, login: str, action: str, detail: str | None = None, *,
                  conn: sa.Connection | None = None, now: float | None = None) -> None:
    """Record that ``login`` did ``action`` (inside ``conn``'s transaction when given)."""
    stmt = audit_log.insert().values(at=_now(now), login=login, action=action, detail=detail)
    if conn is not None:
        conn.execute(stmt)
        return
    with store.engine.begin() as own:
        own.execute(stmt)


def read_audit(store: Store, *, limit: int = 200) -> list[dict]:
    """Return the latest audit entries, newest first."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()
        return [dict(r) for r in rows]
