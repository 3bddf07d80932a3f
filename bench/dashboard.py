"""Benchmark the Carte page on a store of 1,000,000 demo reports.

Measures, each in a fresh process so that nothing is imported or cached beforehand:

(a) cold first render of the Carte page with ``AppTest`` (``dashboard.py`` switched to ``pages/carte.py``
    before its first run, ``PagesManager.uses_pages_directory`` forced off as in tests/pages/conftest.py);
(b) warm reruns: the same script again, a new filter (a registre), that filter again, a second registre,
    the first one again (seen before), then all four layers and that again;
(c) bytes sent to the ``streamlit_folium`` component (``json_args`` of the ComponentInstance) for the
    default layers, each single layer and all four, plus the standalone folium HTML and its build/render
    times outside Streamlit;
(d) time until the map is visible in Chromium: ``streamlit run dashboard.py`` on 127.0.0.1, /carte opened
    with Playwright (Debian's /usr/bin/chromium, every non-local request aborted), from navigation to
    ``.leaflet-container`` visible inside the frame titled ``streamlit_folium.st_folium``; first load on a
    fresh server (cold caches), then a new browser context (new session, warm caches).

Plus a profile of the cold run and of a warm rerun (pyinstrument if installed, else cProfile), written to
``bench/out/dashboard_{cold,warm}_profile.{txt,html}``. Figures are printed; nothing is asserted.
Targets: warm rerun <= 0.3 s, map HTML <= 1.5 MB, cold <= 5 s.

Usage::

    .venv/bin/python bench/dashboard.py [--reports 1000000] [--db sqlite:///path] [--keep] [--skip-browser]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT_DIR, PYTHON, ROOT, PeakRSS, Timer, git_state, make_profiler, mb, time_calls

APP = ROOT / "dashboard.py"
CARTE = "pages/carte.py"
COMPONENT = "streamlit_folium.st_folium"
MAP_FRAME = f'iframe[title="{COMPONENT}"]'
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
ALL_LAYERS = ["choropleth", "heat", "points", "hexagons"]
FILTER_A = ["veille_technique"]
FILTER_B = ["veille_sociale"]


# --------------------------------------------------------------------------------------------------
# AppTest worker (runs in its own process)
# --------------------------------------------------------------------------------------------------
def _navigation_only() -> None:
    """As tests/pages/conftest.py: keep ``st.navigation`` in charge across AppTest runs."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def _elements(node) -> list:
    out = []
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            out.append(child)
            out.extend(_elements(child))
    return out


def _component(at) -> dict | None:
    """Return the st_folium ComponentInstance's sizes, or None when the page drew no map."""
    for element in _elements(at._tree):
        proto = getattr(element, "proto", None)
        if getattr(element, "type", None) == "component_instance" and proto is not None \
                and proto.component_name == COMPONENT:
            raw = proto.json_args
            args = json.loads(raw)
            parts = {k: len(v.encode("utf-8")) for k, v in args.items() if isinstance(v, str) and len(v) > 200}
            return {"json_args_bytes": len(raw.encode("utf-8")), "parts": parts,
                    "special_args_bytes": sum(len(a.bytes) for a in proto.special_args)}
    return None


def _check(at, label: str) -> None:
    if at.exception:
        raise RuntimeError(f"{label}: the page raised {[e.value for e in at.exception]}")


