"""The dashboard in a real Chromium, with no network but the app itself.

Run: ``.venv/bin/python -m pytest tests/e2e -q``. Screenshots land in ``tests/artifacts/`` (gitignored).
The first test must stay first in this file: it wants the very first request of a fresh server (it starts its
own server when another test already used the shared one, e.g. under ``-p random``).
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest
from shapely.geometry import Point

pytestmark = pytest.mark.browser

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
NAV = {"Accueil": "/", "Carte": "/carte", "Tendances": "/tendances", "Alertes": "/alertes",
       "Signalements": "/signalements", "Tournées": "/tournees", "Saisie": "/saisie", "Import": "/import_donnees",
       "Partenaires": "/partenaires", "Bilan": "/bilan", "Partage": "/partage", "Comptes": "/comptes"}
TITLES = {"Accueil": "Veille territoriale", "Carte": "Carte des signalements", "Saisie": "Nouveau signalement",
          "Tendances": "Tendances", "Import": "Importer des signalements", "Signalements": "Signalements",
          "Tournées": "Tournées", "Partenaires": "Partenaires et routage", "Bilan": "Bilan d'activité"}
# A point inside a demo quartier (Centre-ville), with 6 decimals no synthetic report shares.
ENTRY_POINT = (47.322113, 5.041527)
MAP_TIMEOUT = 30_000
# Streamlit's frontend turns ``page_icon=":material/…:"`` into a favicon URL on fonts.gstatic.com: blocked
# offline it only costs the tab its icon (tiles, the other tolerated blocked requests, are images).
FAVICON = re.compile(r"^https://fonts\.gstatic\.com/s/i/short-term/release/materialsymbols\w+/\w+/default/24px\.svg$")

# Leaflet, inside the map's iframe: the map object, whatever variable name streamlit_folium gave it.
_FIND_MAP = "Object.values(window).find(v => v instanceof L.Map)"


def expect(locator):
    from playwright.sync_api import expect as _expect

    return _expect(locator)


# --------------------------------------------------------------------------- helpers


def wait_idle(page) -> None:
    """Wait until Streamlit has finished running the script (after the expected content showed up)."""
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=30_000)


def open_page(page, server, path: str, title: str) -> None:
    page.goto(server.url + path)
    expect(page.locator("h1", has_text=title)).to_be_visible(timeout=30_000)
    wait_idle(page)


def assert_healthy(page, watch, where: str) -> None:
    """No Streamlit exception box, no JavaScript error, no failed local request, nothing needed from outside."""
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{where}: {exceptions.all_inner_texts()}"
    assert not watch.problems(), f"{where}: {watch.problems()}"
    needed = [(kind, url) for kind, url in watch.blocked if kind != "image" and not FAVICON.match(url)]
    assert not needed, f"{where}: the app needs the network for {needed}"


def screenshot(page, artifacts: Path, name: str) -> Path:
    """Save a screenshot of the whole page (Streamlit scrolls inside stMain: grow the viewport to fit it)."""
    for frame in page.frames:  # let Leaflet finish zooming and re-clustering (fading markers look doubled)
        if frame.locator(".leaflet-container").count():
            expect(frame.locator(".leaflet-zoom-anim, .leaflet-cluster-anim")).to_have_count(0)
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stSidebarContent'].map(id => "
        "document.querySelector(`[data-testid=\"${id}\"]`)?.scrollHeight || 0))")
    path = artifacts / f"{name}.png"
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 20, 6000)})
    try:
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


NAV_LINK = '[data-testid="stTopNavLink"], a[data-testid="stSidebarNavLink"]'


def nav_links(page) -> list[tuple[str, str]]:
    """(label, URL path) of each navigation link (top bar on a wide screen, sidebar on a phone)."""
    links = page.locator(NAV_LINK)
    # The label is the link's last line of text, after the icon (an emoji, or a Material Symbols ligature
    # such as "home" whose text is in the DOM).
    return [(re.sub(r"^\W+", "", text.strip().splitlines()[-1]).strip(), re.sub(r"^https?://[^/]+", "", href))
            for text, href in links.evaluate_all("els => els.map(e => [e.innerText, e.getAttribute('href')])")]


def go_by_nav(page, label: str) -> None:
    page.locator(NAV_LINK, has_text=label).first.click()
    page.wait_for_url(re.compile(re.escape(NAV[label]) + r"/?$"), timeout=30_000)
    expect(page.locator("h1", has_text=TITLES[label])).to_be_visible(timeout=30_000)
    wait_idle(page)


def map_frame(page):
    """The first Leaflet map of the page, once drawn."""
    frame = page.frame_locator(MAP_FRAME).first
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=MAP_TIMEOUT)
    return frame


_COUNT_AT = {
    # grey CircleMarkers (radius 4) of Saisie's map, full precision
    "dots": ("l instanceof L.CircleMarker && l.getRadius() < 6 ? [l] : []", 1e-6),
    # markers of the Carte map's MarkerClusterGroup, coordinates rounded to 5 decimals
    "clustered": ("l instanceof L.MarkerClusterGroup ? l.getLayers() : []", 1e-5),
}


def count_on_map(page, kind: str, lat: float, lon: float) -> int:
    """Count the markers of ``kind`` at (lat, lon) on the page's map (0 while the map is not drawn)."""
    members, tolerance = _COUNT_AT[kind]
    frame = page.frame_locator(MAP_FRAME).first
    if frame.locator(".leaflet-container").count() == 0:
        return 0
    return frame.locator(".leaflet-container").evaluate(
        f"(el, ll) => {{ const m = {_FIND_MAP}; if (!m) return 0; let n = 0;"
        f" m.eachLayer(l => ({members}).forEach(k => {{ const p = k.getLatLng();"
        f" if (Math.abs(p.lat - ll[0]) < {tolerance} && Math.abs(p.lng - ll[1]) < {tolerance}) n++; }})); return n; }}",
        [lat, lon])


