"""A throwaway PostgreSQL + PostGIS server for tests and benches: Debian's binaries, 127.0.0.1, a temporary folder.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` system user (created by
Debian's package). The server listens on a free loopback port with trust authentication, ``fsync`` off (a test
cluster holds nothing worth keeping), and is stopped when the context ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "postgres_bin", "missing_postgres", "running_postgres"]

_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def postgres_bin() -> Path | None:
    """Return the folder of Debian's PostgreSQL server binaries (newest version), or None."""
    for folder in _BIN_DIRS:
        if (folder / "postgres").exists() and (folder / "initdb").exists():
            return folder
    return None


def missing_postgres() -> str | None:
    """Say why no PostGIS server can be started here, or None when one can."""
    folder = postgres_bin()
    if folder is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)"
    version = folder.parent.name
    if not list(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control")):
        return f"PostGIS for PostgreSQL {version} is not installed (apt-get install postgresql-{version}-postgis-3)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg package is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throwaway server."""

    folder: Path
    port: int
    process: subprocess.Popen

    def url(self, database: str = "veille") -> str:
        """Return the SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, postgis: bool = True, template: str | None = None) -> str:
        """Create a database (with PostGIS, or as a copy of ``template``) and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        if postgis and not template:
            with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={name}",
                                 autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing any connection still open on it."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def kill(self) -> None:
        """Kill the server and every backend at once (``SIGKILL`` to its process group), as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def start(self) -> None:
        """Start the server again on the same folder and port (after :meth:`kill`)."""
        self.process = _launch(self.folder, self.port)


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _launch(folder: Path, port: int) -> subprocess.Popen:
    folder_bin = postgres_bin()
    assert folder_bin is not None
    log = open(folder / "server.log", "ab")
    process = subprocess.Popen(
        _as_owner([str(folder_bin / "postgres"), "-D", str(folder / "data"), "-p", str(port), "-k", str(folder),
                   "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=256MB"]),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited at start: {(folder / 'server.log').read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            ready = subprocess.run([str(folder_bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True, check=False)
            if ready.returncode == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("PostgreSQL did not accept connections within 30 s")


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway PostgreSQL + PostGIS server; stop it and remove its folder at the end."""
    folder_bin = postgres_bin()
    if folder_bin is None:
        raise RuntimeError(missing_postgres())
    folder = Path(tempfile.mkdtemp(prefix="veille-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    folder.chmod(0o700)
    subprocess.run(_as_owner([str(folder_bin / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
                              "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    port = _free_port()
    server = PostgresServer(folder, port, _launch(folder, port))
    try:
        server.create_database("veille")
        yield server
    finally:
        if server.process.poll() is None:
            server.process.terminate()  # runuser passes it on; the postmaster then stops its backends
            try:
                server.process.wait(15)
            except subprocess.TimeoutExpired:
                server.process.kill()
        shutil.rmtree(folder, ignore_errors=True)
