"""Child process that writes the reports snapshot of an SQLite store: ``python -m geo.store.snapshot_builder``.

Arguments: the database file, the snapshot folder, the comma-separated columns. It reads the data version and
the reports in one read transaction through the ADBC SQLite driver and prints the path of the file it wrote.
It imports neither SQLAlchemy nor pandas, and never runs in a process that holds the store through pysqlite.
"""

from __future__ import annotations

import sys
from pathlib import Path

import adbc_driver_sqlite.dbapi as adbc

from geo.store.snapshot_files import write_snapshot

__all__ = ["build"]


def build(database: str, folder: Path, columns: list[str]) -> Path:
    """Read ``columns`` of every report of ``database`` and write them as the snapshot of its data version."""
    conn = adbc.connect(f"file:{database}?mode=ro", autocommit=True)
    try:
        cur = conn.cursor()
        # SQLite has no column types: the driver infers them from the first batch, so one batch holds all rows
        # (a column NULL in its first rows and text further down would otherwise be refused).
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute("BEGIN")
        cur.execute("SELECT value FROM meta WHERE key = 'data_version'")
        row = cur.fetchone()
        version = int(row[0]) if row else 0
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        cur.execute(f"SELECT {quoted} FROM reports")
        table = cur.fetch_arrow_table()
        cur.execute("COMMIT")
        cur.close()
    finally:
        conn.close()
    return write_snapshot(table, folder, version)


if __name__ == "__main__":
    print(build(sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(",")))
