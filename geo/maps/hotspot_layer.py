"""Map layers of the hot spot analyses: Gi* classes and emerging hot spot patterns, with French legends.

Hot and cold use ColorBrewer's RdBu, a diverging palette readable with the common colour-vision
deficiencies; cells that are not significant are drawn as a thin outline only, so that the base map stays
readable. Each feature carries ``cell`` (its id) for click handlers.
"""

from __future__ import annotations

import json
from typing import Final

import folium
import geopandas as gpd

from geo.maps.choropleth import Classes, ClassLegend

__all__ = ["CLASS_LABELS", "CLASS_COLOURS", "PATTERN_LABELS", "PATTERN_COLOURS", "hotspot_layer",
           "emerging_layer"]

CLASS_LABELS: Final = {
    "hot_99": "Point chaud (99 %)", "hot_95": "Point chaud (95 %)", "hot_90": "Point chaud (90 %)",
    "not_significant": "Non significatif", "cold_90": "Point froid (90 %)", "cold_95": "Point froid (95 %)",
    "cold_99": "Point froid (99 %)",
}
CLASS_COLOURS: Final = {  # ColorBrewer RdBu, 7 classes
    "hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7", "not_significant": "#f7f7f7",
    "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac",
}
PATTERN_LABELS: Final = {
    "new_hot": "Émergent : nouveau point chaud", "consecutive_hot": "Émergent : point chaud consécutif",
    "intensifying_hot": "Point chaud qui s'intensifie", "persistent_hot": "Point chaud persistant",
    "diminishing_hot": "Point chaud qui s'atténue", "sporadic_hot": "Point chaud sporadique",
    "oscillating_hot": "Point chaud oscillant", "historical_hot": "Ancien point chaud",
    "new_cold": "Nouveau point froid", "consecutive_cold": "Point froid consécutif",
    "intensifying_cold": "Point froid qui s'intensifie", "persistent_cold": "Point froid persistant",
    "diminishing_cold": "Point froid qui s'atténue", "sporadic_cold": "Point froid sporadique",
    "oscillating_cold": "Point froid oscillant", "historical_cold": "Ancien point froid",
    "no_pattern": "Pas de tendance",
}
PATTERN_COLOURS: Final = {  # reds/oranges for hot (darkest = most recent and strongest), blues for cold
    "new_hot": "#67001f", "consecutive_hot": "#b2182b", "intensifying_hot": "#d6604d",
    "persistent_hot": "#f4a582", "diminishing_hot": "#fddbc7", "sporadic_hot": "#e7d4e8",
    "oscillating_hot": "#c2a5cf", "historical_hot": "#bababa",
    "new_cold": "#053061", "consecutive_cold": "#2166ac", "intensifying_cold": "#4393c3",
    "persistent_cold": "#92c5de", "diminishing_cold": "#d1e5f0", "sporadic_cold": "#c7eae5",
    "oscillating_cold": "#80cdc1", "historical_cold": "#e0e0e0", "no_pattern": "#f7f7f7",
}
_DECIMALS = 5


def _feature_collection(cells: gpd.GeoDataFrame, properties: list[str]) -> dict:
    wgs = cells.to_crs("EPSG:4326")
    geometry = wgs.geometry.set_precision(10 ** -_DECIMALS)
    out = wgs[properties].copy()
    out["cell"] = wgs.index.astype(str)
    return json.loads(gpd.GeoDataFrame(out, geometry=geometry, crs=4326).to_json(drop_id=True))


def _layer(cells: gpd.GeoDataFrame, *, name: str, key: str, colours: dict[str, str], labels: dict[str, str],
           quiet: str, tooltip: list[tuple[str, str]]) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=True)
    if len(cells):
        data = _feature_collection(cells, [key, *(field for field, _ in tooltip if field != key)])
        for feature in data["features"]:
            feature["properties"]["label"] = labels.get(feature["properties"][key], feature["properties"][key])

        def style(feature: dict) -> dict:
            value = feature["properties"][key]
            if value == quiet:
                return {"color": "#888888", "weight": 0.3, "fillOpacity": 0.0, "opacity": 0.4}
            return {"color": "#555555", "weight": 0.4, "fillColor": colours.get(value, "#f7f7f7"),
                    "fillOpacity": 0.75}

        folium.GeoJson(
            data, style_function=style, highlight_function=lambda _: {"weight": 2, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(fields=["label", *(f for f, _ in tooltip)],
                                          aliases=["", *(a for _, a in tooltip)], sticky=True),
            name=name, control=False,
        ).add_to(group)
    return group


def hotspot_layer(cells: gpd.GeoDataFrame, *, name: str = "Points chauds (Gi*)") -> tuple[folium.FeatureGroup,
                                                                                             ClassLegend]:
    """Return a layer of the Gi* cells coloured by class, and its legend.

    Parameters
    ----------
    cells
        Columns ``class``, ``count``, ``z``, ``p_fdr`` (:func:`geo.analysis.hotspots.report_hotspots`), any CRS.
    """
    group = _layer(cells, name=name, key="class", colours=CLASS_COLOURS, labels=CLASS_LABELS,
                   quiet="not_significant",
                   tooltip=[("count", "Signalements"), ("z", "Score z"), ("p_fdr", "p corrigé (FDR)")])
    order = list(CLASS_LABELS)
    classes = Classes(bins=tuple(float(i) for i in range(len(order))),
                      colours=tuple(CLASS_COLOURS[c] for c in order),
                      labels=tuple(CLASS_LABELS[c] for c in order), lowest=0.0)
    return group, ClassLegend(group, title=name, classes=classes)


def emerging_layer(cells: gpd.GeoDataFrame, *, name: str = "Points chauds émergents"
                   ) -> tuple[folium.FeatureGroup, ClassLegend]:
    """Return a layer of the cells coloured by emerging hot spot pattern, and a legend of the patterns present.

    Parameters
    ----------
    cells
        Columns ``pattern``, ``count``, ``hot_steps``, ``cold_steps``
        (:func:`geo.analysis.emerging.emerging_hotspots`), any CRS.
    """
    group = _layer(cells, name=name, key="pattern", colours=PATTERN_COLOURS, labels=PATTERN_LABELS,
                   quiet="no_pattern",
                   tooltip=[("count", "Signalements"), ("hot_steps", "Périodes chaudes"),
                            ("cold_steps", "Périodes froides")])
    present = [p for p in PATTERN_LABELS if p != "no_pattern" and (cells["pattern"] == p).any()] or ["no_pattern"]
    classes = Classes(bins=tuple(float(i) for i in range(len(present))),
                      colours=tuple(PATTERN_COLOURS[p] for p in present),
                      labels=tuple(PATTERN_LABELS[p] for p in present), lowest=0.0)
    return group, ClassLegend(group, title=name, classes=classes)