class _StepTimes:
    """Wrap a few functions (after the page imported them) to time the steps of a rerun."""

    TARGETS: tuple[tuple[str, str], ...] = (
        ("geo.store.database:Store.read_reports", "Store.read_reports (1M rows from SQLite)"),
        ("geo.store.database:Store.data_version", "Store.data_version"),
        ("geo.store.database:Store.load_territory", "Store.load_territory"),
        ("geo.store.database:Store.read_reports_by_id", "Store.read_reports_by_id (descriptions)"),
        ("ui.loaders:apply_filter", "apply_filter"),
        ("ui.maps:build_map", "build_map (folium objects)"),
        ("ui.maps:use_local_assets", "use_local_assets"),
        ("pages_carte:st_folium", "st_folium (render + leaflet string + component)"),
        ("streamlit_folium:_get_map_string", "  streamlit_folium._get_map_string"),
        ("ui.filters:show_filters", "show_filters (sidebar)"),
    )

    def __init__(self) -> None:
        self.times: dict[str, float] = defaultdict(float)
        self.installed: list[str] = []

    def install(self) -> None:
        def record(label: str, seconds: float) -> None:
            self.times[label] += seconds

        for target, label in self.TARGETS:
            # the page module is re-executed on each run: patch the name it imports instead
            if time_calls(target.replace("pages_carte:", "streamlit_folium:"), label, record):
                self.installed.append(label)

    def take(self) -> dict[str, float]:
        out = {k: round(v, 4) for k, v in self.times.items()}
        self.times.clear()
        return out


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _first_render(at, page: str | None = None) -> dict:
    """Run the script once (after switching to ``page``); return wall and CPU seconds and the RSS after it.

    CPU is this process's (every thread), which the other jobs on a shared machine skew much less than wall.
    """
    if page:
        at.switch_page(page)
    wall, cpu = time.perf_counter(), time.process_time()
    at.run()
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu, "rss_after": _rss()}


def apptest_worker(db_url: str, profile: bool, cold_only: bool = False) -> None:
    """Measure (a), (b), (c) in this fresh process; print one JSON line.

    With ``cold_only``: only the cold first render of Carte, then the first render of Accueil in the same
    process (wall, CPU, RSS after each).
    """
    os.chdir(ROOT)
    os.environ["VEILLE_DB_URL"] = db_url
    os.environ["VEILLE_AUTH"] = "off"  # the demo store has accounts: measure the page, not the login form
    result: dict = {}
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    result["import_streamlit_testing_s"] = time.perf_counter() - t0
    _navigation_only()
    profiler_hook = _ThreadProfiler() if profile else None

    at = AppTest.from_file(str(APP), default_timeout=600)
    result["rss_before"] = _rss()
    if profiler_hook:
        profiler_hook.arm("dashboard_cold_profile")
    # switched before the first run: the first run renders the Carte page itself
    result["cold"] = _first_render(at, CARTE)
    _check(at, "cold run")
    result["cold"].update(map=_component(at), title=[e.value for e in at.title])
    if cold_only:
        result["accueil"] = _first_render(at, "pages/accueil.py")
        _check(at, "Accueil")
        result["accueil"]["title"] = [e.value for e in at.title]
        print(json.dumps(result, ensure_ascii=False, default=str))
        return
    if profiler_hook:
        result["cold_profile"] = profiler_hook.result()
        result["profiler"] = profiler_hook.kind

    steps = _StepTimes()
    steps.install()  # the modules are imported now; wrap their functions for the warm runs
    result["wrapped"] = steps.installed

    def rerun(label: str, action=None) -> None:
        if action:
            action()
        with Timer() as t:
            at.run()
        _check(at, label)
        comp = _component(at)
        result.setdefault("reruns", []).append({
            "label": label, "seconds": t.seconds, "map_bytes": comp["json_args_bytes"] if comp else None,
            "steps": steps.take(),
        })

    if not profile:
        rerun("rerun, nothing changed")
        rerun("rerun, nothing changed (again)")
        rerun(f"new filter: registre {FILTER_A}", lambda: at.multiselect(key="filtre_registres").set_value(FILTER_A))
        rerun(f"same filter again: registre {FILTER_A}")
        rerun(f"new filter: registre {FILTER_B}", lambda: at.multiselect(key="filtre_registres").set_value(FILTER_B))
        rerun(f"seen filter again: registre {FILTER_A}",
              lambda: at.multiselect(key="filtre_registres").set_value(FILTER_A))
        rerun("filter cleared (seen: no filter)", lambda: at.multiselect(key="filtre_registres").set_value([]))

        sizes = {"default (choropleth + points)": _component(at)}
        # one colouring layer at a time (a radio), points on or off (a toggle)
        for colour in ("choropleth", "heat", "hexagons"):
            rerun(f"colour layer {colour} + points (new map)",
                  lambda colour=colour: at.radio(key="carte_couleur").set_value(colour))
            sizes[f"{colour} + points"] = _component(at)
        rerun("hexagons, points off (new map)", lambda: at.toggle(key="carte_points").set_value(False))
        sizes["only hexagons"] = _component(at)
        at.toggle(key="carte_points").set_value(True)
        rerun("hexagons + points again (map cached)")
        result["sizes"] = sizes
        result["standalone"] = _standalone_maps(db_url)
    else:
        # profile one warm rerun (same filter, map cached): where do the warm seconds go?
        at.run()
        profiler_hook.arm("dashboard_warm_profile")
        with Timer() as t:
            at.run()
        result["warm_profile"] = profiler_hook.result()
        result["warm_profiled_seconds"] = t.seconds
    print(json.dumps(result, ensure_ascii=False, default=str))


