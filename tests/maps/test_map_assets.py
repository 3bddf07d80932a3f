"""Maps reference only files the app serves itself: no CDN, and every file is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import branca.colormap as bcm
import folium
import pytest
import streamlit_folium
from folium.plugins import Fullscreen, HeatMap, MarkerCluster

from geo.maps.assets import (
    FOLIUM_TEMPLATES_DIR,
    AssetRoots,
    ColorLegend,
    UnsupportedAssetError,
    asset_urls,
    use_local_assets,
)
from ui.offline import NODE_MODULES, MissingAssetsError, check_assets, register_assets

ROOTS = AssetRoots(npm="../ui.offline.map_npm", folium="../ui.offline.map_folium")
# Where Streamlit serves st_folium's iframe; ROOTS are relative to it.
IFRAME_URL = "http://127.0.0.1:8501/component/streamlit_folium.st_folium/index.html"
COMPONENT_DIRS = {"ui.offline.map_npm": NODE_MODULES, "ui.offline.map_folium": FOLIUM_TEMPLATES_DIR}


def _squares() -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": f"q{i}",
            "properties": {"nom": f"Quartier {i}", "n": 10 * i + 3},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[lon, lat], [lon + 0.3, lat], [lon + 0.3, lat + 0.2], [lon, lat + 0.2], [lon, lat]]],
            },
        }
        for i, (lon, lat) in enumerate([(2.2, 48.8), (2.5, 48.8), (2.2, 49.0), (2.5, 49.0)])
    ]
    return {"type": "FeatureCollection", "features": features}


def _dashboard_map(*, tiles: str | None = "OpenStreetMap") -> folium.Map:
    """A map with every kind of element the dashboard draws."""
    extra: dict[str, Any] = {} if tiles else {"maxZoom": 18}  # MarkerCluster needs a maxZoom
    m = folium.Map(location=[48.9, 2.5], zoom_start=9, tiles=tiles, **extra)
    scale = bcm.LinearColormap(["#ffffcc", "#800026"], vmin=0, vmax=40, caption="Signalements")
    folium.GeoJson(
        _squares(),
        name="Quartiers",
        style_function=lambda f: {"fillColor": scale(f["properties"]["n"]), "weight": 1},
        tooltip=folium.GeoJsonTooltip(["nom", "n"], aliases=["Quartier", "Signalements"]),
        popup=folium.GeoJsonPopup(["nom", "n"]),
    ).add_to(m)
    folium.Choropleth(
        _squares(),
        data={"q0": 3, "q1": 13, "q2": 23, "q3": 33},
        key_on="feature.id",
        name="Choroplèthe",
        legend_name="Densité",
    ).add_to(m)
    cluster = MarkerCluster(name="Signalements").add_to(m)
    points = [(48.8 + 0.01 * i, 2.2 + 0.015 * i) for i in range(30)]
    for lat, lon in points:
        folium.CircleMarker(
            [lat, lon], radius=5, popup=folium.Popup(f"<b>{lat:.2f}</b>"), tooltip="signalement"
        ).add_to(cluster)
    HeatMap([[lat, lon, 1.0] for lat, lon in points], name="Chaleur").add_to(m)
    scale.add_to(m)
    folium.LayerControl().add_to(m)
    return m


def _served_file(url: str) -> Path:
    """Resolve ``url`` as the st_folium iframe would and map it to the file Streamlit serves."""
    path = urlsplit(urljoin(IFRAME_URL, url)).path
    prefix = "/component/"
    assert path.startswith(prefix), url
    name, _, rel = path[len(prefix) :].partition("/")
    assert name in COMPONENT_DIRS, url
    return COMPONENT_DIRS[name] / rel


def test_stock_folium_map_uses_cdns() -> None:
    """The check below is meaningful: without rewriting, folium points at CDNs."""
    urls = asset_urls(_dashboard_map().get_root().render())
    assert any("leaflet" in u for u in urls)
    assert any("d3" in u for u in urls)


def test_rendered_map_references_no_cdn() -> None:
    m = use_local_assets(_dashboard_map(), roots=ROOTS)
    page = m.get_root().render()
    assert asset_urls(page) == []
    local = asset_urls(page, external_only=False)
    assert local and all(u.startswith(("../ui.offline.map_npm/", "../ui.offline.map_folium/")) for u in local)
    assert "d3.scale" not in page and "d3.min.js" not in page  # legend drawn without d3


def test_st_folium_sends_only_local_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """What st_folium really hands to its iframe (it adds d3 by itself for any branca colormap)."""
    sent: dict[str, Any] = {}

    def fake_component(**kwargs: Any) -> Any:
        sent.update(kwargs)
        return kwargs.get("default")

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    m = use_local_assets(_dashboard_map(), roots=ROOTS)
    streamlit_folium.st_folium(m, key="carte")

    links = sent["js_links"] + sent["css_links"]
    assert links and not [u for u in links if u.startswith(("http:", "https:", "//"))]
    assert asset_urls(sent["header"]) == [] and asset_urls(sent["html"]) == []
    assert "L.control(" in sent["script"] and "veille-legend" in sent["script"]


def test_every_local_url_is_an_installed_file() -> None:
    if not NODE_MODULES.is_dir():
        pytest.fail(f"{NODE_MODULES} is missing: run `npm ci --prefix ui/assets` first")
    m = use_local_assets(_dashboard_map(), roots=ROOTS)
    urls = asset_urls(m.get_root().render(), external_only=False)
    assert len(urls) == 7
    for url in urls:
        assert _served_file(url).is_file(), url
    check_assets()


def test_register_assets_prefixes_match_component_names() -> None:
    roots = register_assets()  # outside a script run: declares without registering
    assert roots == ROOTS


def test_check_assets_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(MissingAssetsError, match=r"npm ci --prefix ui/assets"):
        check_assets(node_modules=tmp_path)


def test_rewrite_is_idempotent_and_leaves_folium_classes_alone() -> None:
    cdn_leaflet = dict(folium.Map.default_js)["leaflet"]
    m = _dashboard_map(tiles=None)
    use_local_assets(m, roots=ROOTS)
    first = m.get_root().render()
    use_local_assets(m, roots=ROOTS)
    assert asset_urls(m.get_root().render(), external_only=False) == asset_urls(first, external_only=False)
    assert dict(folium.Map.default_js)["leaflet"] == cdn_leaflet
    assert asset_urls(folium.Map().get_root().render())  # a fresh map still uses CDNs


def test_rewrite_after_an_earlier_render_drops_stale_cdn_links() -> None:
    m = _dashboard_map()
    assert asset_urls(m.get_root().render())
    use_local_assets(m, roots=ROOTS)
    assert asset_urls(m.get_root().render()) == []


def test_colormaps_become_html_legends() -> None:
    m = _dashboard_map()
    use_local_assets(m, roots=ROOTS)
    legends = [c for c in m._children.values() if isinstance(c, ColorLegend)]
    assert len(legends) == 1 and "Signalements" in legends[0].html
    choropleth = next(c for c in m._children.values() if isinstance(c, folium.Choropleth))
    assert any(isinstance(c, ColorLegend) for c in choropleth._children.values())
    assert not any(isinstance(c, bcm.ColorMap) for c in choropleth._children.values())


def test_legend_escapes_caption_and_formats_ticks() -> None:
    cm = bcm.StepColormap(["red", "blue"], index=[0, 1500, 3000.5], caption="<b>A & B</b>")
    legend = ColorLegend(cm)
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in legend.html
    assert "1\u202f500" in legend.html and "3,0e+03" not in legend.html


@pytest.mark.parametrize(
    "element",
    [folium.Marker([48.9, 2.3], icon=folium.Icon(color="red")), Fullscreen()],
    ids=["awesome-marker-icon", "unlisted-plugin"],
)
def test_unservable_elements_are_refused(element: folium.MacroElement) -> None:
    m = folium.Map(tiles=None)
    element.add_to(m)
    with pytest.raises(UnsupportedAssetError):
        use_local_assets(m, roots=ROOTS)


def test_asset_urls_finds_scripts_and_links() -> None:
    page = (
        '<script src="https://cdn.example/a.js"></script><link rel="stylesheet" href="//cdn/b.css">'
        '<script src="../local/c.js"></script><script>var x = "https://not-a-src";</script>'
        '<img src="https://tiles/1.png">'
    )
    assert asset_urls(page) == ["https://cdn.example/a.js", "//cdn/b.css"]
    assert asset_urls(page, external_only=False)[-1] == "../local/c.js"
