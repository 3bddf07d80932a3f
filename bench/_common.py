"""Helpers shared by the bench scripts: peak-RSS sampling, sizes, project paths, profiler output."""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "bench" / "out"
PYTHON = sys.executable

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class PeakRSS:
    """Sample the resident memory of a process (and its children) in a thread; keep the maximum.

    Use as a context manager, or ``start()`` / ``stop()``. ``peak`` is in bytes.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.01) -> None:
        self.pid = pid if pid is not None else os.getpid()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        try:
            proc = psutil.Process(self.pid)
            total = proc.memory_info().rss
            for child in proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def start(self) -> PeakRSS:
        self.peak = self._sample()
        self._thread.start()
        return self

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak

    def __enter__(self) -> PeakRSS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def mb(n: float | None) -> str:
    """Format a byte count as MB (10^6) with one decimal."""
    return "n/a" if n is None else f"{n / 1e6:,.1f} MB"


def maxrss_bytes(usage_kb: int) -> int:
    """``ru_maxrss`` is in kilobytes on Linux."""
    return int(usage_kb) * 1024


def git_state() -> str:
    """Return ``<short sha> (+N modified)`` of the working tree, to date the figures."""
    import subprocess

    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "geo", "ui", "pages", "dashboard.py"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha} (+{len(dirty)} modified/new files in geo/ ui/ pages/)"


class Timer:
    """``with Timer() as t: ...``; then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def make_profiler():
    """Return ``(kind, start, stop)`` using pyinstrument when installed, else cProfile.

    ``stop(path_stem, top)`` writes the reports and returns ``{"self": [...], "tree": [...]}``: the top
    functions by self time and the call tree above 3 % of the total (pyinstrument only).
    """
    try:
        import pyinstrument
    except ImportError:
        pyinstrument = None
    if pyinstrument is not None:
        profiler = pyinstrument.Profiler(interval=0.001)

        def stop(path_stem: Path, top: int = 25) -> list[str]:
            session = profiler.stop()
            path_stem.parent.mkdir(parents=True, exist_ok=True)
            text = profiler.output_text(unicode=True, color=False, show_all=False)
            path_stem.with_suffix(".txt").write_text(text, encoding="utf-8")
            path_stem.with_suffix(".html").write_text(profiler.output_html(), encoding="utf-8")
            return {"self": _pyinstrument_self_times(session, top), "tree": _pyinstrument_tree(session)}

        return "pyinstrument", profiler.start, stop
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()

    def stop_cprofile(path_stem: Path, top: int = 25) -> list[str]:
        prof.disable()
        path_stem.parent.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(path_stem.with_suffix(".prof")))
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(top)
        path_stem.with_suffix(".txt").write_text(buf.getvalue(), encoding="utf-8")
        return {"self": buf.getvalue().splitlines(), "tree": []}

    return "cProfile", prof.enable, stop_cprofile


def _pyinstrument_self_times(session, top: int) -> list[str]:
    """Aggregate pyinstrument's tree into self time per function (like cProfile's tottime)."""
    root = session.root_frame()
    if root is None:
        return []
    self_time: dict[str, float] = defaultdict(float)
    total = root.time

    def walk(frame) -> None:
        children = [c for c in frame.children if not c.is_synthetic]
        key = f"{frame.function}  {_short_path(frame.file_path)}:{frame.line_no}"
        self_time[key] += max(frame.time - sum(c.time for c in children), 0.0)
        for child in children:
            walk(child)

    walk(root)
    rows = sorted(self_time.items(), key=lambda kv: -kv[1])[:top]
    return [f"{secs:7.2f} s  {100 * secs / total:5.1f} %  {name}" for name, secs in rows]


def _pyinstrument_tree(session, min_share: float = 0.03, max_depth: int = 14) -> list[str]:
    """Return the call tree (cumulative times), keeping frames above ``min_share`` of the total.

    Sibling frames of the same function (e.g. one per chunk) are merged.
    """
    root = session.root_frame()
    if root is None:
        return []
    total = root.time or 1.0
    lines: list[str] = []

    def key(frame) -> tuple:
        return (frame.function, frame.file_path, frame.line_no)

    def walk(frames: list, depth: int) -> None:
        first = frames[0]
        time_ = sum(f.time for f in frames)
        # importlib's machinery says nothing: show the module being imported at the same depth
        hidden = "<frozen" in (first.file_path or "") or first.function == "_call_with_frames_removed"
        if not hidden:
            lines.append(f"{time_:7.2f} s {100 * time_ / total:5.1f} %  {'  ' * depth}{first.function}  "
                         f"{_short_path(first.file_path)}:{first.line_no}")
        if depth >= max_depth:
            return
        groups: dict[tuple, list] = {}
        for frame in frames:
            for child in frame.children:
                if not child.is_synthetic:
                    groups.setdefault(key(child), []).append(child)
        for group in sorted(groups.values(), key=lambda g: -sum(f.time for f in g)):
            if sum(f.time for f in group) >= min_share * total:
                walk(group, depth if hidden else depth + 1)

    walk([root], 0)
    return lines


def _short_path(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def time_calls(target: str, label: str, record) -> bool:
    """Wrap ``module:function`` or ``module:Class.method`` so that each call reports ``record(label, seconds)``.

    Returns False when the target does not exist (or is already wrapped).
    """
    module_name, attr = target.split(":")
    try:
        owner = importlib.import_module(module_name)
    except ImportError:
        return False
    name = attr
    if "." in attr:
        cls_name, name = attr.split(".")
        owner = getattr(owner, cls_name, None)
    original = getattr(owner, name, None) if owner is not None else None
    if original is None or getattr(original, "_bench_wrapped", False):
        return False

    @functools.wraps(original)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            record(label, time.perf_counter() - start)

    timed._bench_wrapped = True
    setattr(owner, name, timed)
    return True
