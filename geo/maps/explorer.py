"""Build the Carte page's Folium map (quartiers, heat, points, H3 cells) and its quartier panel.

Every layer is aggregated or capped on the server, so the page stays under ~1.5 MB whatever the number
of reports; every text shown in the map is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import FastMarkerCluster, HeatMap
from folium.template import Template

from geo.analysis.aggregation import period_start
from geo.maps.choropleth import (
    MAX_CLASSES,
    MEASURES,
    MIN_CLASSES,
    SCHEMES,
    Classes,
    ClassLegend,
    choropleth_layer,
    format_number,
)
from geo.maps.controls import FitAroundControls, FrenchLabels, MetricScale, TouchPopups
from geo.maps.hexgrid import MAX_HEX_CELLS, hexagon_layer

__all__ = [
    "AGEING_BANDS",
    "BASEMAPS",
    "DEFAULT_CENTER",
    "HEAT_CELL_METRES",
    "IGN_PLAN_URL",
    "LAYERS",
    "LAYER_NAMES",
    "MAX_HEAT_CELLS",
    "OPEN_STATUSES",
    "OSM_URL",
    "PANEL_WEEKS",
    "POINTS_MAX_BYTES",
    "NeighbourhoodPanel",
    "OpenReport",
    "ageing_band",
    "build_map",
    "heat_cells",
    "neighbourhood_panel",
]

LAYER_NAMES: Final[Mapping[str, str]] = {
    "choropleth": "Quartiers",
    "heat": "Chaleur",
    "points": "Signalements",
    "hexagons": "Hexagones H3",
    "outlines": "Limites des quartiers",
}
"""Layer key -> French name in the layer control (the points and hexagon names may get a suffix)."""
LAYERS: Final = ("choropleth", "heat", "points", "hexagons")
BASEMAPS: Final = ("osm", "ign", "none")
OSM_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION: Final = '&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>'
IGN_PLAN_URL: Final = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
IGN_ATTRIBUTION: Final = "© IGN"
DEFAULT_CENTER: Final = (47.322, 5.041)  # Dijon, used only when there is neither territory nor report
MAX_ZOOM: Final = 19
HEAT_CELL_METRES: Final = 50.0
MAX_HEAT_CELLS: Final = 10_000
"""The heat layer sends at most this many weighted points (~25 bytes each); the grid is doubled beyond."""
# Leaflet.heat's default gradient is a rainbow; this one follows ColorBrewer YlOrRd (colour-blind safe).
HEAT_GRADIENT: Final = {0.35: "#ffffb2", 0.5: "#fecc5c", 0.65: "#fd8d3c", 0.8: "#f03b20", 1.0: "#bd0026"}
SEVERITY_COLOURS: Final = {1: "#fd8d3c", 2: "#e31a1c", 3: "#800026"}
_DEFAULT_POINT_COLOUR = "#636363"
_DESCRIPTION_CHARS = 160
POINTS_MAX_BYTES: Final = 600_000
"""Byte budget of the points' rows; descriptions are cut shorter when they would exceed it."""
_POINT_DECIMALS = 5  # ~1 m
_METRES_PER_DEGREE = 111_195.0  # mean Earth radius × π / 180

OPEN_STATUSES: Final = frozenset({"nouveau", "transmis", "pris_en_charge"})
AGEING_BANDS: Final = ("< 48 h", "48 h – 10 j", "> 10 j")
"""DansMaRue's ageing bands of open reports."""
PANEL_WEEKS: Final = 12

_POINT_CALLBACK = """function (row) {
    var tables = %s;
    var marker = L.circleMarker([row[0], row[1]], {
        radius: 6, color: "#ffffff", weight: 1, fillOpacity: 0.9, fillColor: tables.colour[row[4]]
    });
    var text = "<b>" + tables.category[row[2]] + "</b><br>" + row[5]
        + "<br>Statut : " + tables.status[row[3]] + "<br>Gravité : " + tables.severity[row[4]]
        + (row[6] ? "<br><i>" + row[6] + "</i>" : "");
    marker.bindPopup(text, {maxWidth: 300});
    return marker;
}"""


