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
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from geo.errors import StoreError
from geo.store import structures
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
    head = path.read_bytes()[:16]
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
        store.engine.dispose()
        args, env = _pg_args(store)
        done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               "--exit-on-error", *args, str(path)], env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise StoreError(f"pg_restore a échoué : {done.stderr.strip()[-1000:]}")
    restored = Store(store.url)  # a backup from an older version of the code is migrated here
    # The data version keys every cache and snapshot: it must go past both the replaced and the restored
    # content's, or a snapshot of the replaced content could be taken for the restored one.
    with restored.engine.begin() as conn:
        version = max(before, int(restored._get_meta(conn, "data_version") or 0)) + 1
        restored._set_meta(conn, "data_version", str(version))
    if others:
        structures.advance_data_versions(store.url, others)
    return BackupResult(str(path), "sqlite" if store.is_sqlite else "postgresql", path.stat().st_size,
                        restored.count_reports(), restored.data_version())
