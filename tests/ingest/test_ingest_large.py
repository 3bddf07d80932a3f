"""A file of about 200 MB is read in chunks: exact counts, and a bounded peak memory of ``python -m geo import``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from geo.ingest.territory import install_territory
from geo.settings import PROJECT_ROOT
from geo.store.database import Store
from tests.conftest import OUTSIDE_POINT, make_territory

TARGET_BYTES = 200 * 1024 * 1024
PEAK_RSS_LIMIT = 1.5 * 1024**3
HEADER = "id;date;categorie;latitude;longitude;description;equipe;adresse;commentaire_interne\n"
CATEGORIES = ("eclairage", "Dépôt sauvage", "tags", "nid-de-poule", "Chien errant", "rodeo", "banc")

# Runs a command as its only child and prints, after the child's output, the child's peak RSS in bytes.
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stdout.write(done.stdout)\n"
    "sys.stderr.write(done.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
    "sys.exit(done.returncode)\n"
)


def kind_of_row(i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return masks of rows with a bad latitude, repeating the previous row, and outside the territory."""
    bad = i % 1000 == 999
    duplicate = ~bad & (i % 500 == 250)
    outside = ~bad & ~duplicate & (i % 400 == 7)
    return bad, duplicate, outside


def write_big_csv(path: Path, target_bytes: int) -> int:
    """Write a French-style CSV of at least ``target_bytes``; return its number of data rows."""
    rng = np.random.default_rng(20260302)
    block, start = 50_000, 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        while fh.tell() < target_bytes:
            i = np.arange(start, start + block)
            bad, duplicate, outside = kind_of_row(i)
            lat = np.char.mod("%.6f", np.where(outside, OUTSIDE_POINT[0], 47.2805 + rng.random(block) * 0.079))
            lat = np.where(bad, "n/a", lat)
            lon = np.char.mod("%.6f", np.where(outside, OUTSIDE_POINT[1], 5.0005 + rng.random(block) * 0.079))
            source = np.where(duplicate, np.arange(block) - 1, np.arange(block))  # a repeated row: the one before
            ids, i, lat, lon = i[source], i[source], lat[source], lon[source]
            fh.writelines(
                f"R{r};{1 + k % 28:02d}/03/2026 {k % 24:02d}:{k % 60:02d};{CATEGORIES[k % 7]};{la};{lo};"
                f"Observation {k} : situation signalée par des habitants du secteur, à vérifier au prochain passage;"
                f"Équipe {k % 5};{k % 300} rue de la République, Dijon;RAS\n"
                for r, k, la, lo in zip(ids.tolist(), i.tolist(), lat.tolist(), lon.tolist(), strict=True)
            )
            start += block
    return start


def expected_counts(rows: int) -> dict[str, int]:
    bad, duplicate, outside = kind_of_row(np.arange(rows))
    return {"read": rows, "stored": rows - int(bad.sum()) - int(duplicate.sum()), "duplicates": int(duplicate.sum()),
            "quarantined": int(bad.sum()), "outside_territory": int(outside.sum())}


def measured_import(db_url: str, path: Path) -> tuple[dict, int, float]:
    """Run ``python -m geo import`` in a child process; return its summary, peak RSS (bytes) and seconds."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "geo", "--db", db_url, "import", str(path)]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    seconds = time.perf_counter() - began
    assert done.returncode == 0, done.stderr
    *output, peak = done.stdout.strip().splitlines()
    return json.loads(output[-1]), int(peak), seconds


def store_with_territory(path: Path) -> str:
    url = f"sqlite:///{path}"
    install_territory(Store(url), make_territory(), source_name="test")
    return url


@pytest.mark.slow
def test_a_200_mb_csv_is_imported_in_bounded_memory(tmp_path):
    # the same command on a small file gives the memory of the interpreter and its libraries
    small = tmp_path / "petit.csv"
    small_rows = write_big_csv(small, 1)
    summary, baseline_rss, _ = measured_import(store_with_territory(tmp_path / "petit.sqlite"), small)
    assert summary["stored"] == expected_counts(small_rows)["stored"]

    big = tmp_path / "gros.csv"
    rows = write_big_csv(big, TARGET_BYTES)
    assert big.stat().st_size >= TARGET_BYTES
    db_url = store_with_territory(tmp_path / "veille.sqlite")
    summary, peak_rss, seconds = measured_import(db_url, big)

    expected = expected_counts(rows)
    assert {k: summary[k] for k in expected} == expected
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
    assert Store(db_url).count_reports() == expected["stored"]
    print(f"\n200 MB import: {big.stat().st_size / 2**20:.0f} MiB, {rows} rows, {seconds:.1f} s, "
          f"peak RSS {peak_rss / 2**20:.0f} MiB (small file: {baseline_rss / 2**20:.0f} MiB)")
    assert peak_rss < PEAK_RSS_LIMIT