def _js_literal(value: object) -> str:
    """Return ``value`` as compact JSON safe to embed in a ``<script>`` element.

    Only ``<`` and ``>`` need escaping there (no ``</script>`` or ``<!--`` can then appear); non-ASCII
    letters stay UTF-8 (``é`` is 2 bytes, not 6 as a JSON escape).
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


class _PointCluster(FastMarkerCluster):
    """A ``FastMarkerCluster`` whose rows are written as compact UTF-8 JSON.

    folium's ``tojson`` writes ASCII with spaces: about twice the bytes for French text.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = (function(){
                {{ this.callback }}
                var data = {{ this.data_json }};
                var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
                cluster.addLayers(data.map(callback));
                cluster.addTo({{ this._parent.get_name() }});
                return cluster;
            })();
        {% endmacro %}"""
    )

    data_json: str | None = None

    def render(self, **kwargs: object) -> None:
        """Serialise the rows (unless already done), then render."""
        if self.data_json is None:
            self.data_json = _js_literal(self.data)
        super().render(**kwargs)


def _check_options(
    layers: Collection[str], *, measure: str, basemap: str, tile_url: str | None, max_points: int,
    h3_resolution: int, scheme: str, classes: int,
) -> None:
    unknown = sorted(set(layers) - set(LAYERS))
    if isinstance(layers, str) or unknown:
        raise ValueError(f"`layers` was {layers!r} but each layer is expected to be in {list(LAYERS)}")
    if measure not in MEASURES:
        raise ValueError(f'`measure` was "{measure}" but is expected to be in {list(MEASURES)}')
    if basemap not in BASEMAPS:
        raise ValueError(f'`basemap` was "{basemap}" but is expected to be in {list(BASEMAPS)}')
    if tile_url is not None:
        if basemap == "none":
            raise ValueError('`tile_url` was given but `basemap` is "none" (no tiles); use "osm" or "ign"')
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in tile_url]
        if missing:
            raise ValueError(f"`tile_url` was {tile_url!r} but is expected to hold the placeholders {missing}")
    if max_points < 1:
        raise ValueError(f"`max_points` was {max_points} but is expected to be at least 1")
    if not 0 <= h3_resolution <= 15:
        raise ValueError(f"`h3_resolution` was {h3_resolution} but is expected to be between 0 and 15")
    if scheme not in SCHEMES:
        raise ValueError(f'`scheme` was "{scheme}" but is expected to be in {list(SCHEMES)}')
    if not MIN_CLASSES <= classes <= MAX_CLASSES:
        raise ValueError(f"`classes` was {classes} but is expected to be between {MIN_CLASSES} and {MAX_CLASSES}")


def _check_columns(reports: pd.DataFrame, layers: Collection[str]) -> None:
    needed = set()
    if "choropleth" in layers:
        needed |= {"neighbourhood"}
    if {"heat", "points", "hexagons"} & set(layers):
        needed |= {"lat", "lon"}
    if "points" in layers:
        needed |= {"observed_at", "category", "status", "severity"}
    missing = sorted(needed - set(reports.columns))
    if missing:
        raise ValueError(
            f"`reports` is missing the columns {missing} needed by the layers {sorted(layers)}; "
            f"found {list(reports.columns)}"
        )


def _basemap(m: folium.Map, basemap: str, tile_url: str | None) -> None:
    if basemap == "none":
        return
    url, attribution, name = (
        (OSM_URL, OSM_ATTRIBUTION, "OpenStreetMap") if basemap == "osm" else (IGN_PLAN_URL, IGN_ATTRIBUTION, "Plan IGN")
    )
    folium.TileLayer(tiles=tile_url or url, attr=attribution, name=name, max_zoom=MAX_ZOOM, control=False).add_to(m)


def _bounds(territory: gpd.GeoDataFrame, reports: pd.DataFrame) -> list[list[float]] | None:
    if len(territory) and not territory.geometry.is_empty.all():
        minx, miny, maxx, maxy = territory.total_bounds
    elif {"lat", "lon"} <= set(reports.columns) and reports["lat"].notna().any():
        miny, maxy = float(reports["lat"].min()), float(reports["lat"].max())
        minx, maxx = float(reports["lon"].min()), float(reports["lon"].max())
    else:
        return None
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _outlines_layer(territory: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Return the quartiers as outlines only (when another layer colours the map): context, and tappable."""
    frame = territory[["code", "name", "geometry"]].copy()
    frame["name"] = frame["name"].astype(str).map(html.escape)
    group = folium.FeatureGroup(name=LAYER_NAMES["outlines"])
    folium.GeoJson(
        frame.to_json(),
        style_function=lambda _f: {"color": "#333333", "weight": 1.5, "opacity": 0.8, "fill": True,
                                   "fillOpacity": 0.0},
        highlight_function=lambda _f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=["Quartier"], sticky=True),
        control=False,
    ).add_to(group)
    return group


