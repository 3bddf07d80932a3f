"""Proofs under crashes and concurrency, on each backend: an import is all or nothing, field entry never waits
for it to fail, and a killed import (or a killed PostgreSQL) leaves a store that a re-run completes exactly once.

Sizes are scaled down from the issue's (1M rows, 8 x 1,000 writers) for quick loops; the full-size writers proof is
``tests/store/test_concurrency_full_size.py`` (marked ``slow``, in the default run).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.ingest.territory import install_territory
from geo.settings import PROJECT_ROOT
from geo.store import schema
from geo.store.database import Store
from tests.conftest import make_territory

IMPORT_ROWS = 100_000
WRITERS = 8
REPORTS_PER_WRITER = 60


def write_big_csv(path: Path, rows: int) -> Path:
    """An Excel-French CSV of ``rows`` valid reports with distinct ids inside the test territory."""
    index = pd.RangeIndex(rows)
    frame = pd.DataFrame({
        "N°": "F" + pd.Series(index).astype(str),
        "Date": (pd.Timestamp("2026-01-05 08:00") + pd.to_timedelta(index % 40_000, unit="min")).strftime(
            "%d/%m/%Y %H:%M"),
        "Catégorie": pd.Series(["tags", "eclairage", "proprete", "voirie"])[index % 4].to_numpy(),
        "Latitude": (47.29 + (index % 997) / 997 * 0.06).map(lambda v: f"{v:.6f}".replace(".", ",")),
        "Longitude": (5.01 + (index % 991) / 991 * 0.06).map(lambda v: f"{v:.6f}".replace(".", ",")),
    })
    frame.to_csv(path, sep=";", index=False, encoding="utf-8")
    return path


def geo_command(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "geo", "--db", url, *args]


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar())
               for t in (schema.reports, schema.batches, schema.quarantine)}
        out["distinct_ids"] = int(conn.execute(sa.select(sa.func.count(sa.distinct(schema.reports.c.id)))).scalar())
    engine.dispose()
    return out


def scratch_root(url: str) -> Path:
    store = Store(url)
    return Path(store.scratch_dir or tempfile.gettempdir())


def wait_for_staging(process: subprocess.Popen, root: Path, timeout: float = 120) -> None:
    """Wait until the import process has made its scratch folder (it is validating and staging)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(root.glob(f".veille-import-{process.pid}-*")):
            return
        if process.poll() is not None:
            raise AssertionError(f"the import ended before it staged anything: {process.returncode}")
        time.sleep(0.05)
    raise AssertionError("the import never started staging")


def _writing(url: str) -> bool:
    """Whether another connection is writing the store right now (inside the import's load transaction)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")  # refused at once while another connection holds the write lock
            conn.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid WHERE c.relname = 'reports' "
                "AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()").scalar())
    finally:
        engine.dispose()


def wait_for_load(process: subprocess.Popen, url: str, timeout: float = 300) -> None:
    """Wait until the import is inside its load transaction (the batch is being written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _writing(url):
            return
        if process.poll() is not None:
            raise AssertionError(f"the import ended before its load was seen: {process.returncode}")
        time.sleep(0.005)
    raise AssertionError("the import's load was never seen")




@pytest.fixture
def territory_url(db_url: str) -> str:
    install_territory(Store(db_url), make_territory(), source_name="test")
    return db_url


def test_field_writers_during_a_large_import_all_succeed_once(territory_url, tmp_path):
    csv = write_big_csv(tmp_path / "big.csv", IMPORT_ROWS)
    importer = subprocess.Popen(geo_command(territory_url, "import", str(csv)), cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_staging(importer, scratch_root(territory_url))
    # field writers as separate interpreters (multiprocessing under pytest re-runs an AppTest's ``__main__``)
    writers = [subprocess.Popen([sys.executable, "-m", "tests.field_writer", territory_url, str(n),
                                 str(REPORTS_PER_WRITER)],
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(WRITERS)]
    results = []
    for w in writers:
        out, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
        answer = json.loads(out.strip().splitlines()[-1])
        results.append((answer["stored"], answer["errors"]))
    out, err = importer.communicate(timeout=600)
    assert importer.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    errors = [e for _, errs in results for e in errs]
    assert errors == []  # no "database is locked", no other error reaching a mediator
    field_ids = [i for ids, _ in results for i in ids]
    assert len(field_ids) == len(set(field_ids)) == WRITERS * REPORTS_PER_WRITER
    found = counts(territory_url)
    assert summary["stored"] == IMPORT_ROWS
    assert found["reports"] == found["distinct_ids"] == IMPORT_ROWS + len(field_ids)


def test_a_killed_import_leaves_nothing_and_a_rerun_completes_once(territory_url, tmp_path):
    csv = write_big_csv(tmp_path / "big.csv", IMPORT_ROWS)
    before = counts(territory_url)
    importer = subprocess.Popen(geo_command(territory_url, "import", str(csv)), cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for_load(importer, territory_url)  # in the middle of the batch's transaction
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(30)
    after_kill = counts(territory_url)
    assert after_kill == before  # the batch entirely absent: no report, no batch row, no quarantine
    rerun = subprocess.run(geo_command(territory_url, "import", str(csv)), cwd=PROJECT_ROOT, capture_output=True,
                           text=True, check=False, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["stored"] == IMPORT_ROWS and summary["duplicates"] == 0
    final = counts(territory_url)
    assert final["reports"] == final["distinct_ids"] == before["reports"] + IMPORT_ROWS
    assert final["batches"] == before["batches"] + 1


@pytest.mark.sqlite_only  # it starts a PostgreSQL server of its own, to kill it
def test_postgresql_killed_during_an_import_loses_and_doubles_nothing(tmp_path):
    from tests.postgres_server import missing_postgres, running_postgres

    reason = missing_postgres()
    if reason:
        if os.environ.get("VEILLE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    csv = write_big_csv(tmp_path / "big.csv", IMPORT_ROWS)
    with running_postgres() as server:
        url = server.url()
        install_territory(Store(url), make_territory(), source_name="test")
        importer = subprocess.Popen(geo_command(url, "import", str(csv)), cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
        wait_for_load(importer, url)
        server.kill()
        _out, err = importer.communicate(timeout=300)
        assert importer.returncode != 0  # the import failed: it must say so, in French, with no traceback
        assert "Traceback" not in err and "erreur" in err
        server.start()
        assert counts(url)["reports"] == 0
        rerun = subprocess.run(geo_command(url, "import", str(csv)), cwd=PROJECT_ROOT, capture_output=True,
                               text=True, check=False, timeout=600)
        assert rerun.returncode == 0, rerun.stderr
        assert json.loads(rerun.stdout.strip().splitlines()[-1])["stored"] == IMPORT_ROWS
        final = counts(url)
        assert final["reports"] == final["distinct_ids"] == IMPORT_ROWS and final["batches"] == 1
