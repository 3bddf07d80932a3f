"""Back up a store to one file and restore it: SQLite's online backup API, PostgreSQL's ``pg_dump``/``pg_restore``.

Everything lives in the store — reports, history, partners, the kept source files and the photos — so one file
holds it all. A backup of a SQLite store is itself an SQLite file (readable with any SQLite tool) taken while the
application keeps running; a backup of a PostgreSQL store is a ``pg_dump`` custom-format archive. A backup
restores only onto the same kind of backend.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from geo.errors import StoreError
from geo.store import structures
from geo.store.changes_schema import HISTORY_KEY
from geo.store.database import Store

__all__ = ["BackupResult", "backup_store", "restore_store"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupResult:
    """What a backup or a restore did."""

    path: str
    backend: str
    bytes: int
    reports: int
    data_version: int

    def as_dict(self) -> dict:
        """Return the machine-readable summary printed by ``python -m geo backup|restore``."""
        return {"path": self.path, "backend": self.backend, "bytes": self.bytes, "reports": self.reports,
                "data_version": self.data_version}


def _sqlite_path(store: Store) -> Path:
    database = sa.engine.make_url(store.url).database
    if not database or database == ":memory:":
        raise StoreError(f"the store {store.url} has no file to back up")
    return Path(database)


def _pg_args(store: Store) -> tuple[list[str], dict[str, str]]:
    """Return the connection options of ``pg_dump``/``pg_restore`` for ``store`` and their environment."""
    url = sa.engine.make_url(store.url)
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # never on the command line, where other users could read it
    return args, env


def _whole_database(store: Store) -> None:
    """Refuse a store opened for one structure: a backup holds, and a restore replaces, the whole database."""
    if store.structure is not None:
        raise StoreError("une sauvegarde contient toute la base, toutes ses structures, et une restauration la "
                         "remplace toute : lancez-la sans --structure")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise StoreError(f"{name} est introuvable : installez le client PostgreSQL (paquet postgresql-client)")
    return found


def backup_store(store: Store, path: Path | str) -> BackupResult:
    """Write a consistent copy of the whole store to ``path`` while it stays in use.

    Raises
    ------
    StoreError
        When ``path`` exists already or its folder does not, or the backend's tool fails.
    """
    path = Path(path)
    _whole_database(store)
    if path.exists():
        raise StoreError(f"{path} existe déjà : choisissez un autre nom (une sauvegarde n'en écrase jamais une autre)")
    if not path.parent.is_dir():
        raise StoreError(f"le dossier {path.parent} n'existe pas")
    reports, version = store.count_reports(), store.data_version()
    if store.is_sqlite:
        source = sqlite3.connect(_sqlite_path(store))
        target = sqlite3.connect(path)
        try:
            source.backup(target)  # page by page, consistent, while writers go on (SQLite's online backup)
        finally:
            target.close()
            source.close()
    else:
        args, env = _pg_args(store)
        done = subprocess.run([_tool("pg_dump"), "--format", "custom", "--no-owner", "--file", str(path), *args],
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise StoreError(f"pg_dump a échoué : {done.stderr.strip()[-1000:]}")
    return BackupResult(str(path), "sqlite" if store.is_sqlite else "postgresql", path.stat().st_size, reports,
                        version)


def restore_store(store: Store, path: Path | str) -> BackupResult:
    """Replace the store's content by the backup at ``path`` (same backend kind); return what it now holds."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path} n'est pas un fichier de sauvegarde")
    _whole_database(store)
    with path.open("rb") as file:
        head = file.read(16)
    before = store.data_version()
    others = {} if store.is_sqlite else structures.data_versions(store.url)  # several structures (PostgreSQL)
    if store.is_sqlite:
        if not head.startswith(_SQLITE_MAGIC):
            raise StoreError(f"{path} n'est pas une sauvegarde SQLite (attendu : un fichier écrit par "
                             "python -m geo backup sur un stockage SQLite)")
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        store.engine.dispose()
        target = sqlite3.connect(_sqlite_path(store))
        try:
            source.backup(target)  # writes every page under SQLite's own locks: readers see old or new, whole
        finally:
            target.close()
            source.close()
    else:
        if not head.startswith(_PGDUMP_MAGIC):
            raise StoreError(f"{path} n'est pas une archive pg_dump (attendu : un fichier écrit par "
                             "python -m geo backup sur un stockage PostgreSQL)")
        _pg_restore(store, path)
    restored = Store(store.url)  # a backup from an older version of the code is migrated here
    if store.is_sqlite:
        # The data version keys every cache and snapshot: it must go past both the replaced and the restored
        # content's, or a snapshot of the replaced content could be taken for the restored one.
        with restored.engine.begin() as conn:
            version = max(before, int(restored._get_meta(conn, "data_version") or 0)) + 1
            restored._set_meta(conn, "data_version", str(version))
            # a new history: no snapshot of the replaced content is brought up to date with the restored log
            restored._set_meta(conn, HISTORY_KEY, uuid.uuid4().hex)
    else:  # every structure: those replaced, and those the backup brings back (past any of their former lives)
        structures.advance_data_versions(store.url, {**others, structures.DEFAULT_CODE: before})
        for structure in structures.list_structures(store.url):  # each structure's tables as this code wants
            if not structure.is_default:
                Store(store.url, structure=structure.code).engine.dispose()
    return BackupResult(str(path), "sqlite" if store.is_sqlite else "postgresql", path.stat().st_size,
                        restored.count_reports(), restored.data_version())


