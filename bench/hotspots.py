"""Benchmark the hot spot analyses and the first render of a page showing hot spots.

Prints, each measured in this process unless said otherwise:

(a) Gi* + FDR (999 permutations, esda compiled beforehand: "warm") on about 5,000 cells of a hexagonal grid;
    also the first call in a fresh process (numba's compilation or its on-disk cache) and the analytical
    path the pages use until the compiled code is ready;
(b) emerging hot spots on about 5,000 cells x 104 weeks (199 permutations per week, Mann-Kendall per cell);
(c) in fresh processes with ``AppTest``: cold first render of the Carte page on a store of ``--reports`` demo
    reports, without hot spots and with the hot spot layer already chosen, and whether numba or esda were
    imported in the page's process (they must not: the page uses the analytical inference until the
    permutation worker, a child process, is warm, and then has the worker compute it); with the layer, the
    page process then waits for the worker, reruns (the permutation Gi* from the worker), switches to
    emerging hot spots (per-step permutation Gi* from the worker), and reports the RSS of the page process
    (sampled peak and after each step) and of the worker, each with the load average.

(d) with ``--server``: a real ``streamlit run`` server on the store and a headless Chromium (as
    bench/dashboard.py): a session opens Carte and picks « Points chauds »; new sessions do the same every
    few seconds until the map shows the permutation result (no « provisoire » note); printed: the server
    process's own RSS (sampled peak, and after), the worker's, whether numba/llvmlite/esda files are mapped in
    the server process, then a SIGTERM to the server alone and whether its worker ended too.

Targets: (a) <= 1 s warm, (b) <= 30 s, (c) <= 5 s at 1,000,000 reports with no JIT in the page's process, and
the page (server) process <= 600 MB after drawing hot spots (the worker is a separate process).
Nothing is asserted. Usage::

    .venv/bin/python bench/hotspots.py [--reports 1000000] [--db sqlite:///path] [--skip-page] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import PYTHON, ROOT, git_state

CELLS = 5_000
WEEKS = 104


def _square_territory(cells: int, spacing: float):
    import geopandas as gpd
    from shapely.geometry import box

    from geo.analysis.grid import hexagon_area

    side = (cells * hexagon_area(spacing)) ** 0.5
    x0, y0 = 850_000.0, 6_690_000.0  # Lambert-93, near Dijon (any place works)
    return gpd.GeoDataFrame({"code": ["q"], "name": ["Q"], "population": [1]},
                            geometry=[box(x0, y0, x0 + side, y0 + side)], crs=2154).to_crs(4326)


def bench_gi_star() -> None:
    import numpy as np

    from geo.analysis import jit
    from geo.analysis.grid import build_grid
    from geo.analysis.hotspots import gi_star

    grid = build_grid(_square_territory(CELLS, 150.0), cell_size=150.0)
    rng = np.random.default_rng(1)
    counts = rng.poisson(2.0, len(grid))
    for j in grid.neighbours()[len(grid) // 2]:
        counts[j] += 8
    t = time.perf_counter()
    w = grid.weights()
    t_weights = time.perf_counter() - t
    t = time.perf_counter()
    gi_star(counts, grid.adjacency(), permutations=0)
    t_analytical = time.perf_counter() - t
    t = time.perf_counter()
    jit.warm_up()
    t_warm = time.perf_counter() - t
    times, cpus = [], []
    for seed in range(3):
        t, cpu = time.perf_counter(), time.process_time()
        result = gi_star(counts, w, permutations=999, seed=seed)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - cpu)
    hot = int(sum(c.startswith("hot") for c in result.classes))
    print(f"(a) Gi* + FDR, {len(grid)} cells, 999 permutations: warm {min(times):.2f} s (runs: "
          + ", ".join(f"{x:.2f}" for x in times) + f"; CPU {min(cpus):.2f} s); libpysal weights "
          f"{t_weights:.2f} s; analytical path {t_analytical:.3f} s; first compilation in this process "
          f"(NUMBA_CACHE_DIR={jit.cache_dir()}) {t_warm:.1f} s; {hot} hot cells")


def bench_emerging() -> None:
    import numpy as np
    import pandas as pd

    from geo.analysis import jit
    from geo.analysis.emerging import emerging_hotspots
    from geo.analysis.grid import build_grid

    jit.warm_up()
    grid = build_grid(_square_territory(CELLS, 150.0), cell_size=150.0)
    rng = np.random.default_rng(2)
    cube = rng.poisson(0.3, (len(grid), WEEKS))
    target = len(grid) // 3
    for j in grid.neighbours()[target]:  # a hot spot is a cluster: the cell and its neighbours
        cube[j, -8:] += np.arange(1, 9)
    steps = pd.date_range("2024-01-01", periods=WEEKS, freq="W-MON")
    t, cpu = time.perf_counter(), time.process_time()
    result = emerging_hotspots(grid, cube, steps)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    tested = int((result.cells["trend"] != "not_tested").sum())
    print(f"(b) emerging hot spots, {len(grid)} cells x {WEEKS} weeks, 199 permutations a week: {elapsed:.1f} s "
          f"(CPU {cpu:.1f} s); "
          f"Mann-Kendall on {tested} cells significant at some week; planted cell: "
          f"{result.cells['pattern'].iloc[target]}")


def _worker_page(db_url: str, hotspots: bool) -> None:
    """Time the first render of Carte in this fresh process (AppTest), then report on numba."""
    os.environ["VEILLE_DB_URL"] = db_url
    os.environ["VEILLE_AUTH"] = "off"  # the demo store has accounts: measure the page, not the login form
    import psutil
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    peak = {"rss": 0}
    stop = threading.Event()

    def sample() -> None:  # this process only: the worker is measured on its own
        me = psutil.Process()
        while not stop.is_set():
            peak["rss"] = max(peak["rss"], me.memory_info().rss)
            stop.wait(0.05)

    threading.Thread(target=sample, daemon=True).start()

    def rss_mb() -> int:
        return round(psutil.Process().memory_info().rss / 1e6)

    def phase_peak_mb() -> int:  # the sampled peak since the last call
        value, peak["rss"] = peak["rss"], psutil.Process().memory_info().rss
        return round(value / 1e6)

    def heavy() -> list[str]:
        return sorted(m for m in ("numba", "esda", "libpysal", "llvmlite") if m in sys.modules)

    t0, cpu0 = time.perf_counter(), time.process_time()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=1200)
    at.switch_page("pages/carte.py")
    if hotspots:
        at.session_state["carte_points_chauds"] = "hotspots"
    at.run()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    from geo.analysis.permutation_worker import shared_worker

    worker = shared_worker()
    captions = [c.value for c in at.caption]
    figure = {
        "seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2), "exceptions": [str(e.value) for e in at.exception],
        "load": round(os.getloadavg()[0], 2), "rss_mb": rss_mb(), "peak_rss_mb_first_render": phase_peak_mb(),
        "heavy_modules_here": heavy(),
        "worker_started": worker.is_started(),
        "analytical_note": any("provisoire" in c for c in captions),
        "hot_caption": next((c[:60] for c in captions if "point(s) chaud" in c), None),
    }
    if hotspots:
        t = time.perf_counter()
        figure["worker_warm"] = worker.wait_warm(1200)
        figure["worker_warm_up_s"] = round(time.perf_counter() - t, 1)
        figure["load_after_warm_up"] = round(os.getloadavg()[0], 2)
        worker_proc = psutil.Process(worker.pid())
        t = time.perf_counter()
        at.run()  # the permutation Gi* now comes from the worker
        captions = [c.value for c in at.caption]
        figure["permutation_rerun_s"] = round(time.perf_counter() - t, 2)
        figure["permutation_shown"] = not any("provisoire" in c for c in captions) and any(
            "point(s) chaud" in c for c in captions)
        figure["rss_mb_after_permutation"] = rss_mb()
        figure["peak_rss_mb_warm_up_and_permutation"] = phase_peak_mb()
        figure["worker_rss_mb"] = round(worker_proc.memory_info().rss / 1e6)
        t = time.perf_counter()
        at.radio(key="carte_points_chauds").set_value("emerging").run()
        figure["emerging_s"] = round(time.perf_counter() - t, 2)
        figure["emerging_exceptions"] = [str(e.value) for e in at.exception]
        figure["rss_mb_after_emerging"] = rss_mb()
        figure["peak_rss_mb_emerging"] = phase_peak_mb()
        figure["worker_rss_mb_after_emerging"] = round(worker_proc.memory_info().rss / 1e6)
        figure["load_at_end"] = round(os.getloadavg()[0], 2)
        figure["heavy_modules_here_at_end"] = heavy()
    stop.set()
    figure["peak_rss_mb"] = round(peak["rss"] / 1e6)
    print(json.dumps(figure, ensure_ascii=False))


def bench_layer(db_url: str) -> None:
    """Time the hot spot layer's own work on every stored report (analytical path, as on a first render)."""
    from geo.analysis.hotspots import report_hotspots
    from geo.store.database import Store

    store = Store(db_url)
    reports = store.read_reports(columns=("lat", "lon", "neighbourhood"))
    t, cpu = time.perf_counter(), time.process_time()
    grid, cells, _ = report_hotspots(reports, store.load_territory(), permutations=0)
    print(f"(c) hot spot layer's work on {len(reports):,} reports (grid, counts, analytical Gi*, FDR): "
          f"{time.perf_counter() - t:.2f} s (CPU {time.process_time() - cpu:.2f} s), {len(cells)} cells of "
          f"{grid.cell_size_m:.0f} m")


