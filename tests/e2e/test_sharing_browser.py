"""Sharing in a real Chromium: logins, the partner session, markup shown as text, the standalone HTML offline.

The server here runs with ``VEILLE_AUTH=on``: every test logs in through the form, as a person would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from geo.demo.build import build_demo_store
from geo.settings import load_settings
from geo.sharing import accounts
from geo.sharing.config import SharingSettings
from geo.sharing.exports import ExportRequest, export
from geo.store.database import Store
from tests.e2e.conftest import PageWatch, open_context
from tests.sharing.conftest import PARTNER, PASSWORD, PLANTED, PLANTED_STRINGS, TAXONOMY, plant_reports

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
_FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"
PARTNER_TITLE = "Signalements — Ville de Dijon – Éclairage public"
# Open the popup of the marker whose popup mentions the planted name, un-clustering it first.
_OPEN_PLANTED_POPUP = f"""(el) => new Promise((resolve) => {{
    const map = {_FIND_MAP};
    let found = null;
    map.eachLayer(l => {{
        const members = (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) ? l.getLayers() : [];
        members.forEach(m => {{
            const p = m.getPopup && m.getPopup();
            if (!found && p && String(p.getContent()).includes("Josiane")) found = [l, m];
        }});
    }});
    if (!found) return resolve(false);
    found[0].zoomToShowLayer(found[1], () => {{ found[1].openPopup(); resolve(true); }});
}})"""


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


@pytest.fixture(scope="module")
def sharing_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-sharing') / 'sharing.sqlite'}"
    now = pd.Timestamp.now(tz="Europe/Paris").floor("h")
    store = Store(url)
    build_demo_store(store, taxonomy=TAXONOMY, reports=800, seed=5, end=now)
    plant_reports(store, now=now)
    accounts.create_user(store, "coord", PASSWORD, role="coordinateur")
    accounts.create_user(store, "mairie", PASSWORD, role="partenaire", partner_id=PARTNER)
    return url


@pytest.fixture(scope="module")
def auth_server(e2e_browser_ready, sharing_db, app_server_factory, tmp_path_factory):
    log = tmp_path_factory.mktemp("e2e-sharing-server") / "streamlit.log"
    with app_server_factory(sharing_db, log, auth=True) as server:
        yield server


@pytest.fixture
def browser_page(e2e_browser):
    watch = PageWatch()
    context, page = open_context(e2e_browser, watch)
    try:
        yield page, watch
    finally:
        context.close()


def log_in(page, server, login: str, *, path: str = "/") -> str:
    """Open ``path``, log in; return the text of the dialog Streamlit showed for an unknown page ("" if none)."""
    page.goto(server.url + path)
    expect(page.locator("h1", has_text="Veille territoriale — connexion")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    dialog = page.get_by_role("dialog")
    said = ""
    if dialog.count():  # before a login no page but the form is registered: Streamlit says the page is unknown
        said = dialog.inner_text()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("h1", has_text="connexion")).to_have_count(0, timeout=30_000)
    return said


def everything_in(page) -> str:
    return "\n".join(frame.content() for frame in page.frames)


def assert_no_script_ran(page) -> None:
    for frame in page.frames:
        assert frame.evaluate("() => window.__xss === undefined"), f"a planted script ran in {frame.url}"


def test_a_partner_session_in_the_browser_shows_no_personal_data(auth_server, browser_page):
    page, watch = browser_page
    log_in(page, auth_server, "mairie")
    expect(page.locator("h1", has_text=PARTNER_TITLE)).to_be_visible(timeout=30_000)
    # a fixed calendar period, named in French, never free dates (two free periods a day apart would leak)
    expect(page.get_by_text(re.compile(r"^Période : mois d"))).to_be_visible(timeout=30_000)
    assert page.locator('[data-testid="stDateInput"]').count() == 0
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    expect(frame.locator(".veille-legend")).to_contain_text("< 3")
    expect(page.get_by_text("Chiffres par quartier")).to_be_visible()
    text = everything_in(page)
    for planted in PLANTED_STRINGS:
        assert planted not in text, planted
    exact = Store(auth_server.db_url).read_reports(columns=("lat", "lon"))
    written = set(re.findall(r"-?\d+\.\d{5,}", text))

    def forms(v: float) -> set[str]:
        return {repr(float(v)), f"{v:.6f}", f"{v:.7f}"}

    leaks = [(a, b) for a, b in zip(exact["lat"], exact["lon"], strict=True)
             if forms(a) & written and forms(b) & written]
    assert not leaks, leaks[:3]
    for path in ("/carte", "/saisie", "/import_donnees", "/partage", "/comptes", "/partenaires"):
        assert page.locator(f'a[href$="{path}"]').count() == 0, f"a link to {path} shown to a partner"
    assert not watch.page_errors, watch.page_errors


def test_a_partner_typing_a_coordinator_page_url_does_not_get_it(auth_server, browser_page):
    page, _ = browser_page
    for path in ("/carte", "/partage", "/comptes"):
        said = log_in(page, auth_server, "mairie", path=path)
        assert "Page not found" in said, said
        expect(page.locator("h1", has_text=PARTNER_TITLE)).to_be_visible(timeout=30_000)
        expect(page.locator("h1", has_text=re.compile("Carte des signalements|Partage avec|Comptes"))).to_have_count(0)


def test_markup_in_a_description_shows_as_text_on_the_carte_map(auth_server, browser_page):
    page, watch = browser_page
    log_in(page, auth_server, "coord")
    page.locator('a[href$="/carte"]').first.click()  # the navigation's link (top bar or sidebar)
    expect(page.locator("h1", has_text="Carte des signalements")).to_be_visible(timeout=30_000)
    frame_loc = page.frame_locator(MAP_FRAME).first
    expect(frame_loc.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    assert frame_loc.locator(".leaflet-container").evaluate(_OPEN_PLANTED_POPUP)
    popup = frame_loc.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("<img src=x onerror=window.__xss=1>", timeout=10_000)
    expect(popup).to_contain_text("<script>")
    assert popup.locator("img, script").count() == 0
    assert_no_script_ran(page)
    assert not watch.page_errors, watch.page_errors


def _offline_page(e2e_browser, file: Path):
    """A page that may load ``file`` and nothing else (every other request is aborted and recorded)."""
    context = e2e_browser.new_context(viewport={"width": 1200, "height": 900})
    url = file.resolve().as_uri()
    blocked, errors = [], []

    def route(r) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    return context, page, blocked, errors


def _export(db: str, tmp_path: Path, request: ExportRequest, name: str) -> Path:
    out = tmp_path / name
    export(Store(db), request, out, taxonomy=TAXONOMY, settings=load_settings(db_url=db), sharing=SharingSettings(),
           by="test")
    return out


def test_the_partner_standalone_html_map_renders_with_the_network_blocked(e2e_browser, e2e_browser_ready,
                                                                          sharing_db, tmp_path, artifacts_dir):
    out = _export(sharing_db, tmp_path, ExportRequest(role="partenaire", fmt="html", partner_id=PARTNER),
                  "partenaire.html")
    context, page, blocked, errors = _offline_page(e2e_browser, out)
    try:
        expect(page.locator(".leaflet-container")).to_be_visible(timeout=15_000)
        data = json.loads(re.search(r"var data = (\{.*?\});\n", out.read_text(encoding="utf-8")).group(1))
        drawn = len(data["quartiers"]["features"]) + len(data["cells"])  # places: only where 3 items share one
        assert len(data["quartiers"]["features"]) >= 5
        assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == drawn
        expect(page.locator(".veille-legend")).to_contain_text("< 3")
        expect(page.locator("h1")).to_have_text(PARTNER_TITLE)
        body = page.locator("body").inner_text()
        assert not any(p in body for p in PLANTED_STRINGS)
        assert page.evaluate("() => window.__xss === undefined")
        assert not blocked and not errors, (blocked, errors)
        page.screenshot(path=str(artifacts_dir / "20_export_partenaire_hors_ligne.png"))
    finally:
        context.close()


def test_markup_shows_as_text_in_the_coordinator_standalone_html_offline(e2e_browser, e2e_browser_ready, sharing_db,
                                                                        tmp_path):
    out = _export(sharing_db, tmp_path, ExportRequest(role="coordinateur", fmt="html"), "complet.html")
    assert PLANTED["description"] not in out.read_text(encoding="utf-8")  # only ever escaped
    context, page, blocked, errors = _offline_page(e2e_browser, out)
    try:
        expect(page.locator(".leaflet-container")).to_be_visible(timeout=15_000)
        assert page.locator(".leaflet-container").evaluate(_OPEN_PLANTED_POPUP)
        popup = page.locator(".leaflet-popup-content")
        expect(popup).to_contain_text("<img src=x onerror=window.__xss=1>", timeout=10_000)
        assert popup.locator("img, script").count() == 0
        assert page.evaluate("() => window.__xss === undefined")
        assert not blocked and not errors, (blocked, errors)
    finally:
        context.close()
