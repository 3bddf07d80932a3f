"""Several structures (a Pimms, a mediation service) in one PostgreSQL database, each seeing only its own data.

Every report, territory, partner, routing rule, account, alert and patrol plan belongs to one structure. The
default structure's tables are the database's own (an SQLite file serves that one structure and nothing here
ever shows). On PostgreSQL each further structure has the very same tables in a schema of its own
(``veille_<code>``), migrated like the default ones: a :class:`~geo.store.database.Store` opened for a structure
reaches only that schema (its connections' ``search_path`` starts there, and SQLAlchemy statements name it), so
every reader and writer of the package — whatever query it runs — is confined to the structure's rows, report
ids of two structures never collide, and the Parquet snapshot is built per structure.

A structure is chosen by the store URL: ``postgresql+psycopg://…/veille?structure=CODE`` (what
``python -m geo --structure CODE`` and a signed-in user's session build with :func:`scoped_url`), or by
``Store(url, structure=CODE)``. Cross-structure figures (the *réseau* role) open one store per structure and
read aggregates only (:mod:`geo.sharing.network_view`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from geo.errors import InputError
from geo.store.structures_schema import DEFAULT_CODE, DEFAULT_ID, DEFAULT_NAME, structures

if TYPE_CHECKING:
    from geo.store.database import Store

__all__ = ["Structure", "URL_PARAMETER", "split_url", "scoped_url", "schema_for", "check_code", "list_structures",
           "get_structure", "check_new_structure", "add_structure", "discard_structure", "structure_count",
           "login_structure", "scoped_connect", "fresh_data_version"]

URL_PARAMETER = "structure"
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
STRUCTURE_SCHEMA = re.compile(r"^veille_[a-z][a-z0-9_]{1,31}$")
"""The PostgreSQL schemas of the structures (:func:`schema_for`)."""


@dataclass(frozen=True)
class Structure:
    """One structure of the database.

    Attributes
    ----------
    code
        Short stable code (``a-z0-9_``), used in URLs and on the command line.
    name
        Name shown to people.
    schema_name
        PostgreSQL schema of its tables; ``None`` for the default structure (the database's own tables).
    """

    id: int
    code: str
    name: str
    schema_name: str | None

    @property
    def is_default(self) -> bool:
        """Whether this is the default structure (id 1)."""
        return self.id == DEFAULT_ID

    def summary(self) -> dict:
        """Return the structure as printed by ``python -m geo structures list``."""
        return {"id": self.id, "code": self.code, "name": self.name, "default": self.is_default}


def check_code(code: str) -> str:
    """Return ``code`` if it is a valid structure code, else raise :class:`~geo.errors.InputError`."""
    code = code.strip().lower()
    if not _CODE.match(code):
        raise InputError(f"code de structure attendu : 2 à 32 caractères a-z 0-9 _, commençant par une lettre ; "
                         f"trouvé {code!r}")
    return code


def split_url(url: str) -> tuple[str, str | None]:
    """Return the store URL without its ``structure`` parameter, and that parameter (``None`` when absent)."""
    parsed = sa.engine.make_url(url)
    code = parsed.query.get(URL_PARAMETER)
    if code is None:
        return url, None
    if isinstance(code, tuple):
        raise InputError(f"une seule structure par adresse de stockage ; trouvé {', '.join(code)}")
    base = parsed.difference_update_query([URL_PARAMETER])
    return base.render_as_string(hide_password=False), check_code(code)


def scoped_url(url: str, code: str | None) -> str:
    """Return the URL of ``url``'s database opened for structure ``code`` (the default one for ``None``)."""
    base, _ = split_url(url)
    if code is None or check_code(code) == DEFAULT_CODE:
        return base
    parsed = sa.engine.make_url(base).update_query_dict({URL_PARAMETER: code})
    return parsed.render_as_string(hide_password=False)


def schema_for(code: str) -> str:
    """Return the PostgreSQL schema holding the tables of structure ``code`` (not the default one)."""
    return f"veille_{check_code(code)}"


def scoped_connect(base_url: str, schema_name: str) -> tuple[dict, dict]:
    """Return the ``connect_args`` and execution options confining an engine to ``schema_name``.

    Connections search the structure's schema first (``public`` after it, for PostGIS's types and functions),
    so plain SQL text reaches its tables; SQLAlchemy statements name the schema outright
    (``schema_translate_map``), table creation included.
    """
    options = sa.engine.make_url(base_url).query.get("options")
    search = f"-c search_path={schema_name},public"
    connect_args = {"options": f"{options} {search}" if isinstance(options, str) else search}
    return connect_args, {"schema_translate_map": {None: schema_name}}


def _registry_rows(conn: sa.Connection) -> list[Structure]:
    rows = conn.execute(sa.select(structures).order_by(structures.c.id)).mappings().all()
    found = [Structure(id=r["id"], code=r["code"], name=r["name"], schema_name=r["schema_name"]) for r in rows]
    if not any(s.id == DEFAULT_ID for s in found):  # a store created before any register row was written
        found.insert(0, Structure(id=DEFAULT_ID, code=DEFAULT_CODE, name=DEFAULT_NAME, schema_name=None))
    return found


def _default_store(url: str) -> Store:
    from geo.store.database import Store  # noqa: PLC0415 - the store module imports this one

    return Store(split_url(url)[0])


def list_structures(url: str | Store) -> list[Structure]:
    """Return every structure of the database of ``url`` (a URL or a store), the default one first."""
    store = _default_store(url if isinstance(url, str) else url.url)
    try:
        with store.engine.connect() as conn:
            return _registry_rows(conn)
    finally:
        store.engine.dispose()


def structure_count(url: str | Store) -> int:
    """Return how many structures share the database (1 on SQLite, and until a second one is added)."""
    return len(list_structures(url))


def get_structure(url: str | Store, code: str | None) -> Structure:
    """Return structure ``code`` (the default one for ``None``) or raise :class:`~geo.errors.InputError`."""
    known = list_structures(url)
    if code is None:
        return known[0]
    code = check_code(code)
    for structure in known:
        if structure.code == code:
            return structure
    raise InputError(f"structure inconnue : {code!r} ; structures de cette base : "
                     f"{', '.join(s.code for s in known)}")


def check_new_structure(url: str, code: str, *, name: str) -> tuple[str, str]:
    """Return ``(code, name)`` checked for a structure to add to the database of ``url``; nothing is written.

    Raises
    ------
    InputError
        On SQLite (one structure per file), for a bad or taken code, or an empty or taken name.
    """
    code = check_code(code)
    name = (name or "").strip()
    if not name:
        raise InputError("nom de la structure attendu (--name NOM) ; trouvé un nom vide")
    if sa.engine.make_url(split_url(url)[0]).get_backend_name() == "sqlite":
        raise InputError("une base SQLite sert une seule structure : pour en réunir plusieurs dans une même "
                         "base, utilisez PostgreSQL (--db postgresql+psycopg://…)")
    taken = [s for s in list_structures(url) if s.code == code or s.name.casefold() == name.casefold()]
    if taken:
        raise InputError(f"la structure {taken[0].code!r} ({taken[0].name}) existe déjà : choisissez un "
                         "autre code et un autre nom")
    return code, name


def add_structure(url: str, code: str, *, name: str) -> Structure:
    """Add a structure to the database of ``url``: its row in the register and its tables, empty; return it.

    Its data version starts from the clock (microseconds), past any number an earlier structure of the same code
    (removed by a restore) reached: caches and snapshots keyed on its code and version never serve that one's.

    Raises
    ------
    InputError
        On SQLite (one structure per file), for a bad or taken code, or an empty name.
    """
    code, name = check_new_structure(url, code, name=name)
    store = _default_store(url)
    try:
        with store.engine.begin() as conn:
            known = _registry_rows(conn)
            taken = [s for s in known if s.code == code or s.name.casefold() == name.casefold()]
            if taken:
                raise InputError(f"la structure {taken[0].code!r} ({taken[0].name}) existe déjà : choisissez un "
                                 "autre code et un autre nom")
            if conn.execute(sa.select(structures.c.id).where(structures.c.id == DEFAULT_ID)).first() is None:
                conn.execute(structures.insert().values(id=DEFAULT_ID, code=DEFAULT_CODE, name=DEFAULT_NAME,
                                                        schema_name=None, created_at=int(time.time())))
            new_id = max(s.id for s in known) + 1
            schema_name = schema_for(code)
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')  # a leftover of no structure
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
            conn.execute(structures.insert().values(id=new_id, code=code, name=name, schema_name=schema_name,
                                                    created_at=int(time.time())))
    finally:
        store.engine.dispose()
    from geo.store.database import Store  # noqa: PLC0415 - idem

    created = Store(url, structure=code)  # creates the structure's tables (its migrations)
    try:
        with created.engine.begin() as conn:
            created._set_meta(conn, "data_version", str(fresh_data_version()))
    finally:
        created.engine.dispose()
    return Structure(id=new_id, code=code, name=name, schema_name=schema_name)


def fresh_data_version() -> int:
    """Return a data version past any reached so far by counting writes: the clock, in microseconds."""
    return time.time_ns() // 1000


def discard_structure(url: str, code: str) -> None:
    """Remove a structure just added, its tables and its register row (undoing a step that failed after it).

    The default structure is never removed.
    """
    structure = get_structure(url, code)
    if structure.is_default or not structure.schema_name:
        raise InputError("la structure par défaut ne se supprime pas")
    store = _default_store(url)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{structure.schema_name}" CASCADE')
            conn.execute(structures.delete().where(structures.c.id == structure.id))
    finally:
        store.engine.dispose()


def login_structure(url: str, login: str) -> str | None:
    """Return the code of the structure whose accounts include ``login`` (``None`` when none does).

    Logins are unique across the structures of a database (:func:`geo.sharing.accounts.create_user` checks it).
    """
    from geo.store.accounts_schema import users  # noqa: PLC0415 - idem

    login = login.strip().lower()
    store = _default_store(url)
    try:
        with store.engine.connect() as conn:
            for structure in _registry_rows(conn):
                scoped = conn.execution_options(schema_translate_map={None: structure.schema_name})
                if scoped.execute(sa.select(users.c.login).where(users.c.login == login)).first() is not None:
                    return structure.code
    finally:
        store.engine.dispose()
    return None


def data_versions(url: str) -> dict[str, int]:
    """Return the data version of every structure's tables, by code (what caches and snapshots are keyed on)."""
    from geo.store.database import Store  # noqa: PLC0415 - idem

    found = {}
    for structure in list_structures(url):
        store = Store(url, structure=structure.code)
        try:
            found[structure.code] = store.data_version()
        finally:
            store.engine.dispose()
    return found


def advance_data_versions(url: str, floor: dict[str, int]) -> None:
    """Set every structure's data version past both ``floor`` (its version before a restore) and its own.

    After a restore, a structure's data version could otherwise fall back to a number a snapshot of the
    replaced content was built for, and that snapshot would be served as the restored one's.
    """
    from geo.store.database import Store  # noqa: PLC0415 - idem

    for structure in list_structures(url):
        store = Store(url, structure=structure.code)
        try:
            with store.engine.begin() as conn:
                own = int(store._get_meta(conn, "data_version") or 0)
                # the clock too: a structure the restore brings back may have lived on, past its backed-up
                # version, before it was removed (its floor is not known any more)
                version = max(floor.get(structure.code, 0), own, fresh_data_version()) + 1
                store._set_meta(conn, "data_version", str(version))
        finally:
            store.engine.dispose()