def poll(page, condition, message: str, timeout_ms: int = 20_000) -> None:
    """Wait until ``condition()`` holds (Python Playwright has no ``expect.poll``); errors while the page
    redraws (a detached frame) count as "not yet"."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            if condition():
                return
        except PlaywrightError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_ms} ms: {message}")
        page.wait_for_timeout(200)


def report_with_token(db_url: str, token: str) -> dict | None:
    """The stored report whose description holds ``token`` (read straight from the store)."""
    from geo.store.database import Store

    store = Store(db_url)
    frame = store.read_reports(columns=("id",))
    details = store.read_reports_by_id(tuple(frame["id"]), columns=("id", "description"))
    found = details[details["description"].fillna("").str.contains(token, regex=False)]
    return store.get_report(found["id"].iloc[0]) if len(found) == 1 else None


def carte_count(page) -> int:
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="signalements dans la sélection")
    text = caption.first.inner_text(timeout=30_000)
    return int(re.sub(r"\D", "", text.split("signalements")[0]))


def choose(page, scope, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label`` inside ``scope``.

    Typing filters the list first (long lists are virtualised: far options are not in the DOM). The
    react-aria combobox sometimes drops the first click or the typed text while it is still settling (an
    expander that just opened, a list that just rendered): the whole gesture is retried, a bounded number of
    times, until the combobox shows the option.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    combo = scope.get_by_role("combobox", name=label, exact=True)
    for _attempt in range(3):
        try:
            combo.click()
            expect(combo).to_have_attribute("aria-expanded", "true", timeout=3_000)
            combo.fill(option)
            page.get_by_role("option", name=option, exact=True).click(timeout=3_000)
            expect(combo).to_have_value(option, timeout=3_000)
            return
        except (AssertionError, PlaywrightTimeoutError):
            page.keyboard.press("Escape")
    pytest.fail(f"could not choose {option!r} in the selectbox {label!r}")


def metric_value(scope, label: str):
    """The value element of the ``st.metric`` labelled ``label`` (a locator: assert on it with ``expect``)."""
    root = getattr(scope, "page", scope)  # `has=` takes a locator relative to the element, built from the page
    card = scope.locator('[data-testid="stMetric"]').filter(
        has=root.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    return card.locator('[data-testid="stMetricValue"]')


# --------------------------------------------------------------------------- tests


def test_first_request_of_a_fresh_server_opens_carte_with_filters_and_sections(
        e2e_server, app_server_factory, watched_page_factory, tmp_path, artifacts_dir):
    """Streamlit runs a ``pages/`` folder as a v1 multipage app until the first ``st.navigation`` call of the
    process: without a guard, opening /carte first shows the page alone (no filters, file-name navigation)."""

    def check(url: str) -> None:
        page, watch = watched_page_factory()
        page.goto(url + "/carte")
        expect(page.locator("h1", has_text=TITLES["Carte"])).to_be_visible(timeout=30_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_role("heading", name="Filtres")).to_be_visible(timeout=30_000)
        wait_idle(page)
        assert nav_links(page) == list(NAV.items()), "the pages in the top bar, by their titles"
        expect(sidebar.get_by_text("Période", exact=True)).to_be_visible()
        map_frame(page)
        screenshot(page, artifacts_dir, "00_premier_acces_carte")
        assert_healthy(page, watch, "first request /carte")

    if not e2e_server.used:
        e2e_server.used = True
        check(e2e_server.url)
    else:
        with app_server_factory(e2e_server.db_url, tmp_path / "fresh-streamlit.log") as fresh:
            check(fresh.url)


def test_every_page_renders_through_the_sidebar_navigation(app_page, e2e_server, browser_watch, artifacts_dir):
    page = app_page
    open_page(page, e2e_server, "/", TITLES["Accueil"])
    assert nav_links(page) == list(NAV.items()), "URL paths given by st.navigation"
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("heading", name="Filtres")).to_be_visible()
    expect(page.locator('[data-testid="stMetric"]', has_text="Signalements").first).to_be_visible()
    expect(page.get_by_role("heading", name="Quartiers qui ont le plus changé")).to_be_visible()
    expect(page.get_by_role("heading", name="Derniers signalements")).to_be_visible()
    assert_healthy(page, browser_watch, "Accueil")
    screenshot(page, artifacts_dir, "01_accueil")

    go_by_nav(page, "Carte")
    map_frame(page)
    expect(page.get_by_text("Cliquez sur un quartier de la carte")).to_be_visible()
    assert_healthy(page, browser_watch, "Carte")
    screenshot(page, artifacts_dir, "02_carte")

    go_by_nav(page, "Tournées")
    expect(page.get_by_text("Choisissez au moins une source de cibles")).to_be_visible()
    expect(page.get_by_role("button", name="Calculer les tournées")).to_be_visible()
    assert_healthy(page, browser_watch, "Tournées")
    screenshot(page, artifacts_dir, "02b_tournees")

    go_by_nav(page, "Saisie")
    map_frame(page)
    expect(page.get_by_role("button", name="Enregistrer")).to_be_visible()
    assert_healthy(page, browser_watch, "Saisie")
    screenshot(page, artifacts_dir, "03_saisie")

    go_by_nav(page, "Import")
    expect(page.get_by_text("Choisissez un fichier à importer.")).to_be_visible()
    assert_healthy(page, browser_watch, "Import")
    screenshot(page, artifacts_dir, "04_import")

    go_by_nav(page, "Signalements")
    expect(page.get_by_text("Fiche d'un signalement")).to_be_visible()
    map_frame(page)  # the open report's place
    assert_healthy(page, browser_watch, "Signalements")
    screenshot(page, artifacts_dir, "05_signalements")

    go_by_nav(page, "Partenaires")
    expect(page.get_by_text("Registre des partenaires")).to_be_visible()
    assert_healthy(page, browser_watch, "Partenaires")
    screenshot(page, artifacts_dir, "06_partenaires")

    go_by_nav(page, "Bilan")
    expect(page.get_by_role("button", name="Télécharger (PDF imprimable)")).to_be_visible(timeout=30_000)
    assert_healthy(page, browser_watch, "Bilan")
    screenshot(page, artifacts_dir, "07_bilan")

    go_by_nav(page, "Accueil")  # back again: cached maps and data are reused on the second visit
    go_by_nav(page, "Carte")
    map_frame(page)
    assert_healthy(page, browser_watch, "Carte, second visit")


def test_carte_map_draws_with_no_network(app_page, e2e_server, browser_watch, artifacts_dir):
    page = app_page
    open_page(page, e2e_server, "/carte", TITLES["Carte"])
    frame = map_frame(page)
    # Leaflet came from the app itself (ui/offline.py), the choropleth and its legend are drawn.
    expect(frame.locator(".leaflet-control", has_text="Signalements par quartier")).to_be_visible()
    expect(frame.locator(".leaflet-control-layers-overlays label", has_text="Quartiers")).to_be_visible()

    page.get_by_text("Couches et fond de carte").click()
    choose(page, page.locator('[data-testid="stExpander"]'), "Fond de carte", "Aucun fond (hors ligne)")
    frame = map_frame(page)
    # The map is redrawn without a tile layer (the rerun may still be starting: wait for the new map).
    expect(frame.locator(".leaflet-control-attribution")).not_to_contain_text("OpenStreetMap", timeout=MAP_TIMEOUT)
    wait_idle(page)
    expect(frame.locator(".leaflet-tile")).to_have_count(0)
    expect(frame.locator(".leaflet-control", has_text="Signalements par quartier")).to_be_visible()
    features = frame.locator(".leaflet-container").evaluate(
        f"() => {{ const m = {_FIND_MAP}; const codes = new Set();"
        " m.eachLayer(l => l.feature && l.feature.properties && l.feature.properties.code"
        " && codes.add(l.feature.properties.code)); return codes.size; }")
    from geo.store.database import Store

    assert features == len(Store(e2e_server.db_url).load_territory()), "one clickable feature per quartier"
    assert_healthy(page, browser_watch, "Carte, Aucun fond")
    screenshot(page, artifacts_dir, "05_carte_aucun_fond")


def click_on_map(frame, lat: float, lon: float) -> str:
    """Click the map at (lat, lon); return the tag of what was under the pointer (canvas or SVG path)."""
    container = frame.locator(".leaflet-container")
    spot = container.evaluate(
        f"(el, ll) => {{ const m = {_FIND_MAP}; const p = m.latLngToContainerPoint(ll);"
        " const r = el.getBoundingClientRect(); const top = document.elementFromPoint(r.left + p.x, r.top + p.y);"
        " return {x: p.x, y: p.y, top: top ? top.tagName.toLowerCase() : ''}; }", [lat, lon])
    container.click(position={"x": spot["x"], "y": spot["y"]})
    return spot["top"]


def test_clicking_a_quartier_shows_its_panel(app_page, e2e_server, browser_watch, artifacts_dir):
    from geo.store.database import Store

    territory = Store(e2e_server.db_url).load_territory()
    lat, lon = ENTRY_POINT
    expected = territory.loc[territory.contains(Point(lon, lat)), "name"].tolist()
    assert len(expected) == 1, expected

    page = app_page
    open_page(page, e2e_server, "/carte", TITLES["Carte"])
    frame = map_frame(page)
    # Hide the clustered points (client side, no rerun) so that the click reaches the quartier, whether
    # Leaflet draws it on a canvas (prefer_canvas) or as an SVG path.leaflet-interactive.
    frame.locator(".leaflet-control-layers-overlays label", has_text="Signalements").locator("input").uncheck()
    expect(frame.locator(".marker-cluster")).to_have_count(0)
    under = click_on_map(frame, lat, lon)
    assert under in ("canvas", "path"), f"the click landed on a <{under}>, not on the quartier layer"
    expect(frame.locator(".leaflet-tooltip", has_text=expected[0])).to_be_visible()

    panel = page.locator('[data-testid="stColumn"]').filter(has=page.locator("h3", has_text=expected[0]))
    expect(panel.locator("h3")).to_have_text(expected[0], timeout=30_000)
    wait_idle(page)
    expect(panel.locator('[data-testid="stMetric"]', has_text="Signalements (sélection)")).to_be_visible()
    expect(panel.get_by_text("12 dernières semaines")).to_be_visible()
    expect(panel.locator('[data-testid="stVegaLiteChart"]')).to_have_count(1)
    expect(panel.locator('[data-testid="stDataFrame"]')).to_have_count(2)
    expect(metric_value(panel, "Signalements (sélection)")).to_have_text(re.compile(r"^[1-9][\d\s]*$"))
    assert_healthy(page, browser_watch, "Carte, quartier panel")
    screenshot(page, artifacts_dir, "06_carte_panneau_quartier")


def test_saisie_report_is_stored_and_appears_on_the_maps(app_page, e2e_server, browser_watch, artifacts_dir):
    page = app_page
    open_page(page, e2e_server, "/carte", TITLES["Carte"])
    before = carte_count(page)

    go_by_nav(page, "Saisie")
    map_frame(page)
    form = page.locator('[data-testid="stForm"]')
    lat, lon = ENTRY_POINT
    form.get_by_label("Latitude").fill(f"{lat:.6f}")
    form.get_by_label("Longitude").fill(f"{lon:.6f}")
    choose(page, form, "Catégorie", "Veille technique — Éclairage public en panne")
    form.locator('[data-testid="stRadio"]').get_by_text("À traiter", exact=True).click()
    token = uuid.uuid4().hex[:8]
    form.get_by_role("textbox", name="Description").fill(f"Lampadaire éteint (test e2e {token})")
    form.get_by_role("button", name="Enregistrer").click()

    success = page.locator('[data-testid="stAlertContentSuccess"]')
    expect(success).to_contain_text("enregistré", timeout=30_000)
    expect(success).to_contain_text("Éclairage public en panne, Centre-ville, aujourd'hui à")
    stored = report_with_token(e2e_server.db_url, token)
    assert stored is not None, f"the report {token} is not in the store"
    assert stored["id"] not in success.first.inner_text(), "no internal id in the message"
    assert (stored["lat"], stored["lon"], stored["category"]) == (pytest.approx(lat), pytest.approx(lon),
                                                                  "eclairage")
    assert stored["description"].endswith(f"{token})")

    # Saisie's own map draws the stored report as a small grey dot exactly there (once its rerun is over).
    poll(page, lambda: count_on_map(page, "dots", lat, lon) == 1,
         "the new report is among the latest reports drawn on Saisie's map")
    wait_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert_healthy(page, browser_watch, "Saisie, after saving")
    screenshot(page, artifacts_dir, "07_saisie_enregistree")

    go_by_nav(page, "Carte")
    expect(page.locator('[data-testid="stCaptionContainer"]', has_text="signalements dans la sélection")
           ).to_have_text(re.compile(rf"^{before + 1:,}".replace(",", r"\s?") + r"\s"), timeout=30_000)
    # markercluster loads its points in chunks: poll. (The points layer rounds coordinates to ~1 m.)
    poll(page, lambda: count_on_map(page, "clustered", lat, lon) == 1,
         "the new report is one of the clustered points of the Carte map")
    assert_healthy(page, browser_watch, "Carte, after saving")


# The phone's position for "Ma position" (inside the Centre-ville demo quartier), given by the browser context.
PHONE_POSITION = (47.3245, 5.0412)
PHONE = {"geolocation": {"latitude": PHONE_POSITION[0], "longitude": PHONE_POSITION[1], "accuracy": 25}}


def coordinate(form, label: str) -> float | None:
    """The value of the form's number input ``label`` (None while empty)."""
    text = form.get_by_label(label).input_value()
    return float(text) if text else None


