"""The dashboard on a phone (390 × 844, touch) and in French everywhere, in a real Chromium.

Screenshots of every page at phone width land in ``tests/artifacts/phone_*.png``.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest

from tests.e2e.conftest import open_context
from tests.e2e.test_browser import (
    ENTRY_POINT,
    MAP_FRAME,
    NAV,
    TITLES,
    assert_healthy,
    choose,
    expect,
    map_frame,
    poll,
    report_with_token,
    screenshot,
    wait_idle,
)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
ENGLISH = ("Drag and drop", "Upload", "Browse files", "200MB per file", "Limit", "Select all", "matches",
           "No results", "Clear all", "Press Enter")


@pytest.fixture
def phone_page(e2e_browser, e2e_server, browser_watch):
    e2e_server.used = True
    context, page = open_context(e2e_browser, browser_watch, **PHONE)
    try:
        yield page
    finally:
        context.close()


def sidebar_open(page) -> bool:
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    return bool(box) and box["x"] + box["width"] > 1


def open_at(page, server, label: str) -> None:
    page.goto(server.url + NAV[label])
    expect(page.locator("h1", has_text=TITLES[label])).to_be_visible(timeout=30_000)
    wait_idle(page)


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_phone_navigation_leaves_the_chosen_page_usable(phone_page, e2e_server, browser_watch, artifacts_dir):
    page = phone_page
    open_at(page, e2e_server, "Accueil")
    assert not sidebar_open(page), "the sidebar starts closed on a phone"
    for label in ("Carte", "Saisie", "Import", "Accueil"):
        page.locator('[data-testid="stExpandSidebarButton"]').tap()
        link = page.locator('a[data-testid="stSidebarNavLink"]', has_text=label)
        expect(link).to_be_visible()
        link.tap()
        page.wait_for_url(re.compile(re.escape(NAV[label]) + r"/?$"), timeout=30_000)
        title = page.locator("h1", has_text=TITLES[label])
        expect(title).to_be_visible(timeout=30_000)
        wait_idle(page)
        poll(page, lambda: not sidebar_open(page), f"the sidebar closes after tapping {label}")
        # nothing lies over the page's title: a tap there reaches the page itself
        box = title.bounding_box()
        on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('h1')?.innerText || ''",
                               [box["x"] + 20, box["y"] + box["height"] / 2])
        assert TITLES[label] in on_top, f"{label}: the title is covered ({on_top!r})"
    assert_healthy(page, browser_watch, "phone navigation")


def test_phone_pages_screenshots_and_filters_only_where_they_act(phone_page, e2e_server, browser_watch,
                                                                artifacts_dir):
    page = phone_page
    for label in ("Accueil", "Carte", "Saisie", "Import"):
        open_at(page, e2e_server, label)
        if label in ("Carte", "Saisie"):
            map_frame(page)
        sidebar = page.locator('[data-testid="stSidebar"]')
        filters = sidebar.get_by_role("heading", name="Filtres")
        assert filters.count() == (1 if label in ("Accueil", "Carte") else 0), f"{label}: filters shown?"
        screenshot(page, artifacts_dir, f"phone_{label.lower()}")
    assert_healthy(page, browser_watch, "phone pages")


def test_phone_carte_controls_do_not_cover_each_other(phone_page, e2e_server, browser_watch, artifacts_dir):
    page = phone_page
    open_at(page, e2e_server, "Carte")
    frame = map_frame(page)
    zoom = frame.locator(".leaflet-control-zoom").bounding_box()
    layers = frame.locator(".leaflet-control-layers")
    expect(layers).not_to_have_class(re.compile(r"leaflet-control-layers-expanded"))
    assert not boxes_overlap(zoom, layers.bounding_box()), "the layer box covers the zoom buttons"
    scale = frame.locator(".leaflet-control-scale")
    expect(scale).to_have_text(re.compile(r"^\s*\d+\s*(m|km)\s*$"))  # one bar, metres: no miles or feet
    assert not boxes_overlap(scale.bounding_box(), frame.locator(".leaflet-control-attribution").bounding_box())
    legends = frame.locator(".veille-class-legend")
    expect(legends).to_have_count(2)  # quartiers and points: one per visible layer, in two corners
    assert not boxes_overlap(legends.nth(0).bounding_box(), legends.nth(1).bounding_box())

    # A tapped quartier opens a popup shown whole inside the map (no sticky tooltip cut by the edge).
    frame.locator(".leaflet-control-layers-toggle").tap()
    frame.locator(".leaflet-control-layers-overlays label", has_text="Signalements").locator("input").uncheck()
    expect(frame.locator(".marker-cluster")).to_have_count(0)
    container = frame.locator(".leaflet-container")
    container.scroll_into_view_if_needed()  # a tap lands where the map is once scrolled into view
    page.wait_for_timeout(500)
    from shapely.ops import polylabel

    from geo.store.database import Store

    territory = Store(e2e_server.db_url).load_territory().set_index("name")
    shape = territory.geometry["Centre-ville"]
    shape = max(getattr(shape, "geoms", [shape]), key=lambda g: g.area)
    inner_point = polylabel(shape, tolerance=1e-5)  # far from every border
    lat, lon = inner_point.y, inner_point.x
    spot = container.evaluate(
        "(el, ll) => { const m = Object.values(window).find(v => v instanceof L.Map);"
        " const p = m.latLngToContainerPoint(ll); return {x: p.x, y: p.y}; }", [lat, lon])
    container.tap(position=spot)
    popup = frame.locator(".leaflet-popup")
    expect(popup).to_contain_text("Centre-ville", timeout=10_000)
    poll(page, lambda: frame.locator(".leaflet-pan-anim, .leaflet-zoom-anim").count() == 0, "the map stops panning")
    page.wait_for_timeout(400)
    inner, outer = popup.bounding_box(), container.bounding_box()
    assert inner["x"] >= outer["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
    assert inner["y"] >= outer["y"] - 1
    assert frame.locator(".leaflet-tooltip").count() == 0
    expect(layers).not_to_have_class(re.compile(r"leaflet-control-layers-expanded"))  # folded again
    expect(frame.locator(".leaflet-popup-close-button")).to_have_attribute("aria-label", "Fermer")
    expect(frame.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "Zoom avant")
    assert_healthy(page, browser_watch, "phone Carte")
    screenshot(page, artifacts_dir, "phone_carte_quartier_touche")


def fill_report(page, form, *, lat: float, lon: float, category: str, text: str) -> None:
    form.get_by_label("Latitude").fill(f"{lat:.6f}")
    form.get_by_label("Longitude").fill(f"{lon:.6f}")
    choose(page, form, "Catégorie", category)
    form.locator('[data-testid="stRadio"]').get_by_text("À traiter", exact=True).tap()
    form.get_by_role("textbox", name="Description").fill(text)


def test_phone_saisie_twice_in_a_row(phone_page, e2e_server, browser_watch, artifacts_dir):
    from geo.store.database import Store

    page = phone_page
    store = Store(e2e_server.db_url)
    before = len(store.read_reports(columns=("id",)))
    open_at(page, e2e_server, "Saisie")
    map_frame(page)
    form = page.locator('[data-testid="stForm"]')
    for placeholder in (form.get_by_label("Latitude"), form.get_by_label("Longitude")):
        assert not re.search(r"\d", placeholder.get_attribute("placeholder") or ""), "a placeholder like a value"
    tokens = [uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]]
    reports = [(ENTRY_POINT, "Veille technique — Éclairage public en panne", "Éclairage public en panne"),
               ((47.3301, 5.0602), "Veille technique — Tags, graffitis, affichage sauvage", "Tags, graffitis")]
    for n, (token, ((lat, lon), option, label)) in enumerate(zip(tokens, reports, strict=True), start=1):
        fill_report(page, form, lat=lat, lon=lon, category=option, text=f"Saisie téléphone {n} ({token})")
        form.get_by_role("button", name="Enregistrer").tap()
        success = page.locator('[data-testid="stAlertContentSuccess"]')
        expect(success).to_contain_text(f"Signalement enregistré : {label}", timeout=30_000)
        wait_idle(page)
        assert report_with_token(e2e_server.db_url, token) is not None, f"report {n} is stored"
        assert len(store.read_reports(columns=("id",))) == before + n
        # the form is empty again for the next one
        expect(form.get_by_label("Latitude")).to_have_value("")
        expect(form.get_by_label("Longitude")).to_have_value("")
        expect(form.get_by_role("combobox", name="Catégorie", exact=True)).to_have_value("")
        expect(form.get_by_role("textbox", name="Description")).to_have_value("")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        screenshot(page, artifacts_dir, f"phone_saisie_{n}")
    # "Enregistrer" again on the empty form: French messages beside the fields, no second success
    form.get_by_role("button", name="Enregistrer").tap()
    errors = page.locator('[data-testid="stAlertContentError"]')
    expect(errors.first).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_have_count(0)
    text = " ".join(errors.all_inner_texts())
    assert "Choisissez une catégorie." in text and "inconnue" not in text
    assert len(store.read_reports(columns=("id",))) == before + 2
    assert_healthy(page, browser_watch, "phone Saisie twice")


def english_left(page) -> list[str]:
    """English strings of ``ENGLISH`` in the page's text, titles, labels and placeholders."""
    texts = page.evaluate(
        "() => [document.body.innerText, ...Array.from(document.querySelectorAll('[title],[aria-label],"
        "[placeholder]')).flatMap(e => ['title', 'aria-label', 'placeholder'].map(a => e.getAttribute(a) || ''))]")
    found = set()
    for text in texts:
        for word in ENGLISH:
            if re.search(rf"\b{re.escape(word)}\b", text):
                found.add(word)
    return sorted(found)


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["390x844", "1440x900"])
def test_no_english_on_any_page(e2e_browser, e2e_server, screen, artifacts_dir):
    from tests.e2e.conftest import PageWatch

    e2e_server.used = True
    watch = PageWatch()
    context, page = open_context(e2e_browser, watch, **screen)
    try:
        for label in ("Accueil", "Carte", "Saisie", "Import"):
            open_at(page, e2e_server, label)
            page.wait_for_timeout(300)
            assert english_left(page) == [], f"{label}: English left"
        # the uploader's texts, the multiselect's list: open them where they are
        open_at(page, e2e_server, "Import")
        expect(page.locator('[data-testid="stFileUploaderDropzoneInstructions"]')).to_contain_text("Mo par fichier")
        assert english_left(page) == []
        open_at(page, e2e_server, "Accueil")
        # tables offer no raw CSV of their text (client.disableDataExport): pages use the safe writer instead
        table = page.locator('[data-testid="stDataFrame"]').first
        table.hover()
        expect(page.locator('[data-testid="stElementToolbarButton"]').first).to_be_visible()
        labels = page.locator('[data-testid="stElementToolbarButton"] button').evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || e.innerText)")
        assert labels and not [x for x in labels if re.search("download|télécharger|csv", x, re.I)], labels
        if screen is PHONE:
            page.locator('[data-testid="stExpandSidebarButton"]').tap()
        combo = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Catégorie", exact=True)
        combo.click()
        expect(page.get_by_role("option", name="Tout sélectionner")).to_be_visible()
        assert english_left(page) == [], "multiselect list"
        combo.fill("éc")
        expect(page.get_by_role("option", name=re.compile(r"^Sélectionner les \d+ résultats$"))).to_be_visible()
        assert english_left(page) == [], "multiselect filtered list"
        combo.fill("zzzz")
        expect(page.get_by_text("Aucun résultat")).to_be_visible()
        assert english_left(page) == [], "multiselect with no match"
        page.keyboard.press("Escape")
        screenshot(page, artifacts_dir, f"francais_{screen['viewport']['width']}")
    finally:
        context.close()
    assert not watch.page_errors, watch.page_errors