class _ThreadProfiler:
    """Profile the next script run: AppTest executes the page in its own thread."""

    def __init__(self) -> None:
        from streamlit.testing.v1 import local_script_runner

        self.stem: str | None = None
        self.hotspots: dict = {}
        self.kind = ""
        runner = local_script_runner.LocalScriptRunner
        original = runner._run_script_thread
        hook = self

        def run_thread(runner_self, *args, **kwargs):
            if hook.stem is None:
                return original(runner_self, *args, **kwargs)
            kind, start, stop = make_profiler()
            hook.kind = kind
            start()
            try:
                return original(runner_self, *args, **kwargs)
            finally:
                hook.hotspots = stop(OUT_DIR / hook.stem, 30)
                hook.stem = None

        runner._run_script_thread = run_thread

    def arm(self, stem: str) -> None:
        self.stem = stem

    def result(self) -> dict:
        return self.hotspots


def _standalone_maps(db_url: str) -> dict:
    """Build the map outside Streamlit: build_map and folium render times, HTML bytes."""
    from geo.maps.assets import use_local_assets
    from geo.maps.explorer import build_map
    from geo.settings import load_settings
    from geo.store.database import READ_COLUMNS, Store
    from geo.taxonomy import load_taxonomy

    out: dict = {}
    store = Store(db_url)
    with Timer() as t:
        reports = store.read_reports(columns=READ_COLUMNS, timezone=load_settings().timezone)
    out["read_reports_s"] = t.seconds
    out["reports_frame_bytes"] = int(reports.memory_usage(deep=True).sum())
    territory = store.load_territory()
    tax = load_taxonomy(load_settings().taxonomy_path)
    labels = {code: cat.label for code, cat in tax.categories.items()}
    recent = reports.nlargest(2000, "observed_at")
    with Timer() as t:
        details = store.read_reports_by_id(recent["id"].tolist(), columns=("id", "description")) \
            .set_index("id")["description"]
        with_text = reports.assign(description=reports["id"].map(details))
    out["descriptions_s"] = t.seconds
    for name, layers in (("default", ["choropleth", "points"]), ("all four", ALL_LAYERS)):
        with Timer() as build:
            fmap = build_map(territory, with_text, layers=layers, labels=labels)
        try:
            from ui.offline import register_assets

            use_local_assets(fmap, roots=register_assets())
        except Exception:
            pass
        with Timer() as render:
            html = fmap.get_root().render()
        out[name] = {"build_map_s": build.seconds, "render_s": render.seconds,
                     "html_bytes": len(html.encode("utf-8"))}
    return out