@pytest.mark.parametrize("browser_context_options", [{**PHONE, "permissions": ["geolocation"]}], indirect=True,
                         ids=["position-allowed"])
def test_saisie_ma_position_fills_the_coordinates(app_page, e2e_server, browser_watch, artifacts_dir):
    page = app_page
    open_page(page, e2e_server, "/saisie", TITLES["Saisie"])
    expect(page.get_by_text("ouverte en HTTPS")).to_be_visible()
    form = page.locator('[data-testid="stForm"]')
    assert (coordinate(form, "Latitude"), coordinate(form, "Longitude")) == (None, None)

    button = map_frame(page).get_by_role("button", name="Ma position")
    # Big enough to tap (once leaflet.css, loaded after the map script, applies).
    poll(page, lambda: (button.bounding_box() or {}).get("height", 0) >= 40, "a 'Ma position' button >= 40 px high")
    button.click()
    # The position is picked as a click on the map: the page reruns and fills both coordinates.
    poll(page, lambda: coordinate(form, "Latitude") is not None and coordinate(form, "Longitude") is not None,
         "Ma position fills Latitude and Longitude")
    wait_idle(page)
    assert (round(coordinate(form, "Latitude"), 4), round(coordinate(form, "Longitude"), 4)) == PHONE_POSITION
    # The redrawn map shows the chosen point and still offers the button, with no error.
    frame = map_frame(page)
    expect(frame.get_by_role("button", name="Ma position")).to_be_visible()
    expect(frame.get_by_role("status")).to_be_hidden()
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert_healthy(page, browser_watch, "Saisie, Ma position")
    screenshot(page, artifacts_dir, "08_saisie_ma_position")


