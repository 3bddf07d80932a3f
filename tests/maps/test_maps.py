"""Behaviour of the Carte page's map (geo.maps.explorer, geo.maps.choropleth, geo.maps.hexgrid) and quartier panel."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from branca.colormap import ColorMap
from folium.plugins import FastMarkerCluster, HeatMap
from shapely.geometry import Polygon

from geo.maps.choropleth import NO_DATA_COLOUR, YLORRD, ClassLegend, classify, neighbourhood_values, quantile_bins
from geo.maps.explorer import (
    AGEING_BANDS,
    IGN_PLAN_URL,
    LAYER_NAMES,
    LAYERS,
    POINTS_MAX_BYTES,
    build_map,
    heat_cells,
    neighbourhood_panel,
)
from geo.maps.hexgrid import hexagon_counts, hexagon_layer

TZ = "Europe/Paris"
ALL_LAYERS = ("choropleth", "heat", "points", "hexagons")
XSS = "<script>alert(1)</script>"


# -- fixtures -------------------------------------------------------------------------------------
def small_territory(population: tuple = (2000, 500, None)) -> gpd.GeoDataFrame:
    """Three squares side by side around Dijon: a, b, c (c without population by default)."""
    squares = [
        Polygon([(5.00, 47.30), (5.02, 47.30), (5.02, 47.32), (5.00, 47.32)]),
        Polygon([(5.02, 47.30), (5.04, 47.30), (5.04, 47.32), (5.02, 47.32)]),
        Polygon([(5.04, 47.30), (5.06, 47.30), (5.06, 47.32), (5.04, 47.32)]),
    ]
    return gpd.GeoDataFrame(
        {
            "code": ["a", "b", "c"],
            "name": ["Alpha", "Bêta & <Gamma>", "Charlie"],
            "population": pd.array(population, dtype="Int64"),
            "priority": [False, True, False],
        },
        geometry=squares,
        crs="EPSG:4326",
    )


def make_reports(rows: list[tuple]) -> pd.DataFrame:
    """Reports from ``(neighbourhood, lon, lat, observed_at, category, status, severity[, description])``."""
    frame = pd.DataFrame(
        [r if len(r) == 8 else (*r, None) for r in rows],
        columns=["neighbourhood", "lon", "lat", "observed_at", "category", "status", "severity", "description"],
    )
    frame.insert(0, "id", [f"r{i}" for i in range(len(frame))])
    frame["observed_at"] = pd.to_datetime(frame["observed_at"]).dt.tz_localize(TZ)
    frame["registre"] = "veille_technique"
    frame["team"] = "Équipe A"
    return frame


def synthetic_reports(n: int, *, seed: int = 0) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """``n`` reports over the demo-like area (lat 47.29–47.36, lon 4.98–5.10) and a 6 × 4 grid territory."""
    rng = np.random.default_rng(seed)
    nx, ny = 6, 4
    xs, ys = np.linspace(4.98, 5.10, nx + 1), np.linspace(47.29, 47.36, ny + 1)
    cells = [(i, j) for i in range(nx) for j in range(ny)]
    territory = gpd.GeoDataFrame(
        {
            "code": [f"q{i}{j}" for i, j in cells],
            "name": [f"Quartier {i}-{j}" for i, j in cells],
            "population": pd.array([1000 * (i + j + 1) for i, j in cells], dtype="Int64"),
            "priority": False,
        },
        geometry=[
            Polygon([(xs[i], ys[j]), (xs[i + 1], ys[j]), (xs[i + 1], ys[j + 1]), (xs[i], ys[j + 1])]) for i, j in cells
        ],
        crs="EPSG:4326",
    )
    half = n // 2
    centres = rng.uniform([47.30, 5.00], [47.35, 5.08], size=(30, 2))[rng.integers(0, 30, n - half)]
    lat = np.concatenate([rng.uniform(47.29, 47.36, half), rng.normal(centres[:, 0], 0.003)])
    lon = np.concatenate([rng.uniform(4.98, 5.10, half), rng.normal(centres[:, 1], 0.004)])
    ix = np.floor((lon - 4.98) / (0.12 / nx)).astype(int)
    iy = np.floor((lat - 47.29) / (0.07 / ny)).astype(int)
    inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    codes = np.array([f"q{i}{j}" for i in range(nx) for j in range(ny)], dtype=object)
    neighbourhood = np.where(inside, codes[(ix.clip(0, nx - 1) * ny + iy.clip(0, ny - 1))], None)
    start = pd.Timestamp("2026-01-01", tz=TZ)
    reports = pd.DataFrame(
        {
            "id": np.arange(n).astype(str),
            "observed_at": start + pd.to_timedelta(rng.integers(0, 365 * 86400, n), unit="s"),
            "lat": lat,
            "lon": lon,
            "category": np.array(["eclairage", "voirie", "proprete", "tags", "rodeo"])[rng.integers(0, 5, n)],
            "registre": "veille_technique",
            "severity": rng.integers(1, 4, n),
            "status": np.array(["nouveau", "transmis", "pris_en_charge", "resolu"])[rng.integers(0, 4, n)],
            "neighbourhood": neighbourhood,
            "team": "Équipe A",
            "description": np.where(rng.random(n) < 0.5, "Dépôt sauvage devant le n°12, encombrants " * 3, None),
        }
    )
    return territory, reports


@pytest.fixture
def territory() -> gpd.GeoDataFrame:
    return small_territory()


@pytest.fixture
def reports() -> pd.DataFrame:
    rows = [
        ("a", 5.005, 47.305, "2026-03-01 10:00", "eclairage", "nouveau", 2),
        ("a", 5.006, 47.306, "2026-03-02 10:00", "eclairage", "resolu", 1),
        ("a", 5.007, 47.307, "2026-03-03 10:00", "voirie", "transmis", 3),
        ("b", 5.025, 47.305, "2026-03-04 10:00", "tags", "nouveau", 1, XSS),
        ("c", 5.045, 47.305, "2026-03-05 10:00", "tags", "nouveau", 1),
        (None, 5.100, 47.400, "2026-03-06 10:00", "rodeo", "nouveau", 3),
    ]
    return make_reports(rows)


# -- helpers --------------------------------------------------------------------------------------
def groups(m: folium.Map) -> dict[str, folium.FeatureGroup]:
    return {c.layer_name: c for c in m._children.values() if isinstance(c, folium.FeatureGroup)}


def group_starting(m: folium.Map, prefix: str) -> folium.FeatureGroup:
    found = [g for name, g in groups(m).items() if name.startswith(prefix)]
    assert len(found) == 1, f"one layer named {prefix!r}… expected, found {list(groups(m))}"
    return found[0]


def only_child(group: folium.FeatureGroup, kind: type) -> folium.Element:
    found = [c for c in group._children.values() if isinstance(c, kind)]
    assert len(found) == 1
    return found[0]


def choropleth_features(m: folium.Map) -> dict[str, dict]:
    geojson = only_child(groups(m)["Quartiers"], folium.GeoJson)
    return {f["properties"]["code"]: f for f in geojson.data["features"]}


def point_rows(m: folium.Map) -> list[list]:
    return only_child(group_starting(m, "Signalements"), FastMarkerCluster).data


def walk(element: folium.Element):
    yield element
    for child in element._children.values():
        yield from walk(child)


# -- layers ---------------------------------------------------------------------------------------
def test_map_holds_one_named_layer_per_requested_layer_and_a_layer_control(territory, reports):
    m = build_map(territory, reports, layers=ALL_LAYERS, labels={"tags": "Tags"})
    names = list(groups(m))
    assert names[0] == "Quartiers"
    assert {n.split(" (")[0] for n in names} == {"Quartiers", "Chaleur", "Signalements", "Hexagones H3"}
    assert {LAYER_NAMES[k] for k in LAYERS} == {n.split(" (")[0] for n in names}
    assert sum(isinstance(c, folium.LayerControl) for c in m._children.values()) == 1
    page = m.get_root().render()
    for name in ("Quartiers", "Chaleur", "Hexagones H3"):
        assert f'"{name}"' in page


@pytest.mark.parametrize("layers", [["choropleth"], ["heat"], ["points"], ["hexagons"], []])
def test_only_requested_layers_are_drawn(territory, reports, layers):
    m = build_map(territory, reports, layers=layers, basemap="none")
    drawn = groups(m)
    # without the choropleth, the quartiers are still drawn as outlines (context, and a quartier to tap)
    outlines = drawn.pop(LAYER_NAMES["outlines"], None)
    assert (outlines is None) == ("choropleth" in layers)
    assert len(drawn) == len(layers)
    m.get_root().render()


def test_map_fits_the_territory(territory, reports):
    m = build_map(territory, reports, layers=["choropleth"])
    page = m.get_root().render()
    assert "fitBounds" in page
    assert "[[47.3, 5.0], [47.32, 5.06]]" in page


def test_options_are_checked_before_any_work(territory, reports):
    with pytest.raises(ValueError, match=r"`layers` was .*'roads'.* expected to be in"):
        build_map(territory, reports, layers=["roads"])
    with pytest.raises(ValueError, match="`measure` was \"mean\""):
        build_map(territory, reports, layers=["choropleth"], measure="mean")
    with pytest.raises(ValueError, match="`basemap`"):
        build_map(territory, reports, layers=[], basemap="google")
    with pytest.raises(ValueError, match="`scheme`"):
        build_map(territory, reports, layers=["choropleth"], scheme="equal")
    with pytest.raises(ValueError, match="missing the columns \\['lat', 'lon'\\]"):
        build_map(territory, reports.drop(columns=["lat", "lon"]), layers=["heat"])


# -- choropleth -----------------------------------------------------------------------------------
def test_choropleth_counts_reports_per_quartier(territory, reports):
    features = choropleth_features(build_map(territory, reports, layers=["choropleth"]))
    assert {code: f["properties"]["value"] for code, f in features.items()} == {"a": 3, "b": 1, "c": 1}
    assert {code: f["properties"]["count"] for code, f in features.items()} == {"a": 3, "b": 1, "c": 1}


def test_rate_divides_by_population_per_thousand_and_leaves_unknown_population_grey(territory, reports):
    m = build_map(territory, reports, layers=["choropleth"], measure="rate")
    features = choropleth_features(m)
    assert features["a"]["properties"]["value"] == pytest.approx(3 / 2000 * 1000)
    assert features["b"]["properties"]["value"] == pytest.approx(1 / 500 * 1000)
    assert features["c"]["properties"]["value"] is None
    assert features["c"]["properties"]["population"] is None
    assert "population inconnue" in features["c"]["properties"]["tooltip_value"]
    geojson = only_child(groups(m)["Quartiers"], folium.GeoJson)
    assert geojson.style_function(features["c"])["fillColor"] == NO_DATA_COLOUR
    assert geojson.style_function(features["a"])["fillColor"] != NO_DATA_COLOUR
    assert "Population inconnue" in m.get_root().render()


def test_zero_population_gives_no_rate_rather_than_infinity():
    no_reports = make_reports([])
    table = neighbourhood_values(small_territory((0, 500, 100)), no_reports, measure="rate")
    assert table["rate"].isna().tolist() == [True, False, False]
    assert table["value"].tolist()[1:] == [0.0, 0.0]


def test_choropleth_features_carry_the_quartier_code_for_click_handlers(territory, reports):
    page = build_map(territory, reports, layers=["choropleth"]).get_root().render()
    for code in ("a", "b", "c"):
        assert f'"code": "{code}"' in page


@pytest.mark.parametrize("measure", ["count", "rate"])
def test_choropleth_survives_no_reports_at_all(territory, measure):
    empty = make_reports([])
    m = build_map(territory, empty, layers=ALL_LAYERS, measure=measure)
    assert {f["properties"]["count"] for f in choropleth_features(m).values()} == {0}
    assert point_rows_or_none(m) is None
    m.get_root().render()


def point_rows_or_none(m: folium.Map) -> list | None:
    group = group_starting(m, "Signalements")
    children = [c for c in group._children.values() if isinstance(c, FastMarkerCluster)]
    return children[0].data if children else None


def test_legend_is_plain_html_with_one_row_per_class_and_no_branca_colormap(territory, reports):
    m = build_map(territory, reports, layers=["choropleth", "hexagons"])
    legends = [c for c in m._children.values() if isinstance(c, ClassLegend)]
    assert len(legends) == 2
    assert not any(isinstance(e, ColorMap) for e in walk(m))
    page = m.get_root().render()
    assert "d3" not in re.findall(r'<script src="([^"]+)"', page)
    assert "Signalements par quartier" in page
    # counts 1, 1, 3: two classes, "1" and "2 – 3"
    assert legends[0].html.count("<span") == 2
    assert ">1</div>" in legends[0].html and ">2 – 3</div>" in legends[0].html


# -- classes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "natural_breaks"])
def test_all_zero_values_make_a_single_class(scheme):
    found = classify([0, 0, 0, 0], classes=5, scheme=scheme)
    assert found.labels == ("0",)
    assert found.colour_of([0, 0]) == [YLORRD[3][0]] * 2


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "natural_breaks"])
def test_few_distinct_values_make_fewer_classes_without_warnings(scheme, recwarn):
    found = classify([0, 0, 0, 0, 5, 5], classes=5, scheme=scheme)
    assert found.labels == ("0", "1 – 5")
    assert len(recwarn) == 0


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "natural_breaks"])
def test_classes_cover_every_value_with_disjoint_integer_ranges(scheme):
    values = np.random.default_rng(1).poisson(np.random.default_rng(2).gamma(1, 50, 2000))
    found = classify(values, classes=5, scheme=scheme)
    assert len(found.bins) == 5 and found.bins[-1] == values.max()
    assert found.colours == YLORRD[5]
    index = np.searchsorted(found.bins, values)
    assert index.max() < 5
    lowers = [int(label.split(" – ")[0].replace("\u202f", "")) for label in found.labels]
    assert lowers[0] == values.min() and lowers[1:] == [int(b) + 1 for b in found.bins[:-1]]


def test_natural_breaks_are_reproducible():
    values = np.random.default_rng(3).gamma(1, 50, 500)
    assert classify(values, scheme="natural_breaks") == classify(values, scheme="natural_breaks")


def test_no_finite_value_makes_no_class():
    found = classify([np.nan, np.nan])
    assert found.bins == () and found.colour_of([np.nan]) == [NO_DATA_COLOUR]


def test_class_count_is_checked():
    with pytest.raises(ValueError, match="`classes` was 12 but is expected to be between 2 and 9"):
        classify([1, 2, 3], classes=12)


# -- escaping -------------------------------------------------------------------------------------
def test_description_and_names_reach_the_page_only_escaped(territory, reports):
    m = build_map(territory, reports, layers=ALL_LAYERS, labels={"tags": "Tags <i>sauvages</i>"})
    page = m.get_root().render()
    assert XSS not in page
    assert "<script>alert" not in page
    assert "<Gamma>" not in page and "<i>sauvages" not in page
    # What the browser receives, once the JSON in the script is decoded: entities, shown as text.
    data = json.loads(re.search(r"var data = (\[.*?\]);\n", page).group(1))
    assert html.escape(XSS) in [row[6] for row in data]
    assert "Tags &lt;i&gt;sauvages&lt;/i&gt;" in json.loads(re.search(r"var tables = (\{.*?\});", page).group(1))[
        "category"
    ]
    assert choropleth_features(m)["b"]["properties"]["tooltip_name"] == "Bêta &amp; &lt;Gamma&gt;"
    assert choropleth_features(m)["b"]["properties"]["name"] == "Bêta & <Gamma>"  # raw, for the page's panel


# -- basemaps -------------------------------------------------------------------------------------
def test_basemap_none_has_no_tile_layer_and_no_tile_url(territory, reports):
    m = build_map(territory, reports, layers=ALL_LAYERS, basemap="none")
    page = m.get_root().render()
    assert not any(isinstance(e, folium.TileLayer) for e in walk(m))
    assert "tileLayer" not in page and "{z}" not in page
    assert "openstreetmap.org" not in page and "geopf" not in page


def test_basemap_ign_uses_the_geoplateforme_plan_ign_v2_with_attribution(territory, reports):
    page = build_map(territory, reports, layers=[], basemap="ign").get_root().render()
    assert json.dumps(IGN_PLAN_URL).replace("&", "\\u0026") in page or IGN_PLAN_URL in page
    assert "LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2" in page
    assert "\\u00a9 IGN" in page or "© IGN" in page


def test_basemap_osm_has_attribution(territory, reports):
    page = build_map(territory, reports, layers=[], basemap="osm").get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page
    assert "OpenStreetMap" in page


def test_tile_url_replaces_the_basemap_url(territory, reports):
    url = "http://localhost:8080/tiles/{z}/{x}/{y}.png"
    page = build_map(territory, reports, layers=[], basemap="osm", tile_url=url).get_root().render()
    assert url in page and "tile.openstreetmap.org" not in page
    with pytest.raises(ValueError, match="basemap"):
        build_map(territory, reports, layers=[], basemap="none", tile_url=url)
    with pytest.raises(ValueError, match="placeholders"):
        build_map(territory, reports, layers=[], basemap="osm", tile_url="http://localhost/tile.png")


# -- points ---------------------------------------------------------------------------------------
def test_points_are_capped_to_the_most_recent_and_the_layer_says_so():
    territory = small_territory()
    rows = [("a", 5.01, 47.31, f"2026-02-{d:02d} 12:00", "voirie", "nouveau", 1) for d in range(1, 29)]
    reports = make_reports(rows).sample(frac=1, random_state=0)
    m = build_map(territory, reports, layers=["points"], max_points=10)
    group = group_starting(m, "Signalements")
    assert group.layer_name == "Signalements (10 plus récents sur 28)"
    dates = [row[5] for row in point_rows(m)]
    assert dates == [f"{d:02d}/02/2026 12:00" for d in range(28, 18, -1)]


def test_points_layer_names_the_count_when_all_are_shown(territory, reports):
    m = build_map(territory, reports, layers=["points"], labels={"tags": "Tags"})
    assert group_starting(m, "Signalements").layer_name == "Signalements (6)"
    assert len(point_rows(m)) == 6


def test_popups_show_labels_date_status_and_severity(territory, reports):
    m = build_map(
        territory, reports, layers=["points"], labels={"eclairage": "Éclairage public en panne"},
        status_labels={"nouveau": "Nouveau"}, severity_labels={3: "Danger : relais immédiat"},
    )
    page = m.get_root().render()
    tables = json.loads(re.search(r"var tables = (\{.*?\});", page).group(1))
    assert "Éclairage public en panne" in tables["category"]
    assert "Nouveau" in tables["status"] and "Danger : relais immédiat" in tables["severity"]
    assert "Statut : " in page and "Gravité : " in page


# -- hexagons and heat ----------------------------------------------------------------------------
def test_hexagon_counts_sum_to_the_number_of_reports():
    _, reports = synthetic_reports(5000)
    counts = hexagon_counts(reports["lat"].to_numpy(), reports["lon"].to_numpy(), resolution=9)
    assert counts.sum() == 5000 and (counts > 0).all()
    m = build_map(small_territory(), reports, layers=["hexagons"])
    geojson = only_child(group_starting(m, "Hexagones H3"), folium.GeoJson)
    assert sum(f["properties"]["count"] for f in geojson.data["features"]) == 5000


def test_hexagon_grid_is_made_coarser_when_too_many_cells_are_non_empty():
    _, reports = synthetic_reports(5000)
    lat, lon = reports["lat"].to_numpy(), reports["lon"].to_numpy()
    group, _, used = hexagon_layer(lat, lon, name="Hexagones H3", resolution=10, max_cells=200)
    features = only_child(group, folium.GeoJson).data["features"]
    assert used < 10 and len(features) <= 200
    assert group.layer_name == f"Hexagones H3 (résolution {used})"
    assert sum(f["properties"]["count"] for f in features) == 5000


def test_heat_is_aggregated_on_the_server():
    _, reports = synthetic_reports(5_000)
    lat, lon = reports["lat"].to_numpy(), reports["lon"].to_numpy()
    cells, side = heat_cells(lat, lon)
    assert side == 50.0 and sum(c[2] for c in cells) == 5_000 and len(cells) < 5_000
    coarse, side = heat_cells(lat, lon, max_cells=500)
    assert len(coarse) <= 500 and side > 50.0 and sum(c[2] for c in coarse) == 5_000
    m = build_map(small_territory(), reports, layers=["heat"])
    assert len(only_child(groups(m)["Chaleur"], HeatMap).data) == len(cells)


def test_heat_sends_at_most_ten_thousand_cells():
    _, reports = synthetic_reports(200_000)
    cells, side = heat_cells(reports["lat"].to_numpy(), reports["lon"].to_numpy())
    assert len(cells) <= 10_000 and side == 100.0 and sum(c[2] for c in cells) == 200_000


def test_heat_cells_are_centred_on_their_points():
    cells, _ = heat_cells(np.array([47.3, 47.3, 47.31]), np.array([5.0, 5.0, 5.01]))
    assert sorted(c[2] for c in cells) == [1, 2]
    for lat, lon, _ in cells:
        assert min(abs(lat - 47.3), abs(lat - 47.31)) < 50 / 111_195
        assert min(abs(lon - 5.0), abs(lon - 5.01)) < 50 / 111_195 / np.cos(np.radians(47.3))


# -- size -----------------------------------------------------------------------------------------
def test_page_stays_under_one_and_a_half_megabytes_with_many_reports():
    territory, reports = synthetic_reports(250_000)
    # Worst case for the page: long French descriptions full of characters to escape, and positions
    # spread so that ~950 H3 cells (res 9, cap 1,200) and ~8,700 heat cells (100 m, cap 10,000) are non-empty.
    reports["description"] = "Dépôt sauvage près de l'école élémentaire & <b>urgent</b>, déjà signalé " * 4
    rng = np.random.default_rng(7)
    reports["lat"] = rng.uniform(47.28, 47.365, len(reports))
    reports["lon"] = rng.uniform(4.97, 5.09, len(reports))
    start = time.perf_counter()
    m = build_map(territory, reports, layers=ALL_LAYERS, measure="rate", basemap="osm")
    page = m.get_root().render()
    elapsed = time.perf_counter() - start
    assert len(page.encode("utf-8")) <= 1_500_000
    assert elapsed < 3.0, f"building and rendering took {elapsed:.2f} s"
    assert group_starting(m, "Signalements").layer_name == "Signalements (2\u202f000 plus récents sur 250\u202f000)"
    assert group_starting(m, "Hexagones").layer_name == "Hexagones H3"  # not coarsened: a near-worst case
    assert len(only_child(groups(m)["Chaleur"], HeatMap).data) > 8_000


def test_points_fit_their_byte_budget_whatever_the_text():
    territory, reports = synthetic_reports(3_000)
    reports["description"] = "<&>" * 2_000  # each character grows to 4-5 once escaped
    m = build_map(territory, reports, layers=["points"])
    cluster = only_child(group_starting(m, "Signalements"), FastMarkerCluster)
    m.get_root().render()
    assert len(cluster.data_json.encode("utf-8")) <= POINTS_MAX_BYTES
    (text,) = {row[6] for row in cluster.data}
    assert "<" not in text and html.unescape(text) == ("<&>" * 20)[:39] + "…"  # 160 → 80 → 40 characters


# -- panel ----------------------------------------------------------------------------------------
NOW = pd.Timestamp("2026-03-18 10:00", tz=TZ)  # a Wednesday; its week starts on Monday 16 March


def panel_reports() -> pd.DataFrame:
    rows = [
        ("a", 5.01, 47.31, "2026-03-18 09:00", "eclairage", "nouveau", 2),  # 1 h old
        ("a", 5.01, 47.31, "2026-03-15 10:00", "eclairage", "transmis", 2),  # 3 days
        ("a", 5.01, 47.31, "2026-03-09 09:00", "voirie", "pris_en_charge", 3),  # 9 days 1 h
        ("a", 5.01, 47.31, "2026-02-26 10:00", "voirie", "nouveau", 1),  # 20 days
        ("a", 5.01, 47.31, "2026-03-10 10:00", "tags", "resolu", 1),  # closed: not listed
        ("a", 5.01, 47.31, "2025-12-29 00:30", "tags", "clos_sans_suite", 1),  # first week of the series
        ("a", 5.01, 47.31, "2025-12-28 23:30", "tags", "resolu", 1),  # before the series
        ("b", 5.03, 47.31, "2026-03-17 10:00", "rodeo", "nouveau", 3),  # another quartier
    ]
    return make_reports(rows)


def test_panel_counts_by_category_with_labels():
    panel = neighbourhood_panel(panel_reports(), small_territory(), "a", now=NOW, labels={"tags": "Tags"})
    assert panel.total == 7
    assert panel.by_category == (("Tags", 3), ("eclairage", 2), ("voirie", 2))
    assert (panel.name, panel.population) == ("Alpha", 2000)


def test_panel_weekly_series_is_zero_filled_and_ends_with_the_week_of_now():
    panel = neighbourhood_panel(panel_reports(), small_territory(), "a", now=NOW, labels={})
    weeks = [w for w, _ in panel.weekly]
    assert len(weeks) == 12
    assert weeks[-1] == pd.Timestamp("2026-03-16").date() and weeks[0] == pd.Timestamp("2025-12-29").date()
    counts = dict(panel.weekly)
    assert counts[pd.Timestamp("2026-03-16").date()] == 1
    assert counts[pd.Timestamp("2026-03-09").date()] == 3  # 9 (Monday), 10 and 15 (Sunday) March
    assert counts[pd.Timestamp("2026-02-23").date()] == 1
    assert counts[pd.Timestamp("2025-12-29").date()] == 1
    assert sum(counts.values()) == 6 and list(counts.values()).count(0) == 8


def test_panel_lists_open_reports_newest_first_with_age_and_ageing_band():
    panel = neighbourhood_panel(panel_reports(), small_territory(), "a", now=NOW, labels={"voirie": "Voirie"})
    listed = [(r.status, r.age_days, r.ageing_band) for r in panel.open_reports]
    assert listed == [
        ("nouveau", 0, "< 48 h"),
        ("transmis", 3, "48 h – 10 j"),
        ("pris_en_charge", 9, "48 h – 10 j"),
        ("nouveau", 20, "> 10 j"),
    ]
    assert panel.open_total == 4
    assert panel.open_reports[2].category_label == "Voirie"
    assert set(AGEING_BANDS) == {"< 48 h", "48 h – 10 j", "> 10 j"}


def test_panel_lists_at_most_fifty_open_reports():
    local_now = NOW.tz_localize(None)
    rows = [("a", 5.01, 47.31, local_now - pd.Timedelta(hours=h), "voirie", "nouveau", 1) for h in range(60)]
    panel = neighbourhood_panel(make_reports(rows), small_territory(), "a", now=NOW, labels={})
    assert panel.open_total == 60 and len(panel.open_reports) == 50
    assert [r.age_days for r in panel.open_reports[:2]] == [0, 0]


def test_panel_of_a_quartier_without_reports_and_errors():
    panel = neighbourhood_panel(panel_reports(), small_territory(), "c", now=NOW, labels={})
    assert panel.total == 0 and panel.by_category == () and panel.open_reports == ()
    assert panel.population is None and [c for _, c in panel.weekly] == [0] * 12
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in panel_reports().columns})
    assert neighbourhood_panel(empty, small_territory(), "a", now=NOW).total == 0
    with pytest.raises(ValueError, match="quartier 'z' is not in the territory"):
        neighbourhood_panel(panel_reports(), small_territory(), "z", now=NOW, labels={})
    with pytest.raises(ValueError, match="tz-aware"):
        neighbourhood_panel(panel_reports(), small_territory(), "a", now=NOW.tz_localize(None), labels={})


def test_legends_follow_streamlit_folium_renaming_of_layers(territory, reports):
    """st_folium renames every element while writing the script; legends must name the renamed layers."""
    from streamlit_folium import generate_leaflet_string

    m = build_map(territory, reports, layers=["choropleth", "hexagons"], basemap="none")
    m.render()
    script = generate_leaflet_string(m)
    declared = set(re.findall(r"(?:var|let|const)\s+([A-Za-z_$][\w$]*)", script))
    calls = re.findall(r"\}\)\((\w+), (\w+), (\w+)\);", script)
    assert len(calls) == 2
    for map_name, layer_name, legend_name in calls:
        assert map_name == "map_div"
        assert {layer_name, legend_name} <= declared


# -- readability (issue 7) -----------------------------------------------------------------------
def test_class_breaks_are_round_and_labels_disjoint():
    from geo.maps.choropleth import classify

    values = [95.0, 95.5, 96.1, 97.34, 99, 101, 103.41, 110.2, 120.7, 150.33]
    found = classify(values, scheme="fisher_jenks", decimals=1)
    assert found.bins[-1] == max(values)
    assert all(round(b * 10) == b * 10 and b == round(b) for b in found.bins[:-1]), found.bins  # 98, 104…
    for upper, label in zip(found.bins[:-1], found.labels[1:], strict=True):
        lower = float(label.split(" – ")[0].replace(",", "."))
        assert lower > upper, (found.labels, "each class starts after the previous one ends")
    # colours follow the printed bounds exactly
    for value, colour in zip(values, found.colour_of(values), strict=True):
        index = next(i for i, b in enumerate(found.bins) if value <= b)
        assert colour == found.colours[index]


def test_legend_swatches_show_the_layer_opacity():
    from geo.maps.choropleth import Classes, ClassLegend

    classes = Classes(bins=(1.0,), colours=("#253494",), labels=("1",), lowest=1.0)
    plain = ClassLegend.legend_html(title="t", classes=classes)
    faded = ClassLegend.legend_html(title="t", classes=classes, opacity=0.75)
    assert "#253494" in plain and "#253494" not in faded and "#5c67af" in faded  # 0.75 on white


def test_map_has_metric_scale_touch_popups_and_a_fit_around_controls(territory, reports):
    m = build_map(territory, reports, layers=["choropleth", "points"], basemap="none")
    page = m.get_root().render()
    assert "imperial: false" in page and "L.control.scale()" not in page
    assert '"(hover: none)"' in page and "bindPopup(content" in page
    assert "paddingBottomRight" in page and "layers.collapse()" in page
    assert page.count("veille-class-legend") == 2, "one legend per drawn layer: quartiers and points"


@pytest.mark.parametrize("classes", [2, 3, 5, 7, 9])
def test_quantile_bins_match_mapclassify(classes):
    import mapclassify

    rng = np.random.default_rng(classes)
    for values in (rng.gamma(1, 50, 1000), rng.poisson(3, 500).astype(float), np.arange(1000.0),
                   np.array([0, 0, 0, 1, 1, 2, 40.5, 41, 1000])):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # mapclassify's notice when ties lower k
            expected = mapclassify.Quantiles(values, k=classes).bins
        found = quantile_bins(values, classes)
        assert len(found) == len(expected)
        assert np.allclose(found, expected, rtol=1e-12, atol=0)


def test_default_map_classes_import_neither_mapclassify_nor_numba():
    code = ("import sys; import geo.maps.explorer as e, geo.maps.choropleth as c; "
            "c.classify([1, 2, 3, 4, 5, 6, 7, 8], classes=3); "
            "print(sorted(m for m in ('mapclassify', 'numba', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.strip() == "[]"
