"""Real-browser fixtures: the dashboard served by ``streamlit run`` on a demo store, driven by Debian's Chromium.

* ``e2e_server`` (session): builds a 3,000-report demo store in a temporary folder, starts
  ``python -m streamlit run dashboard.py`` on a free port of 127.0.0.1 in its own process group, waits
  (bounded) for ``/_stcore/health`` and kills the whole group at the end.
* ``e2e_browser`` (session): Chromium from ``/usr/bin/chromium`` (never a Playwright download).
* ``app_page`` (function): a fresh context (so a fresh Streamlit session) where every request to a host
  other than 127.0.0.1/localhost is aborted, with JavaScript errors and failed local requests collected.
  Its context takes the extra Playwright options of ``browser_context_options`` (none by default), e.g. a
  position: ``@pytest.mark.parametrize("browser_context_options", [{"geolocation": ..., "permissions":
  ["geolocation"]}], indirect=True)``.

When Chromium or the ``playwright`` package is missing the browser tests skip with the reason, except when
``VEILLE_REQUIRE_BROWSER=1`` (``tests/run.sh`` sets it when ``CI=true``): then they fail.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
HEALTH_TIMEOUT_S = 60.0
DEMO_REPORTS = 3_000
VIEWPORT = {"width": 1400, "height": 1000}

# On a deep URL (/carte) Streamlit's frontend first probes /carte/_stcore/{health,host-config} to find the
# app's base path, gets a 404 and falls back to /: expected noise, not an application error.
_BASE_PATH_PROBE = re.compile(r"^/[^/]+(?:/[^/]+)*/_stcore/(?:health|host-config)$")


def _require_browser() -> bool:
    return os.environ.get("VEILLE_REQUIRE_BROWSER") == "1"


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "the 'playwright' Python package is not installed"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium; never 'playwright install')"
    return None


def _skip_or_fail(reason: str) -> None:
    if _require_browser():
        pytest.fail(f"VEILLE_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the app server


@dataclass
class AppServer:
    """A running ``streamlit run dashboard.py``."""

    url: str
    process: subprocess.Popen
    log: Path
    db_url: str
    used: bool = False  # set once a browser page has been opened on it

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (OSError, urllib.error.URLError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def run_app_server(db_url: str, log: Path, *, auth: bool = False) -> Iterator[AppServer]:
    """Start the dashboard on a free port, wait (at most HEALTH_TIMEOUT_S) until healthy; stop it afterwards.

    ``auth=False`` runs it with ``VEILLE_AUTH=off`` (local single-user use: no login); the sharing tests start
    theirs with ``auth=True`` and log in for real.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VEILLE_DB_URL": db_url, "PYTHONUNBUFFERED": "1", "VEILLE_AUTH": "on" if auth else "off"}
    cmd = [sys.executable, "-m", "streamlit", "run", "dashboard.py",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false",
           # Other people edit the sources while the suite runs: nothing to watch.
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = AppServer(url=url, process=process, log=log, db_url=db_url)
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while not _health_ok(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode}:\n{server.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {HEALTH_TIMEOUT_S:.0f} s:\n{server.log_tail()}",
                            pytrace=False)
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def e2e_demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo store (approximate Dijon territory, 3,000 synthetic reports) in a temporary folder."""
    from geo.demo.build import build_demo_store
    from geo.settings import DATA_DIR
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'demo.sqlite'}"
    build_demo_store(Store(url), taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), reports=DEMO_REPORTS, seed=1)
    return url


@pytest.fixture(scope="session")
def e2e_browser_ready() -> None:
    """Skip (or fail under VEILLE_REQUIRE_BROWSER=1) before any server is started when the browser is missing."""
    reason = _missing_browser()
    if reason:
        _skip_or_fail(reason)
    from ui.offline import MissingAssetsError, check_assets

    try:
        check_assets()
    except MissingAssetsError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def e2e_server(e2e_browser_ready: None, e2e_demo_db: str, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[AppServer]:
    """The dashboard on the demo store, shared by the session."""
    log = tmp_path_factory.mktemp("e2e-server") / "streamlit.log"
    with run_app_server(e2e_demo_db, log) as server:
        yield server


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def e2e_browser(e2e_browser_ready: None) -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageWatch:
    """What went wrong in the browser while a test ran."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_local: list[str] = field(default_factory=list)  # local requests that failed or answered >= 400
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (resource type, URL)

    def problems(self) -> list[str]:
        return ([f"pageerror: {e}" for e in self.page_errors] + [f"console: {e}" for e in self.console_errors]
                + [f"local request: {e}" for e in self.failed_local])



def _is_local(url: str) -> bool:
    return urlsplit(url).hostname in LOCAL_HOSTS


def _is_probe(url: str) -> bool:
    return _is_local(url) and bool(_BASE_PATH_PROBE.match(urlsplit(url).path))


def open_context(browser, watch: PageWatch, **options):
    """Return a new context (a new Streamlit session) offline but for the app, and its page, watched.

    ``options`` are more ``browser.new_context`` options (``geolocation``, ``permissions``…).
    """
    context = browser.new_context(**{"viewport": VIEWPORT, "locale": "fr-FR", "timezone_id": "Europe/Paris",
                                     **options})
    context.set_default_timeout(20_000)

    def route(r) -> None:
        if _is_local(r.request.url):
            r.continue_()
        else:
            watch.blocked.append((r.request.resource_type, r.request.url))
            r.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))

    def console(msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        # Blocked tiles (any non-local resource) and the base-path probes are expected without network.
        if where and (not _is_local(where) or _is_probe(where)):
            return
        watch.console_errors.append(f"{msg.text} ({where})")

    page.on("console", console)
    page.on("response", lambda resp: (resp.status >= 400 and _is_local(resp.url) and not _is_probe(resp.url)
                                      and watch.failed_local.append(f"HTTP {resp.status} {resp.url}")))
    # ERR_ABORTED: a request cancelled by the page itself (a rerun replacing an element), not a failure.
    page.on("requestfailed", lambda req: (_is_local(req.url) and "ERR_ABORTED" not in (req.failure or "")
                                          and watch.failed_local.append(f"{req.failure} {req.url}")))
    return context, page


@pytest.fixture
def browser_watch() -> PageWatch:
    """What went wrong in ``app_page``'s browser (tests check it with their own message)."""
    return PageWatch()


@pytest.fixture
def browser_context_options(request: pytest.FixtureRequest) -> dict:
    """More options for ``app_page``'s context: none, unless parametrized (``indirect=True``) by a test."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def app_page(e2e_browser, e2e_server: AppServer, browser_watch: PageWatch, browser_context_options: dict):
    """A page in a fresh browser context (a new Streamlit session) on the shared server."""
    e2e_server.used = True
    context, page = open_context(e2e_browser, browser_watch, **browser_context_options)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def app_server_factory():
    """``run_app_server(db_url, log, auth=False)``: a context manager running another server (e.g. a fresh one)."""
    return run_app_server


@pytest.fixture
def watched_page_factory(e2e_browser):
    """Return ``open() -> (page, watch)``: pages in new contexts, closed at the end of the test."""
    contexts = []

    def open_page() -> tuple[object, PageWatch]:
        watch = PageWatch()
        context, page = open_context(e2e_browser, watch)
        contexts.append(context)
        return page, watch

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