def heat_cells(
    lat: np.ndarray, lon: np.ndarray, *, cell_metres: float = HEAT_CELL_METRES, max_cells: int = MAX_HEAT_CELLS
) -> tuple[list[list[float]], float]:
    """Count points on a square grid and return the non-empty cells' centres with their counts.

    The grid is a local equirectangular one (metres along the parallel at the data's mean latitude);
    over a city it matches a Lambert-93 grid within a fraction of a metre per cell. When more than
    ``max_cells`` cells are non-empty the cell size is doubled until they fit.

    Parameters
    ----------
    lat, lon
        WGS84 coordinates (non-finite ones are left out).
    cell_metres
        Side of a cell.
    max_cells
        Most cells returned.

    Returns
    -------
    list of [lat, lon, count], float
        One entry per non-empty cell (coordinates rounded to 5 decimals), and the cell side used.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    keep = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[keep], lon[keep]
    if lat.size == 0:
        return [], cell_metres
    dlat = cell_metres / _METRES_PER_DEGREE
    dlon = dlat / math.cos(math.radians(float(lat.mean())))
    # Fine cell indices, relative to the south-west cell (origin) so that they stay small.
    origin_y, origin_x = math.floor(float(lat.min()) / dlat), math.floor(float(lon.min()) / dlon)
    fine_y = np.floor(lat / dlat).astype(np.int64) - origin_y
    fine_x = np.floor(lon / dlon).astype(np.int64) - origin_x
    iy, ix, weights = _merge_cells(fine_y, fine_x, None)
    factor = 1  # fine cells per side of a cell
    while len(weights) > max_cells:
        factor *= 2
        iy, ix, weights = _merge_cells(iy // 2, ix // 2, weights)
    centre_lat = np.round((origin_y + (iy + 0.5) * factor) * dlat, _POINT_DECIMALS)
    centre_lon = np.round((origin_x + (ix + 0.5) * factor) * dlon, _POINT_DECIMALS)
    cells = [[y, x, int(w)] for y, x, w in zip(centre_lat.tolist(), centre_lon.tolist(), weights.tolist(), strict=True)]
    return cells, cell_metres * factor


def _merge_cells(
    iy: np.ndarray, ix: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``weights`` (1 each when ``None``) per distinct ``(iy, ix)``; return the cells and their sums."""
    width = int(ix.max()) + 1
    keys, inverse = np.unique(iy * width + ix, return_inverse=True)
    sums = np.bincount(inverse, weights=weights, minlength=len(keys))
    return keys // width, keys % width, sums.astype(np.int64)


def _heat_layer(reports: pd.DataFrame, *, name: str) -> folium.FeatureGroup:
    cells, _ = heat_cells(reports["lat"].to_numpy(), reports["lon"].to_numpy())
    group = folium.FeatureGroup(name=name)
    if cells:
        # Low densities stay see-through (no minimum opacity, colours from 35 % of the densest spot up): the
        # heat marks where reports gather instead of washing the whole territory red.
        HeatMap(cells, radius=14, blur=16, min_opacity=0.0, gradient=HEAT_GRADIENT, control=False).add_to(group)
    return group


def _most_recent(reports: pd.DataFrame, limit: int) -> pd.DataFrame:
    if len(reports) <= limit:
        order = np.argsort(-_epoch(reports["observed_at"]), kind="stable")
        return reports.iloc[order]
    epoch = _epoch(reports["observed_at"])
    top = np.argpartition(-epoch, limit - 1)[:limit]
    return reports.iloc[top[np.argsort(-epoch[top], kind="stable")]]


def _epoch(times: pd.Series) -> np.ndarray:
    values = pd.DatetimeIndex(times).as_unit("s").asi8.astype(np.float64)
    values[pd.isna(times).to_numpy()] = -np.inf
    return values


def _escaped_table(values: pd.Index, labels: Mapping | None) -> list[str]:
    return [html.escape(str((labels or {}).get(v, v))) for v in values]


