"""Memory of an app instance: a fresh process renders Carte, Accueil, Tendances and Signalements (AppTest).

For each store URL given, a worker process (a fresh Python, as a new Streamlit instance) runs the dashboard with
``AppTest`` and renders, in order: Carte, Accueil, Signalements, Tendances with the default filter (« Tout »),
then Accueil and Carte again with the Période « 12 derniers mois » (a filtered selection). After each page it
reads ``/proc/self/status``:

- ``rss``: resident memory (what ``ps`` shows);
- ``anon``: its anonymous part (heap: what grows with the data the process copied; never shared);
- ``file``: its file-backed part (memory-mapped snapshot pages and libraries: shared by the instances of a
  host, dropped by the kernel under pressure and read again on demand);
- ``hwm``: the peak resident memory so far.

Figures are printed with the load average (2 cores shared: other jobs skew the seconds, not the memory).

Usage::

    .venv/bin/python bench/memory.py URL [URL ...] [--skip signalements]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import PYTHON, ROOT, git_state

APP = ROOT / "dashboard.py"
PAGES = ("pages/carte.py", "pages/accueil.py", "pages/signalements.py", "pages/tendances.py")
FILTERED_PERIOD = "12 derniers mois"


def _status() -> dict[str, int]:
    """Return RSS, its anonymous and file-backed parts and the peak RSS of this process, in bytes."""
    wanted = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file", "VmHWM": "hwm"}
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in wanted:
            out[wanted[key]] = int(value.split()[0]) * 1024
    return out


def _navigation_only() -> None:
    """As tests/pages/conftest.py: keep ``st.navigation`` in charge across AppTest runs."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def run_pages(db_url: str, *, skip: tuple[str, ...] = ()) -> None:
    """Render the pages in this fresh process; print one JSON line of figures."""
    os.chdir(ROOT)
    os.environ["VEILLE_DB_URL"] = db_url
    os.environ["VEILLE_AUTH"] = "off"  # measure the pages, not the login form
    from streamlit.testing.v1 import AppTest

    _navigation_only()
    at = AppTest.from_file(str(APP), default_timeout=900)
    steps = [{"step": "start", **_status()}]

    def render(page: str, label: str) -> None:
        at.switch_page(page)
        start = time.perf_counter()
        at.run()
        if at.exception:
            raise RuntimeError(f"{label}: the page raised {[e.value for e in at.exception]}")
        steps.append({"step": label, "seconds": time.perf_counter() - start, **_status()})

    for page in PAGES:
        if Path(page).stem not in skip:
            render(page, Path(page).stem)
    at.selectbox(key="filtre_periode").set_value(FILTERED_PERIOD)
    render("pages/accueil.py", f"accueil ({FILTERED_PERIOD})")
    render("pages/carte.py", f"carte ({FILTERED_PERIOD})")
    print(json.dumps(steps))


def measure(db_url: str, *, skip: tuple[str, ...] = ()) -> list[dict]:
    """Run :func:`run_pages` in a fresh process; return its steps."""
    extra = [f"--skip={name}" for name in skip]
    done = subprocess.run([PYTHON, __file__, "--worker", db_url, *extra], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"the worker failed: {done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip", action="append", default=[], choices=[Path(p).stem for p in PAGES],
                        help="leave a page out (the code before this branch's Signalements took 6.8 GB at 1M)")
    args = parser.parse_args(argv)
    if args.worker:
        run_pages(args.urls[0], skip=tuple(args.skip))
        return 0
    print(f"code: {git_state()}   cores: {os.cpu_count()}")
    for url in args.urls:
        shown = url.split("@")[-1]
        print(f"\n== {shown}   load average before: {os.getloadavg()}")
        for step in measure(url, skip=tuple(args.skip)):
            seconds = f"{step['seconds']:6.1f} s" if "seconds" in step else "        "
            print(f"  {step['step']:<32} {seconds}  RSS {step['rss'] / 1e6:7.1f} MB  (anon {step['anon'] / 1e6:7.1f}, "
                  f"file {step['file'] / 1e6:6.1f})  peak {step['hwm'] / 1e6:7.1f} MB")
        print(f"   load average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
