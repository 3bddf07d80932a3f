"""The issue's concurrency proof at full size, on each backend: 8 writers x 1,000 field reports at once while a
1,000,000-row import runs — every report stored once, no "database is locked" or other error reaching a user.

``tests/store/test_crash_and_concurrency.py`` holds the scaled-down version (quick loops); this one is marked
``slow`` and is still part of the default run (``bash tests/run.sh``). The 1M-row file is written by the import
bench's generator (``bench/ingest.py``: a French Excel export with about 2 % of bad rows and repeated rows), whose
planted counts give the import's expected summary.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from geo.demo.territory import build_demo_territory
from geo.ingest.territory import install_territory
from geo.settings import PROJECT_ROOT
from geo.store.database import Store
from tests.store.test_crash_and_concurrency import counts, geo_command, scratch_root, wait_for_staging

IMPORT_ROWS = 1_000_000
WRITERS = 8
REPORTS_PER_WRITER = 1_000



def _bench_ingest():
    spec = importlib.util.spec_from_file_location("bench_ingest", PROJECT_ROOT / "bench" / "ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The 1M-row Excel-French CSV of ``bench/ingest.py`` (written once for both backends) and its planted rows."""
    path = tmp_path_factory.mktemp("million") / "signalements.csv"
    planted = _bench_ingest().generate_csv(path, IMPORT_ROWS)
    return path, planted


@pytest.mark.slow
def test_eight_writers_of_a_thousand_reports_during_a_million_row_import(db_url, million_rows):
    csv, planted = million_rows
    install_territory(Store(db_url), build_demo_territory(), source_name="demo")
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    importer = subprocess.Popen(geo_command(db_url, "import", str(csv)), cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    imported: dict = {}

    def wait_import() -> None:
        imported["out"], imported["err"] = importer.communicate(timeout=3600)
        imported["end"] = time.time()

    waiter = threading.Thread(target=wait_import)
    waiter.start()
    wait_for_staging(importer, scratch_root(db_url), timeout=300)
    writers = [subprocess.Popen([sys.executable, "-m", "tests.field_writer", db_url, str(n), str(REPORTS_PER_WRITER)],
                                cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(WRITERS)]
    answers, stderrs = [], []
    for w in writers:
        out, err = w.communicate(timeout=3600)
        assert w.returncode == 0, err
        answers.append(json.loads(out.strip().splitlines()[-1]))
        stderrs.append(err)
    waiter.join(3600)
    ended = time.time()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, err, import_end = imported["out"], imported["err"], imported["end"]
    assert importer.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])

    # no "database is locked", no other error reaching a mediator, nothing on the writers' error output
    assert [e for a in answers for e in a["errors"]] == []
    assert [e for e in stderrs if e.strip()] == []
    assert "Traceback" not in err and "locked" not in err and "locked" not in out
    # the writers wrote while the import ran
    assert min(a["first"] for a in answers) < import_end
    # the import's counts add up to the planted rows
    assert summary["read"] == IMPORT_ROWS
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
    assert summary["duplicates"] == planted["repeated_rows"]
    assert summary["quarantined"] == planted["bad_rows_total"]  # unknown categories are kept
    # every field report stored once, beside the import's
    field_ids = [i for a in answers for i in a["stored"]]
    assert len(field_ids) == len(set(field_ids)) == WRITERS * REPORTS_PER_WRITER
    found = counts(db_url)
    assert found["reports"] == found["distinct_ids"] == summary["stored"] + WRITERS * REPORTS_PER_WRITER
    assert found["batches"] == 1 + WRITERS * REPORTS_PER_WRITER  # one batch per field report, one for the file
    during = sum(1 for a in answers if a["first"] < import_end)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    print(f"\nfull-size concurrency ({db_url.split(':')[0]}): import of {summary['stored']:,} reports "
          f"{import_end - started:.1f} s; writers {min(a['first'] for a in answers) - started:.1f}–"
          f"{max(a['last'] for a in answers) - started:.1f} s after the import started, {during}/{WRITERS} began "
          f"before it ended; {ended - started:.1f} s in all, {cpu:.0f} s CPU in the child processes")