@pytest.mark.parametrize("browser_context_options", [PHONE], indirect=True, ids=["position-not-allowed"])
def test_saisie_ma_position_refused_says_so_in_the_control(app_page, e2e_server, browser_watch, artifacts_dir):
    from geo.maps.entry_map import LOCATE_ERROR

    page = app_page
    open_page(page, e2e_server, "/saisie", TITLES["Saisie"])
    frame = map_frame(page)
    frame.get_by_role("button", name="Ma position").click()
    expect(frame.get_by_role("status")).to_have_text(LOCATE_ERROR)
    expect(frame.get_by_role("status")).to_contain_text("Position indisponible")
    wait_idle(page)
    form = page.locator('[data-testid="stForm"]')
    assert (coordinate(form, "Latitude"), coordinate(form, "Longitude")) == (None, None), "nothing was picked"
    assert_healthy(page, browser_watch, "Saisie, Ma position refused")
    screenshot(page, artifacts_dir, "09_saisie_position_refusee")


def excel_fr_csv(folder: Path) -> Path:
    """A small CSV as Excel writes it in French: ';', decimal commas, dd/mm/yyyy, cp1252, CRLF."""
    token = uuid.uuid4().hex[:8]
    rows = [
        "Date observation;Catégorie;Latitude;Longitude;Commentaire;Équipe;Gravité",
        f"02/03/2026 14:30;Éclairage public en panne;47,3220;5,0415;Lampadaire éteint {token};Équipe Centre;2",
        f"03/03/2026 09:05;Tags, graffitis, affichage sauvage;47,3301;5,0602;Tag sur l’abribus {token};Équipe Est;1",
        f"04/03/2026 18:45;Propreté (dépôt sauvage, encombrants, déchets);47,3105;5,0452;Encombrants {token};"
        "Équipe Sud;3",
        f"05/03/2026 08:00;Catégorie inventée;47,3190;5,0300;Libellé inconnu {token};Équipe Ouest;1",
        f"06/03/2026 10:15;Éclairage public en panne;;5,0300;Sans latitude {token};Équipe Ouest;2",
    ]
    path = folder / "signalements_excel.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    return path