def bench_page(db_url: str) -> None:
    for hotspots in (False, True):
        env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="numba-empty-"))  # nothing cached
        out = subprocess.run([PYTHON, __file__, "--worker-page", db_url] + (["--hotspots"] if hotspots else []),
                             capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        figure = json.loads(lines[-1]) if lines else {"error": out.stderr[-2000:]}
        label = "with the hot spot layer" if hotspots else "without hot spots  "
        print(f"(c) cold first render of Carte {label}: {json.dumps(figure, ensure_ascii=False)}")
        shutil.rmtree(env["NUMBA_CACHE_DIR"], ignore_errors=True)


def _own_rss_sampler(pid: int) -> tuple[dict, threading.Event]:
    """Sample the RSS of process ``pid`` alone (not its children) in a thread: ``{"peak": bytes}``."""
    import psutil

    out = {"peak": 0}
    stop = threading.Event()

    def run() -> None:
        proc = psutil.Process(pid)
        while not stop.is_set():
            try:
                out["peak"] = max(out["peak"], proc.memory_info().rss)
            except psutil.Error:
                return
            stop.wait(0.05)

    threading.Thread(target=run, daemon=True).start()
    return out, stop


def _carte_with_hotspots(browser, url: str, timeout_ms: int) -> dict:
    """Open Carte in a new session, pick « Points chauds »; return the seconds and whether it is provisional."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"{url}/carte", wait_until="commit", timeout=timeout_ms)
        page.get_by_text("Points chauds", exact=True).first.click(timeout=timeout_ms)
        page.get_by_text("point(s) chaud(s) sur").first.wait_for(state="visible", timeout=timeout_ms)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)
        seconds = time.perf_counter() - start
        provisional = page.get_by_text("Calcul rapide provisoire").count() > 0
        warned = page.get_by_text("il redémarre").count() > 0
        return {"seconds": round(seconds, 2), "provisional": provisional, "worker_stopped_message": warned}
    finally:
        context.close()


def bench_server(db_url: str, *, timeout_s: float = 600) -> None:
    import importlib.util

    import psutil
    from playwright.sync_api import sync_playwright

    spec = importlib.util.spec_from_file_location("bench_dashboard", Path(__file__).with_name("dashboard.py"))
    board = importlib.util.module_from_spec(spec)  # bench/dashboard.py, not the app's dashboard.py
    spec.loader.exec_module(board)
    CHROMIUM, CHROMIUM_ARGS, app_server = board.CHROMIUM, board.CHROMIUM_ARGS, board.app_server

    log = Path(tempfile.mkdtemp(prefix="bench-hotspots-server-")) / "server.log"
    heavy = ("numba", "llvmlite", "esda")
    with app_server(db_url, log) as (url, _startup, _peak), sync_playwright() as pw:
        server = psutil.Process(_peak.pid)
        own, stop = _own_rss_sampler(server.pid)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        tries = []
        try:
            tries.append(_carte_with_hotspots(browser, url, int(timeout_s * 1000)))
            print(f"(d) real server, first Carte with « Points chauds »: {json.dumps(tries[0])}; server RSS "
                  f"{server.memory_info().rss / 1e6:.0f} MB; load {os.getloadavg()[0]:.2f}", flush=True)
            t = time.perf_counter()
            while tries[-1]["provisional"] and time.perf_counter() - t < timeout_s:
                time.sleep(5)
                tries.append(_carte_with_hotspots(browser, url, int(timeout_s * 1000)))
            waited = time.perf_counter() - t
        finally:
            browser.close()
        workers = [c for c in server.children(recursive=True) if "permutation_worker" in " ".join(c.cmdline())]
        mapped = sorted({Path(m.path).name for m in server.memory_maps() if any(h in m.path for h in heavy)})
        stop.set()
        figure = {
            "permutation_shown_after_s": round(waited, 1), "sessions": len(tries), "last": tries[-1],
            "server_rss_mb": round(server.memory_info().rss / 1e6), "server_own_peak_rss_mb": round(own["peak"] / 1e6),
            "worker_rss_mb": [round(w.memory_info().rss / 1e6) for w in workers],
            "heavy_files_mapped_in_server": mapped, "load": round(os.getloadavg()[0], 2),
        }
        print(f"(d) real server once the permutation layer is shown: {json.dumps(figure)}", flush=True)
        server.send_signal(signal.SIGTERM)  # the server alone: its worker must end with it
        try:
            server.wait(30)
        except psutil.TimeoutExpired:
            print("(d) the server did not stop within 30 s of SIGTERM")
        left = [w.pid for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
        print(f"(d) after SIGTERM to the server: worker processes still running: {left}")


def _build_store(reports: int) -> tuple[str, Path]:
    from geo.demo.build import build_demo_store
    from geo.settings import DATA_DIR
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    folder = Path(tempfile.mkdtemp(prefix="bench-hotspots-"))
    url = f"sqlite:///{folder / 'demo.sqlite'}"
    t = time.perf_counter()
    store = Store(url)
    build_demo_store(store, taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), reports=reports, seed=42)
    store.engine.dispose()
    print(f"store of {reports:,} demo reports built in {time.perf_counter() - t:.0f} s: {url}")
    return url, folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", help="an existing store to use for (c)")
    parser.add_argument("--skip-page", action="store_true")
    parser.add_argument("--only-page", action="store_true", help="(c) only")
    parser.add_argument("--keep", action="store_true", help="keep the store built for (c)")
    parser.add_argument("--server", action="store_true", help="(d): a real server and a headless Chromium")
    parser.add_argument("--only-server", action="store_true", help="(d) only, on --db")
    parser.add_argument("--worker-page", help=argparse.SUPPRESS)
    parser.add_argument("--hotspots", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.worker_page:
        _worker_page(args.worker_page, args.hotspots)
        return 0
    print(f"{git_state()} · load average {os.getloadavg()[0]:.2f} · {os.cpu_count()} cores")
    if args.only_server:
        bench_server(args.db)
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
        return 0
    if not args.only_page:
        bench_gi_star()
        bench_emerging()
    if not args.skip_page:
        folder = None
        url = args.db
        if not url:
            url, folder = _build_store(args.reports)
        bench_layer(url)
        bench_page(url)
        if args.server:
            bench_server(url)
        if folder and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
