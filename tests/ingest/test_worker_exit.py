"""Validation workers die with their import: a real ``python -m geo import`` killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from geo.ingest.pipeline import PARALLEL_MIN_BYTES
from geo.settings import PROJECT_ROOT
from geo.store.staging import SCRATCH_PREFIX

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2,
                                reason="worker processes start only with two cores or more (Linux test)")

EXIT_SECONDS = 10


def big_csv(path: Path) -> Path:
    """Write a CSV larger than :data:`PARALLEL_MIN_BYTES`, so that the import starts worker processes."""
    line = "{i};2026-03-{d:02d} 10:{m:02d};tags;47.3{i:06d};5.0{i:06d};une description assez longue {i}\n"
    rows = []
    size, i = 0, 0
    while size < PARALLEL_MIN_BYTES * 3:
        rows.append(line.format(i=i, d=i % 28 + 1, m=i % 60))
        size += len(rows[-1])
        i += 1
    path.write_text("id;date;categorie;latitude;longitude;description\n" + "".join(rows), encoding="utf-8")
    return path


def scratch_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.glob(f"{SCRATCH_PREFIX}*/**/*") if f.is_file())


def alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_workers_and_resource_tracker_exit_when_the_import_is_killed(tmp_path):
    path = big_csv(tmp_path / "gros.csv")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    db = f"sqlite:///{tmp_path / 'veille.sqlite'}"
    importer = subprocess.Popen([sys.executable, "-m", "geo", "--db", db, "import", str(path)], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: list[psutil.Process] = []
    try:
        parent = psutil.Process(importer.pid)
        deadline = time.monotonic() + 60
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and importer.poll() is None:
            children = parent.children(recursive=True)
            workers = [c for c in children if "spawn_main" in " ".join(c.cmdline())]
            # a worker's staging file: it is started and validating
            if workers and list(tmp_path.glob(f"{SCRATCH_PREFIX}*/**/worker-*")):
                break
            time.sleep(0.05)
        assert importer.poll() is None, "the import ended before its workers could be seen: file too small?"
        assert workers, "no worker process was started"
        children = parent.children(recursive=True)
        assert any("resource_tracker" in " ".join(c.cmdline()) for c in children)
        os.kill(importer.pid, signal.SIGKILL)
        importer.wait(timeout=10)

        deadline = time.monotonic() + EXIT_SECONDS
        while time.monotonic() < deadline and any(alive(c) for c in children):
            time.sleep(0.1)
        left = [(c.pid, " ".join(c.cmdline())[:80]) for c in children if alive(c)]
        assert left == [], f"still running {EXIT_SECONDS} s after the import was killed"

        size = scratch_size(tmp_path)
        time.sleep(2)
        assert scratch_size(tmp_path) == size  # nothing writes into the scratch folder any more
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait()
        for child in children:  # whatever outlived a failed test, not left behind
            if alive(child):
                child.kill()
    # the next import removes the abandoned scratch folder, as before
    small = tmp_path / "petit.csv"
    small.write_text("date;categorie;latitude;longitude\n2026-03-02 10:00;tags;47.34;5.04\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "geo", "--db", db, "import", str(small)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not list(tmp_path.glob(f"{SCRATCH_PREFIX}*"))


def test_a_worker_whose_parent_died_during_its_start_exits_at_once(tmp_path):
    """The parent's death before the signal was armed: the worker sees another parent and leaves."""
    code = ("import os, time\n"
            "from geo.ingest.pipeline import _die_with_parent\n"
            "_die_with_parent(os.getppid() + 100_000)\n"  # not this process's parent: as if it had died
            "print('still here')\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1 and "still here" not in done.stdout, done.stderr


def test_the_watcher_ends_a_worker_whose_parent_dies(tmp_path):
    """Without the kernel's signal (another system), the watching thread ends the orphan within a second."""
    child = ("import os, sys, time\n"
             "from geo.ingest import pipeline\n"
             "pipeline._PR_SET_PDEATHSIG = 0\n"  # prctl(0, …) does nothing: only the watcher is left
             "pipeline._die_with_parent(os.getppid())\n"
             "print(os.getpid(), flush=True)\n"
             "time.sleep(60)\n")
    middle = ("import subprocess, sys, time\n"
              f"subprocess.Popen([sys.executable, '-c', {child!r}])\n"
              "time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    parent = subprocess.Popen([sys.executable, "-c", middle], env=env, stdout=subprocess.PIPE, text=True)
    process = None
    try:
        process = psutil.Process(int(parent.stdout.readline()))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and alive(process):
            time.sleep(0.05)
        assert not alive(process)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        if process is not None and alive(process):
            process.kill()
