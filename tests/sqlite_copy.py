"""Copying a test's SQLite store with SQLite's own backup API, never as a plain file.

A process that holds a store open loses every POSIX lock it has on the file as soon as it closes *any* descriptor
of that file (``shutil.copy`` opens and closes one). Another process closing its connection then believes it is
the last one and deletes the write-ahead log under the first: "database disk image is malformed". The backup API
reads through the same SQLite library as the open connections, which keeps their locks.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_sqlite(source: Path | str, target: Path | str) -> Path:
    """Copy the SQLite database ``source`` to ``target`` (write-ahead log included); return ``target``."""
    with sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True) as src, \
            sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return Path(target)
