"""The field form's map: the "Ma position" control (the browser side is in tests/e2e/test_browser.py)."""

import json
import re

import folium
import pytest

from geo.maps.entry_map import LOCATE_ERROR, POINT_ZOOM, LocateControl, build_entry_map
from tests.conftest import NORTH_POINT, make_territory


def locate_calls(script: str, map_name: str) -> list[dict]:
    """The options of every ``<map_name>.locate({...})`` call in ``script``."""
    return [json.loads(options) for options in re.findall(rf"\b{re.escape(map_name)}\.locate\((\{{[^}}]*\}})\)",
                                                           script)]


def test_map_has_a_ma_position_button_that_locates_the_map():
    fmap = build_entry_map(make_territory(), point=NORTH_POINT, basemap_url=None)
    page = fmap.get_root().render()

    assert locate_calls(page, fmap.get_name()) == [{"setView": True, "maxZoom": 17, "enableHighAccuracy": True}]
    control = re.search(r"var (locate_control_\w+) = L\.control\(\{position: \"topleft\"\}\);", page)
    assert control, "a Leaflet control in the top-left corner, under the zoom buttons"
    assert f"{control.group(1)}.addTo({fmap.get_name()});" in page
    # A real, named button, and the French texts.
    assert 'L.DomUtil.create("a", "veille-locate-button", box)' in page
    assert 'button.setAttribute("role", "button");' in page
    assert 'button.setAttribute("aria-label", "Ma position");' in page
    assert 'button.appendChild(document.createTextNode("Ma position"));' in page
    assert json.dumps(LOCATE_ERROR) in page
    # The found position is picked as a map click (what streamlit_folium reports as last_clicked).
    assert 'map.on("locationfound", control._found);' in page
    assert re.search(r'map\.fire\("click", \{latlng: e\.latlng, layerPoint: .*containerPoint: ', page, re.DOTALL)
    assert 'map.on("locationerror", control._failed);' in page


def test_map_without_locate_has_no_button():
    fmap = build_entry_map(make_territory(), point=NORTH_POINT, basemap_url=None, locate=False)
    page = fmap.get_root().render()
    assert locate_calls(page, fmap.get_name()) == []
    assert ".locate(" not in page and "Ma position" not in page and "locationfound" not in page


def test_streamlit_folium_script_keeps_the_control_on_its_map_variable():
    """streamlit_folium renders each element's ``script`` macro on its own and renames the map ``map_div``."""
    from streamlit_folium import generate_leaflet_string

    script = generate_leaflet_string(build_entry_map(make_territory(), basemap_url=None))
    assert locate_calls(script, "map_div") == [{"setView": True, "maxZoom": 17, "enableHighAccuracy": True}]
    assert re.search(r"locate_control_\w+\.addTo\(map_div\);", script)


def test_control_outside_a_map_is_refused():
    group = folium.FeatureGroup().add_to(folium.Map())
    LocateControl().add_to(group)
    with pytest.raises(TypeError, match=r"folium\.Map"):
        group.get_root().render()


def test_the_map_opens_on_the_chosen_point_at_street_level_else_on_the_territory():
    chosen = build_entry_map(make_territory(), point=NORTH_POINT, basemap_url=None)
    assert chosen.location == list(NORTH_POINT) and chosen.options["zoom"] == POINT_ZOOM
    assert "fitBounds" not in chosen.get_root().render()
    whole = build_entry_map(make_territory(), basemap_url=None)
    assert "fitBounds" in whole.get_root().render()