def run_apptest_worker(db_url: str, profile: bool, cold_only: bool = False) -> dict:
    cmd = [PYTHON, __file__, "--worker", "apptest", "--db", db_url] + (["--profile-worker"] if profile else []) \
        + (["--cold-only"] if cold_only else [])
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(proc.pid).start()
    out, err = proc.communicate()
    peak.stop()
    if proc.returncode != 0:
        print(err[-5000:], file=sys.stderr)
        raise SystemExit(f"AppTest worker failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    result["peak_rss"] = peak.peak
    return result


# --------------------------------------------------------------------------------------------------
# Browser (d)
# --------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def app_server(db_url: str, log: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VEILLE_DB_URL": db_url, "PYTHONUNBUFFERED": "1", "VEILLE_AUTH": "off"}
    cmd = [PYTHON, "-m", "streamlit", "run", "dashboard.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    peak = PeakRSS(proc.pid, interval=0.05).start()
    start = time.perf_counter()
    try:
        while not _healthy(url):
            if proc.poll() is not None or time.perf_counter() - start > 90:
                raise SystemExit(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield url, time.perf_counter() - start, peak
    finally:
        peak.stop()
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # the group started above, nothing else
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def _server_usage(pid: int) -> tuple[float, int]:
    """Return the CPU seconds used so far by the server process (and its children) and its RSS now."""
    import psutil

    proc = psutil.Process(pid)
    times = proc.cpu_times()
    cpu = times.user + times.system + times.children_user + times.children_system
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            cpu += sum(child.cpu_times()[:2])
    return cpu, proc.memory_info().rss


def _load_accueil(browser, url: str, timeout_ms: int) -> dict:
    """Open / (Accueil) in a new context; time until its last block (« Plus fortes hausses ») is drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    context.route("**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname in LOCAL_HOSTS
                  else r.abort("internetdisconnected"))
    page = context.new_page()
    try:
        start = time.perf_counter()
        page.goto(f"{url}/", wait_until="commit", timeout=timeout_ms)
        page.get_by_text("Plus fortes hausses").first.wait_for(state="visible", timeout=timeout_ms)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=timeout_ms)
        return {"seconds": time.perf_counter() - start}
    finally:
        context.close()


def _load_map(browser, url: str, timeout_ms: int) -> dict:
    """Open /carte in a new context (a new Streamlit session); time until the map is visible."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    blocked: list[str] = []
    ws_bytes = [0, 0]  # received, largest frame

    def route(r) -> None:
        if urlsplit(r.request.url).hostname in LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort("internetdisconnected")

    def on_ws(ws) -> None:
        def frame(payload) -> None:
            size = len(payload) if isinstance(payload, (bytes, bytearray)) else len(payload.encode("utf-8"))
            ws_bytes[0] += size
            ws_bytes[1] = max(ws_bytes[1], size)
        ws.on("framereceived", frame)

    context.route("**/*", route)
    page = context.new_page()
    page.on("websocket", on_ws)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    result: dict = {}
    try:
        start = time.perf_counter()
        page.goto(f"{url}/carte", wait_until="commit", timeout=timeout_ms)
        page.locator('[data-testid="stApp"]').first.wait_for(state="attached", timeout=timeout_ms)
        result["app_shell_s"] = time.perf_counter() - start
        page.locator(MAP_FRAME).wait_for(state="attached", timeout=timeout_ms)
        result["frame_attached_s"] = time.perf_counter() - start  # the script's map element has arrived
        frame = page.frame_locator(MAP_FRAME)
        frame.locator(".leaflet-container").wait_for(state="visible", timeout=timeout_ms)
        result["map_visible_s"] = time.perf_counter() - start
        try:
            frame.locator(".marker-cluster, .leaflet-marker-icon").first.wait_for(state="visible", timeout=timeout_ms)
            result["clusters_visible_s"] = time.perf_counter() - start
        except Exception:
            result["clusters_visible_s"] = None
        page.wait_for_timeout(500)
        result["ws_bytes_received"] = ws_bytes[0]
        result["largest_ws_frame"] = ws_bytes[1]
        result["blocked_requests"] = len(blocked)
        result["page_errors"] = errors[:5]
    finally:
        context.close()
    return result


def browser_bench(db_url: str, log: Path, timeout_s: float) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {}
    with app_server(db_url, log) as (url, startup_s, peak), sync_playwright() as pw:
        out["server_start_s"] = startup_s
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            cpu0, _ = _server_usage(peak.pid)
            out["first_load_cold"] = _load_map(browser, url, int(timeout_s * 1000))
            time.sleep(0.5)  # the script ends after the map's iframe is drawn
            cpu1, out["server_rss_after_carte"] = _server_usage(peak.pid)
            out["first_load_cold"]["server_cpu_s"] = cpu1 - cpu0
            out["second_load_warm"] = _load_map(browser, url, int(timeout_s * 1000))
            out["third_load_warm"] = _load_map(browser, url, int(timeout_s * 1000))
            cpu2, _ = _server_usage(peak.pid)
            out["accueil_first"] = _load_accueil(browser, url, int(timeout_s * 1000))
            cpu3, out["server_rss_after_accueil"] = _server_usage(peak.pid)
            out["accueil_first"]["server_cpu_s"] = cpu3 - cpu2
        finally:
            browser.close()
        out["server_peak_rss"] = peak.peak
    return out


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------
def build_store(path: Path, reports: int) -> tuple[str, float]:
    url = f"sqlite:///{path}"
    env = {**os.environ, "VEILLE_DB_URL": url}
    with Timer() as t:
        proc = subprocess.run([PYTHON, "-m", "geo", "demo", "--reports", str(reports)], check=False, cwd=ROOT, env=env,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit("python -m geo demo failed")
    return url, t.seconds


def _fmt_steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{k.split(' (')[0].strip()} {v:.2f}" for k, v in sorted(steps.items(), key=lambda kv: -kv[1])
                     if v >= 0.01)


def _print_map_sizes(sizes: dict) -> None:
    for name, comp in sizes.items():
        if not comp:
            print(f"    {name:34s} no map")
            continue
        parts = ", ".join(f"{k} {mb(v)}" for k, v in sorted(comp["parts"].items(), key=lambda kv: -kv[1]))
        print(f"    {name:34s} {mb(comp['json_args_bytes']):>10s}   ({parts})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--db", help="use this store (SQLAlchemy URL) instead of building a demo store")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--browser-timeout", type=float, default=180.0, help="seconds per page load")
    parser.add_argument("--worker", choices=["apptest"], help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        apptest_worker(args.db, args.profile_worker, args.cold_only)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="veille-bench-dashboard-"))
    try:
        print(f"code: {git_state()}   cores: {os.cpu_count()}   load average: {os.getloadavg()[0]:.2f}")
        if args.db:
            db_url = args.db
            print(f"store: {db_url} (given)")
        else:
            db_url, seconds = build_store(tmp / "demo.sqlite", args.reports)
            print(f"store: {db_url}: python -m geo demo --reports {args.reports:,} took {seconds:.1f} s")
        path = Path(db_url.removeprefix("sqlite:///"))
        if path.exists():
            from geo.store.database import Store

            print(f"  {Store(db_url).count_reports():,} reports, file {mb(path.stat().st_size)}")

        print("\n== (a) cold first render of the Carte page (AppTest, fresh process)")
        res = run_apptest_worker(db_url, profile=False)
        cold = res["cold"]
        print(f"  import streamlit.testing:      {res['import_streamlit_testing_s']:.2f} s (not counted)")
        print(f"  first run, map rendered:       {cold['seconds']:.2f} s, CPU {cold['cpu_seconds']:.2f} s "
              f"(target <= 2.5 s)   map: {'yes' if cold['map'] else 'NO'}")
        print(f"  RSS before the run {mb(res['rss_before'])}, after it {mb(cold['rss_after'])}; "
              f"worker peak RSS (whole run, reruns included): {mb(res['peak_rss'])}")

        print("\n== (b) warm reruns (same process, caches warm)    (target <= 0.3 s)")
        for run in res["reruns"]:
            size = mb(run["map_bytes"]) if run["map_bytes"] else "no map"
            print(f"  {run['seconds']:6.2f} s  {run['label']:50s} map {size}")
            if run["steps"]:
                print(f"           steps (s): {_fmt_steps(run['steps'])}")

        print("\n== (c) bytes sent to the map component (json_args of streamlit_folium.st_folium)  (target <= 1.5 MB)")
        _print_map_sizes(res["sizes"])
        sa = res["standalone"]
        print(f"  outside Streamlit: read_reports {sa['read_reports_s']:.2f} s "
              f"(DataFrame {mb(sa['reports_frame_bytes'])}), "
              f"descriptions of the 2,000 newest {sa['descriptions_s']:.2f} s")
        for name in ("default", "all four"):
            s = sa[name]
            print(f"    {name:10s} build_map {s['build_map_s']:.2f} s, "
                  f"folium get_root().render() {s['render_s']:.2f} s, full HTML {mb(s['html_bytes'])}")

        if not args.skip_profile:
            print("\n== profiles (fresh process; pyinstrument/cProfile overhead included)")
            prof = run_apptest_worker(db_url, profile=True)
            print(f"  profiler: {prof.get('profiler')}; cold run under profiler {prof['cold']['seconds']:.2f} s; "
                  f"warm rerun under profiler {prof['warm_profiled_seconds']:.2f} s")
            for key, stem, label in (("cold_profile", "dashboard_cold_profile", "cold run"),
                                     ("warm_profile", "dashboard_warm_profile", "warm rerun (same filter)")):
                print(f"  {label}: call tree (frames >= 3 %; full tree: {OUT_DIR / (stem + '.txt')}):")
                for line in prof[key]["tree"]:
                    print(f"    {line}")
                print(f"  {label}: top self time:")
                for line in prof[key]["self"][:15]:
                    print(f"    {line}")

        if not args.skip_browser:
            print("\n== (d) Chromium: navigation to /carte -> .leaflet-container visible in the st_folium frame")
            res = browser_bench(db_url, tmp / "streamlit.log", args.browser_timeout)
            print(f"  streamlit server healthy after {res['server_start_s']:.2f} s")
            for key, label in (("first_load_cold", "first load (fresh server, cold caches)"),
                               ("second_load_warm", "second load (new session, warm caches)"),
                               ("third_load_warm", "third load (new session, warm caches)")):
                r = res[key]
                clusters = f"{r['clusters_visible_s']:.2f} s" if r.get("clusters_visible_s") else "n/a"
                print(f"  {label:42s} map visible {r['map_visible_s']:6.2f} s   clusters drawn {clusters:>8s}")
                print(f"      Streamlit shell attached {r['app_shell_s']:.2f} s, map iframe attached "
                      f"{r['frame_attached_s']:.2f} s; websocket received {mb(r['ws_bytes_received'])} "
                      f"(largest frame {mb(r['largest_ws_frame'])}); blocked non-local requests: "
                      f"{r['blocked_requests']}")
                for err in r["page_errors"]:
                    print(f"      page error: {err}")
            print(f"  first load: server CPU {res['first_load_cold']['server_cpu_s']:.2f} s; server RSS after it "
                  f"{mb(res['server_rss_after_carte'])} (target <= 600 MB)")
            acc = res["accueil_first"]
            print(f"  then Accueil, first render: {acc['seconds']:.2f} s, server CPU {acc['server_cpu_s']:.2f} s; "
                  f"server RSS after it {mb(res['server_rss_after_accueil'])}")
            print(f"  streamlit server peak RSS: {mb(res['server_peak_rss'])}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (2 cores; other jobs skew every figure)")
    finally:
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
