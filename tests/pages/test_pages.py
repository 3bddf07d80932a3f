"""Every page renders on the demo store and on an empty store; filters change what pages show."""

from __future__ import annotations

import json

import pytest

PAGES = ["pages/accueil.py", "pages/carte.py", "pages/saisie.py", "pages/import_donnees.py"]


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_store(app, page):
    at = app(page)
    no_exception(at)
    assert at.title, "each page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_store(app, page, tmp_path):
    at = app(page, db=f"sqlite:///{tmp_path / 'empty.sqlite'}")
    no_exception(at)
    if page in ("pages/accueil.py", "pages/carte.py"):
        text = " ".join(i.value for i in at.info)
        assert "Aucun signalement" in text and "python -m geo demo" in text


def metric(at, label: str) -> int:
    return int(next(m for m in at.metric if m.label == label).value)


def test_home_figures_follow_the_sidebar_filters(app):
    at = app("pages/accueil.py")
    total = metric(at, "Signalements")
    assert total > 0
    at.sidebar.multiselect(key="filtre_categories").select("eclairage").run()
    no_exception(at)
    assert 0 <= metric(at, "Signalements") < total
    assert at.session_state["filtre_courant"].categories == ("eclairage",)


def test_filters_keep_their_values_from_page_to_page(app):
    at = app("pages/accueil.py")
    at.sidebar.multiselect(key="filtre_registres").select("veille_technique").run()
    at.switch_page("pages/carte.py").run()
    no_exception(at)
    assert at.sidebar.multiselect(key="filtre_registres").value == ["veille_technique"]
    assert at.session_state["filtre_courant"].registres == ("veille_technique",)
    caption = " ".join(c.value for c in at.caption)
    before = app("pages/carte.py")
    assert caption != " ".join(c.value for c in before.caption), "the map page counts only the filtered reports"


def map_component(at):
    comps = [c for c in at.get("component_instance")]
    assert comps, "the map component is on the page"
    return comps[0]


def map_html(at) -> str:
    return json.dumps(json.loads(map_component(at).proto.json_args))


def test_map_receives_the_chosen_layers(app):
    at = app("pages/carte.py")
    html = map_html(at)
    assert "Quartiers" in html and "Signalements" in html
    assert "Chaleur" not in html
    at.multiselect(key="carte_couches").set_value(["heat", "hexagons"]).run()
    no_exception(at)
    html = map_html(at)
    assert "Chaleur" in html and "Hexagones" in html
    assert "markerClusterGroup" not in html


def test_map_uses_no_cdn(app):
    at = app("pages/carte.py")
    html = map_html(at)
    for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "code.jquery.com", "netdna.bootstrapcdn"):
        assert cdn not in html
    assert "leaflet.js" in html


def test_map_with_no_basemap_has_no_tile_url(app):
    at = app("pages/carte.py")
    at.selectbox(key="carte_fond").set_value("none").run()
    no_exception(at)
    html = map_html(at)
    assert "tile.openstreetmap.org" not in html and "data.geopf.fr" not in html


def test_quartier_panel_shows_counts_series_and_open_reports(app):
    at = app("pages/carte.py")
    assert any("Cliquez sur un quartier" in i.value for i in at.info)
    at.session_state["carte_quartier"] = "gresilles"  # what a click on the quartier stores
    at.run()
    no_exception(at)
    assert [s.value for s in at.subheader] == ["Grésilles"]
    assert int(next(m for m in at.metric if m.label.startswith("Signalements")).value) > 0
    assert len(at.dataframe) == 2  # by category, open reports


def test_field_entry_is_stored_and_shown_on_the_map(app, demo_copy):
    at = app("pages/saisie.py", db=demo_copy)
    no_exception(at)
    before = map_html(at).count("circleMarker")
    at.number_input(key="saisie_lat").set_value(47.3220)
    at.number_input(key="saisie_lon").set_value(5.0415)
    at.selectbox[0].set_value("eclairage")
    at.radio[0].set_value(2)
    at.text_area[0].input("<b>Lampadaire</b> éteint")
    at.button[0].click().run()
    no_exception(at)
    assert any("enregistré" in s.value for s in at.success)
    assert not at.error
    assert map_html(at).count("circleMarker") == before + 1


def test_field_entry_errors_are_shown_next_to_fields(app, demo_copy):
    at = app("pages/saisie.py", db=demo_copy)
    at.button[0].click().run()
    no_exception(at)
    messages = " ".join(e.value for e in at.error)
    assert "latitude manquante" in messages and "catégorie" in messages


def test_empty_store_offers_the_demo_and_loads_it(app, tmp_path):
    at = app("pages/accueil.py", db=f"sqlite:///{tmp_path / 'vide.sqlite'}")
    at.button(key="vide_demo").click().run()
    no_exception(at)
    assert metric(at, "Signalements") >= 0
    assert not any("Aucun signalement n'est encore" in i.value for i in at.info)