def test_import_of_an_excel_fr_csv_shows_the_summary(app_page, e2e_server, browser_watch, artifacts_dir,
                                                     tmp_path):
    page = app_page
    open_page(page, e2e_server, "/import_donnees", TITLES["Import"])
    csv = excel_fr_csv(tmp_path)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(csv))
    expect(page.get_by_role("heading", name="Aperçu des premières lignes")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.get_by_text("Format reconnu")).to_be_visible()
    expect(page.get_by_text("1 ligne(s) sur 5 seraient mises en quarantaine.")).to_be_visible()

    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", name=f"Résultat — {csv.name}")).to_be_visible(timeout=30_000)
    wait_idle(page)
    expected = {"Lues": "5", "Enregistrées": "4", "Doublons": "0", "Quarantaine": "1", "Hors territoire": "0"}
    for label, value in expected.items():
        expect(metric_value(page, label)).to_have_text(value)
    expect(page.get_by_role("button", name="Télécharger les lignes en quarantaine (CSV)")).to_be_visible()
    expect(page.get_by_role("heading", name="Catégories inconnues")).to_be_visible()
    expect(page.get_by_text("« Catégorie inventée » (1)")).to_be_visible()
    assert_healthy(page, browser_watch, "Import, after importing")
    screenshot(page, artifacts_dir, "08_import_resultat")


