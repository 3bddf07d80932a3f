"""Hot spot map layers: French labels, the diverging palette, a ``cell`` on each feature for clicks."""

from __future__ import annotations

import folium
import geopandas as gpd
from shapely.geometry import box

from geo.maps.hotspot_layer import CLASS_COLOURS, CLASS_LABELS, PATTERN_LABELS, emerging_layer, hotspot_layer


def _cells(column: str, values: list[str]) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {column: values, "count": range(len(values)), "z": 0.0, "p_fdr": 0.5, "hot_steps": 1, "cold_steps": 0},
        geometry=[box(850_000 + 100 * i, 6_690_000, 850_100 + 100 * i, 6_690_100) for i in range(len(values))],
        crs=2154, index=[f"c{i}" for i in range(len(values))],
    )
    frame.index.name = "cell"
    return frame


def _html(group: folium.FeatureGroup, legend) -> str:
    m = folium.Map()
    group.add_to(m)
    legend.add_to(m)
    return m.get_root().render()


def test_hotspot_layer_labels_every_class_in_french():
    group, legend = hotspot_layer(_cells("class", ["hot_99", "not_significant", "cold_95"]))
    html = _html(group, legend)
    for label in CLASS_LABELS.values():
        assert label in legend.html
    assert "Point chaud (99 %)" in legend.html and CLASS_COLOURS["hot_99"] in legend.html
    assert '"cell": "c0"' in html and '"label": "Point chaud (99 %)"' in html


def test_emerging_legend_lists_the_patterns_present():
    group, legend = emerging_layer(_cells("pattern", ["new_hot", "persistent_hot", "no_pattern"]))
    assert PATTERN_LABELS["new_hot"] in legend.html and PATTERN_LABELS["persistent_hot"] in legend.html
    assert PATTERN_LABELS["diminishing_cold"] not in legend.html
    assert "Émergent" in legend.html
    assert '"cell": "c2"' in _html(group, legend)
