"""The permutation worker process: same results as in process, recovery after a kill, no orphan (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import pytest
from shapely.geometry import box

from geo.analysis.emerging import emerging_hotspots
from geo.analysis.grid import build_grid
from geo.analysis.hotspots import report_hotspots
from geo.analysis.permutation_worker import PermutationWorker, WorkerError

ROOT = Path(__file__).resolve().parents[2]


def _territory() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": ["q"], "name": ["Q"], "population": [1]},
                            geometry=[box(5.00, 47.30, 5.06, 47.34)], crs=4326)


def _reports(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(47.30, 47.34, 2000), rng.uniform(5.00, 5.06, 2000)
    lat = np.r_[lat, rng.normal(47.32, 0.0008, 150)]
    lon = np.r_[lon, rng.normal(5.03, 0.0012, 150)]
    return pd.DataFrame({"lat": lat, "lon": lon, "neighbourhood": "q"})


def _gone(pid: int, timeout: float) -> bool:
    """Whether process ``pid`` ended (or is a zombie nobody reaped yet) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def worker():
    w = PermutationWorker()
    assert w.wait_warm(600), "the worker warms up when it starts"
    yield w
    w.shutdown()


def test_worker_results_equal_the_in_process_ones(worker):
    reports, territory = _reports(9), _territory()
    _, here, mine = report_hotspots(reports, territory, cell_size=200, permutations=199, seed=5)
    _, there, theirs = report_hotspots(reports, territory, cell_size=200, permutations=199, seed=5, worker=worker)
    assert theirs.inference == "permutation"
    for name in ("z", "p", "p_fdr"):
        assert np.array_equal(getattr(mine, name), getattr(theirs, name)), name
    assert list(mine.classes) == list(theirs.classes)
    pd.testing.assert_frame_equal(here, there)
    assert (here["class"] != "not_significant").any()  # the comparison is not between two empty results
    # another seed gives other p-values: the seed does cross the pipe
    _, _, other = report_hotspots(reports, territory, cell_size=200, permutations=199, seed=6, worker=worker)
    assert not np.array_equal(other.p, theirs.p)

    grid = build_grid(territory, cell_size=600)
    rng = np.random.default_rng(4)
    cube = rng.poisson(1.0, (len(grid), 12))
    cube[len(grid) // 2, -3:] += np.array([12, 16, 20])
    steps = pd.date_range("2026-01-05", periods=12, freq="W-MON")
    a = emerging_hotspots(grid, cube, steps, permutations=99, seed=3)
    b = emerging_hotspots(grid, cube, steps, permutations=99, seed=3, worker=worker)
    assert np.array_equal(a.z, b.z) and np.array_equal(a.significant, b.significant)
    pd.testing.assert_frame_equal(a.cells, b.cells)
    assert a.significant.any()
    # esda and numba are in the worker only
    assert worker.loaded_modules() == ["esda", "libpysal", "numba"]


def test_sessions_asking_at_once_share_the_one_worker(worker):
    """Script threads of several sessions ask together: each gets its own answer, from the same process."""
    reports, territory = _reports(2), _territory()
    expected = {seed: report_hotspots(reports, territory, cell_size=200, permutations=99, seed=seed)[2]
                for seed in range(4)}
    pid = worker.pid()
    answers: dict[int, object] = {}
    barrier = threading.Barrier(4)

    def ask(seed: int) -> None:
        barrier.wait()
        answers[seed] = report_hotspots(reports, territory, cell_size=200, permutations=99, seed=seed,
                                        worker=worker)[2]

    askers = [threading.Thread(target=ask, args=(seed,)) for seed in range(4)]
    for t in askers:
        t.start()
    for t in askers:
        t.join(300)
    assert sorted(answers) == [0, 1, 2, 3]
    for seed, result in answers.items():
        assert np.array_equal(result.p, expected[seed].p), seed
    assert worker.pid() == pid and worker.restarts == 0


def test_a_killed_worker_fails_the_request_in_progress_and_the_next_one_restarts_it():
    w = PermutationWorker()
    try:
        w.start()
        first = w.pid()
        failure: list[BaseException] = []
        reports = _reports(1)

        def ask() -> None:  # queued behind the warm-up (seconds of compilation), or compiling itself
            try:
                report_hotspots(reports, _territory(), cell_size=200, permutations=99, worker=w)
            except BaseException as exc:
                failure.append(exc)

        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(1.0)
        os.kill(first, signal.SIGKILL)
        asker.join(120)
        assert len(failure) == 1 and isinstance(failure[0], WorkerError), failure
        assert "redémarre" in str(failure[0])
        assert not w.is_warm()
        _, cells, result = report_hotspots(reports, _territory(), cell_size=200, permutations=99, worker=w)
        assert result.inference == "permutation" and len(cells) > 100
        assert w.pid() != first and w.restarts == 1
    finally:
        w.shutdown()
    assert _gone(w.pid() or 0, 10)


_OWNER = """
import sys, time
from geo.analysis.permutation_worker import shared_worker
w = shared_worker()
w.start()
print(w.pid(), flush=True)
if sys.argv[1] == "wait":
    time.sleep(600)
"""


@pytest.mark.parametrize("end", ["normal exit", "kill -9"])
def test_no_worker_outlives_its_server(end):
    owner = subprocess.Popen([sys.executable, "-c", _OWNER, "wait" if end == "kill -9" else "exit"], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        pid = int(owner.stdout.readline())
        assert psutil.pid_exists(pid)
        if end == "kill -9":
            time.sleep(1.0)
            owner.kill()
        owner.wait(60)
        assert _gone(pid, 15), f"worker {pid} still runs after its server's {end}"
    finally:
        owner.kill()
        owner.wait()


def test_a_hung_worker_is_killed_after_its_timeout_and_replaced():
    w = PermutationWorker(timeout_s=4)
    try:
        assert w.wait_warm(600)
        hung = w.pid()
        os.kill(hung, signal.SIGSTOP)  # alive but never answering, as a deadlocked or swapping process
        started = time.monotonic()
        with pytest.raises(WorkerError, match="n'a pas répondu en 4 s"):
            report_hotspots(_reports(2), _territory(), cell_size=200, permutations=99, worker=w)
        assert 4 <= time.monotonic() - started < 30
        assert _gone(hung, 10), "the hung worker is killed, not left behind"
        assert not w.is_started() and w.restarts == 1
        assert w.start() and w.pid() != hung and w.is_alive()  # the next request has a new worker
    finally:
        w.shutdown()


def test_a_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout_s must be a positive number of seconds; got 0"):
        PermutationWorker(timeout_s=0)