def _archive_schemas(path: Path, env: dict[str, str]) -> set[str]:
    """Return the schemas a ``pg_dump`` archive creates (its table of contents)."""
    done = subprocess.run([_tool("pg_restore"), "--list", str(path)], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise StoreError(f"{path} : archive pg_dump illisible ({done.stderr.strip()[-500:]}) ; la base n'a pas "
                         "changé")
    found = set()
    for line in done.stdout.splitlines():
        # "2615; 2615 16385 SCHEMA - veille_quetigny postgres"
        parts = line.split()
        if not line.startswith(";") and len(parts) >= 6 and parts[3] == "SCHEMA" and parts[4] == "-":
            found.add(parts[5])
    return found


def _structure_schemas(store: Store) -> list[str]:
    """Return the structures' schemas in the database now (``veille_<code>``), registered or left over."""
    with store.engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT nspname FROM pg_namespace").scalars().all()
    return sorted(n for n in names if structures.STRUCTURE_SCHEMA.match(n))


def _pg_restore(store: Store, path: Path) -> None:
    """Replace the whole PostgreSQL database by the archive at ``path``, in one transaction.

    The structures' schemas of the database (``veille_<code>``) are dropped first, in the same transaction:
    a structure added after the backup disappears with its register row, one the backup holds comes back
    whole (its register row, its tables, its files and photos), and nothing is left of either when the
    restore fails. The archive is replayed by ``psql`` from ``pg_restore``'s script, so that these drops
    and the restore commit together or not at all.
    """
    args, env = _pg_args(store)
    _archive_schemas(path, env)  # refuses an archive it cannot read before anything changes
    drops = "".join(f'DROP SCHEMA IF EXISTS "{name}" CASCADE;\n' for name in _structure_schemas(store))
    store.engine.dispose()
    script = subprocess.Popen([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--file", "-",
                               str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with tempfile.TemporaryDirectory(prefix="veille-restore-") as folder:
        first = Path(folder) / "structures.sql"
        first.write_text("SET client_min_messages = warning;\n" + drops, encoding="utf-8")
        replay = subprocess.run([_tool("psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
                                 "--single-transaction", "--file", str(first), "--file", "-", *args],
                                env=env, stdin=script.stdout, capture_output=True, text=True, check=False)
    script.stdout.close()
    script_errors = script.stderr.read().decode("utf-8", "replace")
    script.stderr.close()
    script_failed = script.wait() != 0
    if replay.returncode != 0:  # the first cause (pg_restore then stops on the closed pipe)
        detail = " ".join(replay.stderr.split())[-1000:]
        raise StoreError(f"la restauration a échoué : {detail} ; la base n'a pas changé")
    if script_failed:  # psql committed a script pg_restore could not finish: cannot be, psql reads to its end
        raise StoreError(f"pg_restore a échoué : {script_errors.strip()[-1000:]}")