def test_the_saisie_map_zooms_in_a_step_per_tap(phone_page, e2e_server, browser_watch):
    page = phone_page
    open_at(page, e2e_server, "Saisie")
    frame = map_frame(page)

    def zoom() -> float:
        return page.frame_locator(MAP_FRAME).first.locator(".leaflet-container").evaluate(
            "() => Object.values(window).find(v => v instanceof L.Map).getZoom()")

    levels = [zoom()]
    for _ in range(3):
        container = page.frame_locator(MAP_FRAME).first.locator(".leaflet-container")
        container.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = container.bounding_box()
        container.tap(position={"x": box["width"] / 2 + 10, "y": box["height"] / 2 + 10})
        poll(page, lambda: zoom() != levels[-1], "the map zooms in after a tap")
        wait_idle(page)
        map_frame(page)
        levels.append(zoom())
    steps = [b - a for a, b in itertools.pairwise(levels)]
    assert levels[-1] <= 17 and all(0 < s <= 3 for s in steps), levels
    # the quartier outlines are still drawn at the closest zoom
    outlines = page.frame_locator(MAP_FRAME).first.locator(".leaflet-container").evaluate(
        "() => { let n = 0; Object.values(window).find(v => v instanceof L.Map).eachLayer("
        "l => { if (l.feature && l.feature.properties && l.feature.properties.code) n++; }); return n; }")
    assert outlines > 0
    assert frame is not None
    assert_healthy(page, browser_watch, "Saisie zoom")