def test_saisie_with_a_photo_shows_it_stripped_in_signalements(app_page, e2e_server, browser_watch, artifacts_dir,
                                                               tmp_path):
    import io

    import sqlalchemy as sa
    from PIL import ExifTags, Image

    from geo.store.database import Store
    from geo.store.workflow_schema import photos
    from geo.workflow.photos import list_photos, read_photo

    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Jeanne Dupont"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef], gps[ExifTags.GPS.GPSLatitude] = "N", (47.0, 19.0, 20.0)
    photo = tmp_path / "IMG_2001.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 120, 40)).save(buffer, format="JPEG", exif=exif)
    photo.write_bytes(buffer.getvalue())

    page = app_page
    open_page(page, e2e_server, "/saisie", TITLES["Saisie"])
    map_frame(page)
    page.locator('[data-testid="stFileUploader"]', has_text="Photos du téléphone").locator(
        'input[type="file"]').set_input_files(str(photo))
    expect(page.get_by_text("IMG_2001.jpg")).to_be_visible(timeout=30_000)
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("Latitude").fill(f"{ENTRY_POINT[0] + 0.0003:.6f}")
    form.get_by_label("Longitude").fill(f"{ENTRY_POINT[1]:.6f}")
    choose(page, form, "Catégorie", "Veille technique — Tags, graffitis, affichage sauvage")
    form.get_by_role("button", name="Enregistrer").click()
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    expect(success).to_contain_text("enregistré", timeout=30_000)
    assert "Tags" in success.first.inner_text()  # what was recorded, in words (no internal id)
    store = Store(e2e_server.db_url)
    with store.engine.connect() as conn:  # the report the photo went with
        [report_id] = conn.execute(sa.select(photos.c.report_id).where(photos.c.filename == "IMG_2001.jpg")).scalars()
    [info] = list_photos(store, report_id)
    assert info.filename == "IMG_2001.jpg"
    shown = read_photo(store, info.id)
    assert b"Jeanne" not in shown and not Image.open(io.BytesIO(shown)).getexif()
    wait_idle(page)
    assert_healthy(page, browser_watch, "Saisie with a photo")

    go_by_nav(page, "Signalements")
    page.get_by_label("Texte ou identifiant").fill(report_id)
    page.get_by_label("Texte ou identifiant").press("Enter")
    expect(page.get_by_text("Photos (1)")).to_be_visible(timeout=30_000)
    expect(page.locator('[data-testid="stImage"] img').first).to_be_visible()
    wait_idle(page)
    assert_healthy(page, browser_watch, "Signalements, report with a photo")
    screenshot(page, artifacts_dir, "08_signalements_photo")


def test_tournees_plans_rounds_and_draws_them_offline(app_page, e2e_server, browser_watch, artifacts_dir):
    page = app_page
    open_page(page, e2e_server, "/tournees", TITLES["Tournées"])
    page.get_by_text("Signalements ouverts qui attendent le plus longtemps").click()
    wait_idle(page)
    page.get_by_role("button", name="Charger les cibles").click()
    expect(page.get_by_text(re.compile(r"^\d+ cibles\."))).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Calculer les tournées").click()
    expect(page.locator('[data-testid="stMetric"]', has_text="Priorité couverte")).to_be_visible(timeout=60_000)
    wait_idle(page)
    frame = map_frame(page)
    expect(frame.locator(".veille-stop").first).to_be_visible()
    assert frame.locator(".veille-stop").count() >= 2
    expect(page.get_by_role("button", name=re.compile(r"Équipe 1 : feuille de tournée"))).to_be_visible()
    assert_healthy(page, browser_watch, "Tournées, plan")
    screenshot(page, artifacts_dir, "08_tournees_plan")