def _short_text(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters (an ellipsis marking the cut), HTML-escaped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…" if limit > 1 else ""
    return html.escape(text)


def _points_layer(
    reports: pd.DataFrame,
    *,
    max_points: int,
    labels: Mapping[str, str] | None,
    status_labels: Mapping[str, str] | None,
    severity_labels: Mapping[int, str] | None,
) -> folium.FeatureGroup:
    where = (reports["lat"].notna() & reports["lon"].notna()).to_numpy()
    located = reports if where.all() else reports[where]  # no copy of every report when all have a place
    total = len(located)
    shown = _most_recent(located, max_points)
    base = LAYER_NAMES["points"]
    if total > max_points:
        name = f"{base} ({format_number(max_points)} plus récents sur {format_number(total)})"
    else:
        name = f"{base} ({format_number(total)})"
    group = folium.FeatureGroup(name=name)
    if shown.empty:
        return group
    category, categories = pd.factorize(shown["category"], use_na_sentinel=False)
    status, statuses = pd.factorize(shown["status"], use_na_sentinel=False)
    severity, severities = pd.factorize(shown["severity"], use_na_sentinel=False)
    tables = {
        "category": _escaped_table(categories, labels),
        "status": _escaped_table(statuses, status_labels),
        "severity": _escaped_table(severities, severity_labels),
        "colour": [SEVERITY_COLOURS.get(s, _DEFAULT_POINT_COLOUR) for s in severities],
    }
    dates = [html.escape(d) for d in shown["observed_at"].dt.strftime("%d/%m/%Y %H:%M").fillna("date inconnue")]
    has_text = "description" in shown.columns
    texts = ["" if pd.isna(t) else str(t) for t in shown["description"]] if has_text else [""] * len(shown)
    fixed = list(
        zip(
            np.round(shown["lat"].to_numpy(dtype=float), _POINT_DECIMALS).tolist(),
            np.round(shown["lon"].to_numpy(dtype=float), _POINT_DECIMALS).tolist(),
            category.tolist(), status.tolist(), severity.tolist(), dates,
            strict=True,
        )
    )
    limit = _DESCRIPTION_CHARS
    while True:
        # Descriptions are cut shorter until the rows fit their byte budget (text full of '&' or '<'
        # grows 4-5 times when escaped); without any text, a row is about 60 bytes.
        rows = [[*head, _short_text(text, limit)] for head, text in zip(fixed, texts, strict=True)]
        data_json = _js_literal(rows)
        if limit == 0 or len(data_json.encode("utf-8")) <= POINTS_MAX_BYTES:
            break
        limit //= 2
    cluster = _PointCluster(
        rows,
        callback=_POINT_CALLBACK % _js_literal(tables),
        options={"chunkedLoading": True, "maxClusterRadius": 45},
        control=False,
    )
    cluster.data_json = data_json
    cluster.add_to(group)
    return group


def build_map(
    territory: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    *,
    layers: Collection[str],
    measure: str = "count",
    basemap: str = "osm",
    tile_url: str | None = None,
    labels: Mapping[str, str] | None = None,
    status_labels: Mapping[str, str] | None = None,
    severity_labels: Mapping[int, str] | None = None,
    max_points: int = 2000,
    h3_resolution: int = 9,
    classes: int = 5,
    scheme: str = "quantiles",
) -> folium.Map:
    """Build the Carte page's map: chosen layers, a layer control, fitted to the territory.

    Parameters
    ----------
    territory
        Quartiers in EPSG:4326: ``code``, ``name``, ``population`` (may be NA), ``geometry``.
    reports
        As read by ``Store.read_reports``: ``observed_at`` (tz-aware), ``lat``, ``lon``, ``category``,
        ``severity``, ``status``, ``neighbourhood``, and optionally ``description`` (shown escaped,
        cut to 160 characters; leave the column out for anyone who must not see free text).
    layers
        Layers to draw, among :data:`LAYERS`, each a named ``FeatureGroup`` (:data:`LAYER_NAMES`):
        ``"choropleth"`` (count or rate per quartier; features carry ``code`` for click handlers),
        ``"heat"`` (counts on a 50 m grid, made coarser beyond :data:`MAX_HEAT_CELLS` cells),
        ``"points"`` (the ``max_points`` most recent reports,
        clustered, with popups), ``"hexagons"`` (counts per non-empty H3 cell).
    measure
        ``"count"``, or ``"rate"`` per 1,000 inhabitants (grey where the population is unknown).
    basemap
        ``"osm"`` (OpenStreetMap), ``"ign"`` (IGN Géoplateforme Plan IGN v2, WMTS) or ``"none"``
        (no tiles: the map needs no network but for its scripts).
    tile_url
        XYZ URL template (``{z}``, ``{x}``, ``{y}``) replacing the basemap's, e.g. a local tile server.
    labels
        Category code -> French label (``taxonomy.categories[code].label``); the code when missing.
    status_labels, severity_labels
        Status code -> label (``taxonomy.statuses``) and severity -> label (``taxonomy.severities``)
        shown in point popups; the raw value when missing.
    max_points
        Most reports sent as points; the layer's name says when only the most recent are shown.
    h3_resolution
        Wanted H3 resolution; made coarser when more than
        :data:`geo.maps.hexgrid.MAX_HEX_CELLS` cells are non-empty (the layer's name then says so).
    classes, scheme
        Colour classes of the choropleth and hexagons, see :func:`geo.maps.choropleth.classify`.

    Returns
    -------
    folium.Map
        The map; no CDN rewrite is done here (see ``geo.maps.assets.use_local_assets``).

    Raises
    ------
    ValueError
        When an option is not accepted or ``reports`` lacks a column a chosen layer needs.
    """
    _check_options(
        layers, measure=measure, basemap=basemap, tile_url=tile_url, max_points=max_points,
        h3_resolution=h3_resolution, scheme=scheme, classes=classes,
    )
    _check_columns(reports, layers)
    if territory.crs is not None and not territory.crs.equals("EPSG:4326"):
        territory = territory.to_crs("EPSG:4326")
    m = folium.Map(location=DEFAULT_CENTER, zoom_start=13, tiles=None, prefer_canvas=True)
    MetricScale().add_to(m)
    # Leaflet's map needs its own maxZoom when it has no tile layer, or MarkerCluster throws.
    m.options["max_zoom"] = MAX_ZOOM
    m.options["zoom_snap"] = 0.25  # the territory fills the room left by the controls, not a whole zoom less
    _basemap(m, basemap, tile_url)
    legends = []
    if "choropleth" in layers:
        group, legend = choropleth_layer(
            territory, reports, name=LAYER_NAMES["choropleth"], measure=measure, classes=classes, scheme=scheme
        )
        group.add_to(m)
        legends.append(legend)
    elif len(territory):
        _outlines_layer(territory).add_to(m)  # context, and a quartier to tap for the panel
    if "hexagons" in layers:
        group, legend, _ = hexagon_layer(
            reports["lat"].to_numpy(), reports["lon"].to_numpy(), name=LAYER_NAMES["hexagons"],
            resolution=h3_resolution, classes=classes, scheme=scheme, max_cells=MAX_HEX_CELLS,
        )
        group.add_to(m)
        legends.append(legend)
    if "heat" in layers:
        group = _heat_layer(reports, name=LAYER_NAMES["heat"])
        group.add_to(m)
        legends.append(ClassLegend(group, title="Chaleur : densité des signalements",
                                   classes=Classes(bins=(), colours=tuple(HEAT_GRADIENT.values())[::2],
                                                   labels=("faible", "moyenne", "forte"), lowest=math.nan)))
    if "points" in layers:
        group = _points_layer(
            reports, max_points=max_points, labels=labels, status_labels=status_labels,
            severity_labels=severity_labels,
        )
        group.add_to(m)
        severities = sorted(SEVERITY_COLOURS)
        legends.append(ClassLegend(
            group, title="Signalements : gravité", position="bottomleft",
            classes=Classes(bins=(), colours=tuple(SEVERITY_COLOURS[k] for k in severities),
                            labels=tuple(str((severity_labels or {}).get(k, k)) for k in severities),
                            lowest=math.nan)))
    for legend in legends:
        legend.add_to(m)
    control = folium.LayerControl(collapsed=False)
    control.add_to(m)
    TouchPopups().add_to(m)
    FrenchLabels().add_to(m)
    bounds = _bounds(territory, reports)
    if bounds is not None:
        FitAroundControls(bounds, layer_control=control).add_to(m)
    return m


class OpenReport(NamedTuple):
    """One open report of a quartier, as listed in its panel."""

    id: str
    observed_at: pd.Timestamp
    category: str
    category_label: str
    status: str
    severity: int
    age_days: int
    ageing_band: str


@dataclass(frozen=True)
class NeighbourhoodPanel:
    """What the panel beside the map shows for one quartier.

    Attributes
    ----------
    code, name, population
        The quartier (population ``None`` when unknown).
    total
        Reports in the quartier (among those given).
    by_category
        ``(label, count)`` per category present, most frequent first.
    weekly
        ``(week_start, count)`` for the :data:`PANEL_WEEKS` weeks (Monday starts) ending with the week
        of ``now``, zero-filled, oldest first.
    open_total
        Open reports (status in :data:`OPEN_STATUSES`).
    open_reports
        The newest open reports (at most ``max_open``), newest first.
    """

    code: str
    name: str
    population: int | None
    total: int
    by_category: tuple[tuple[str, int], ...]
    weekly: tuple[tuple[dt.date, int], ...]
    open_total: int
    open_reports: tuple[OpenReport, ...]


def ageing_band(hours: float) -> str:
    """Return the DansMaRue ageing band of an age in hours (:data:`AGEING_BANDS`)."""
    if hours < 48:
        return AGEING_BANDS[0]
    if hours <= 240:
        return AGEING_BANDS[1]
    return AGEING_BANDS[2]


def neighbourhood_panel(
    reports: pd.DataFrame,
    territory: gpd.GeoDataFrame,
    code: str,
    *,
    now: pd.Timestamp | dt.datetime,
    labels: Mapping[str, str] | None = None,
    max_open: int = 50,
) -> NeighbourhoodPanel:
    """Summarise one quartier for the panel beside the map.

    Parameters
    ----------
    reports
        ``id``, ``observed_at`` (tz-aware), ``category``, ``status``, ``severity``, ``neighbourhood``.
    territory
        Quartiers (``code``, ``name``, ``population``).
    code
        The quartier's code (e.g. from the clicked feature's ``properties["code"]``).
    now
        Tz-aware current time: ends the weekly series and dates the ages.
    labels
        Category code -> label; the code when missing.
    max_open
        Most open reports listed.

    Returns
    -------
    NeighbourhoodPanel
        Counts by category, a zero-filled 12-week series and the open reports with their age.

    Raises
    ------
    ValueError
        When ``code`` is not a quartier of ``territory`` or ``now`` is naive.
    """
    now = pd.Timestamp(now)
    if now.tzinfo is None:
        raise ValueError(f"`now` was {now} (naive) but is expected to be tz-aware, e.g. Europe/Paris")
    matches = territory.index[territory["code"].astype(str) == str(code)]
    if len(matches) == 0:
        raise ValueError(f"quartier {code!r} is not in the territory; expected one of {sorted(territory['code'])}")
    info = territory.loc[matches[0]]
    population = None if pd.isna(info["population"]) else int(info["population"])
    mine = reports[reports["neighbourhood"] == code]
    times = mine["observed_at"]
    tz = times.dt.tz if len(mine) and times.dt.tz is not None else now.tzinfo
    local_now = now.tz_convert(tz)

    counts = mine["category"].value_counts()
    by_category = sorted(
        (((labels or {}).get(c, str(c)), int(n)) for c, n in counts.items()), key=lambda item: (-item[1], item[0])
    )

    this_week = period_start(pd.Series([local_now]), "week").iloc[0]
    weeks = pd.date_range(end=this_week, periods=PANEL_WEEKS, freq="7D")
    weekly_counts = period_start(times, "week").value_counts() if len(mine) else pd.Series(dtype="int64")
    weekly = tuple((w.date(), int(weekly_counts.get(w, 0))) for w in weeks)

    opened = mine[mine["status"].isin(OPEN_STATUSES)]
    opened = opened.iloc[np.argsort(-_epoch(opened["observed_at"]), kind="stable")]
    listed = opened.head(max_open)
    age_hours = [] if listed.empty else ((local_now - listed["observed_at"]).dt.total_seconds() / 3600).clip(lower=0)
    open_reports = tuple(
        OpenReport(
            id=str(row.id),
            observed_at=row.observed_at,
            category=str(row.category),
            category_label=(labels or {}).get(row.category, str(row.category)),
            status=str(row.status),
            severity=int(row.severity),
            age_days=int(hours // 24),
            ageing_band=ageing_band(hours),
        )
        for row, hours in zip(listed.itertuples(index=False), age_hours, strict=True)
    )
    return NeighbourhoodPanel(
        code=str(code),
        name=str(info["name"]),
        population=population,
        total=len(mine),
        by_category=tuple(by_category),
        weekly=weekly,
        open_total=len(opened),
        open_reports=open_reports,
    )
