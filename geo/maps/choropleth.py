"""Classify values into colour classes and draw quartiers coloured by class, with a plain-HTML legend.

Palettes are ColorBrewer sequential schemes marked colour-blind safe: ``YlOrRd`` for quartiers (and the
heat layer), ``YlGnBu`` for H3 cells so the two classed layers cannot be mistaken for each other when both
are shown. The legend is a Leaflet control holding escaped HTML: no branca colormap, hence no d3 from a CDN.
"""

from __future__ import annotations

import html
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.template import Template

__all__ = [
    "MAX_CLASSES",
    "MEASURES",
    "MIN_CLASSES",
    "NO_DATA_COLOUR",
    "SCHEMES",
    "YLGNBU",
    "YLORRD",
    "ClassLegend",
    "Classes",
    "choropleth_layer",
    "classify",
    "format_number",
    "nice_step",
    "neighbourhood_values",
    "quantile_bins",
]

SCHEMES: Final = ("quantiles", "fisher_jenks", "natural_breaks")
"""Accepted classification schemes; ``natural_breaks`` is Jenks' criterion, computed by Fisher-Jenks."""
MEASURES: Final = ("count", "rate")
NO_DATA_COLOUR: Final = "#bdbdbd"

# ColorBrewer 2.0 sequential palettes (Cynthia Brewer, Penn State), 3 to 9 classes, colour-blind safe.
YLORRD: Final[dict[int, tuple[str, ...]]] = {
    3: ("#ffeda0", "#feb24c", "#f03b20"),
    4: ("#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"),
    5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
    6: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"),
    7: ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
    8: ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"),
    9: ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"),
}
YLGNBU: Final[dict[int, tuple[str, ...]]] = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
    8: ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
    9: ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"),
}
MIN_CLASSES, MAX_CLASSES = 2, 9
FILL_OPACITY: Final = 0.7
"""Fill opacity of the quartiers (the legend's swatches are drawn at the same opacity)."""
# Fisher-Jenks is O(k·n²): classify at most this many values, taken as evenly spaced quantiles of the
# data (deterministic, keeps min and max).
_JENKS_MAX_VALUES = 256
_COORD_DECIMALS = 5  # ~1 m: enough for display, keeps the GeoJSON small
_SIMPLIFY_DEGREES = 1e-5  # ~1 m


def nice_step(span: float, *, decimals: int = 0) -> float:
    """Return a round step (1, 2 or 5 × 10^k) about a fiftieth of ``span``, never finer than ``decimals`` shows."""
    finest = 10.0 ** -decimals
    if not span > 0:
        return finest
    raw = span / 50
    exponent = math.floor(math.log10(raw))
    base = raw / 10**exponent
    nice = 1 if base <= 1 else 2 if base <= 2 else 5 if base <= 5 else 10
    return max(nice * 10.0**exponent, finest)


def format_number(value: float, *, decimals: int = 0) -> str:
    """Return ``value`` in French notation: narrow no-break space for thousands, decimal comma."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


@dataclass(frozen=True)
class Classes:
    """Colour classes of a set of values.

    Attributes
    ----------
    bins
        Upper bound of each class (inclusive); the last one is the maximum value.
    colours
        One CSS colour per class.
    labels
        One legend text per class (``"0 – 12"``), French notation.
    lowest
        The smallest value classified.
    """

    bins: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    lowest: float

    def colour_of(self, values: np.ndarray | Sequence[float]) -> list[str]:
        """Return the colour of each value (:data:`NO_DATA_COLOUR` for NaN)."""
        array = np.asarray(values, dtype=float)
        if not self.bins:
            return [NO_DATA_COLOUR] * len(array)
        index = np.searchsorted(np.asarray(self.bins), array, side="left").clip(0, len(self.bins) - 1)
        return [NO_DATA_COLOUR if math.isnan(v) else self.colours[i] for v, i in zip(array, index, strict=True)]


def _palette(palette: dict[int, tuple[str, ...]], k: int) -> tuple[str, ...]:
    if k >= 3:
        return palette[k]
    three = palette[3]
    return (three[0],) if k == 1 else (three[0], three[2])


def quantile_bins(values: np.ndarray, classes: int) -> np.ndarray:
    """Return the upper bounds of ``classes`` quantile classes of ``values``, as ``mapclassify.Quantiles`` does.

    The bounds are the percentiles ``100 / classes``, ``2 × 100 / classes``, … 100 (linear interpolation),
    repeated bounds (ties) collapsed: fewer classes then. Computed with numpy so that the map's default
    classes import neither mapclassify nor numba.
    """
    step = 100.0 / classes
    percents = np.arange(step, 100 + step, step)
    percents[-1] = min(percents[-1], 100.0)
    return np.unique(np.percentile(np.asarray(values, dtype=float), percents))


def _breaks(values: np.ndarray, *, classes: int, scheme: str) -> np.ndarray:
    distinct = np.unique(values)
    if len(distinct) <= classes:
        return distinct  # one class per distinct value: nothing to estimate
    if scheme == "quantiles":
        bins = quantile_bins(values, classes)
    else:
        # mapclassify only here: importing it compiles its numba code (about 2 s of CPU) and pulls in
        # scikit-learn and matplotlib (about 240 MB), which the default quantiles never need.
        import mapclassify  # noqa: PLC0415

        sample = values
        if len(values) > _JENKS_MAX_VALUES:
            sample = np.quantile(values, np.linspace(0.0, 1.0, _JENKS_MAX_VALUES))
        with warnings.catch_warnings():
            # mapclassify warns when it lowers k (ties) and when numba is missing: both are handled here.
            warnings.simplefilter("ignore", UserWarning)
            bins = mapclassify.FisherJenks(sample, k=classes).bins
    bins = np.unique(np.asarray(bins, dtype=float))
    bins[-1] = max(bins[-1], float(values.max()))
    return bins


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    *,
    classes: int = 5,
    scheme: str = "quantiles",
    palette: dict[int, tuple[str, ...]] = YLORRD,
    decimals: int = 0,
) -> Classes:
    """Split values into at most ``classes`` colour classes.

    Parameters
    ----------
    values
        Values to classify; NaN values are left out (they get :data:`NO_DATA_COLOUR`).
    classes
        Wanted number of classes (2 to 9). Fewer are made when there are fewer distinct values, and a
        single class when every value is the same (e.g. all zeros).
    scheme
        ``"quantiles"`` (as ``mapclassify.Quantiles``, see :func:`quantile_bins`) or ``"fisher_jenks"``
        (``mapclassify.FisherJenks``, on at most 256 evenly spaced quantiles of the values).
        ``"natural_breaks"`` is Jenks' criterion, computed the same way: mapclassify's ``NaturalBreaks``
        runs an unseeded k-means, so its classes, hence the map's colours, would change from one page
        rerun to the next.
    palette
        ColorBrewer-like palette: number of classes -> colours.
    decimals
        Decimals shown in the legend (0 for counts: classes then read as disjoint integer ranges).

    Returns
    -------
    Classes
        Bins, colours and legend labels; no class at all when there is no finite value.

    Raises
    ------
    ValueError
        When ``classes`` or ``scheme`` is not accepted.
    """
    if not MIN_CLASSES <= classes <= MAX_CLASSES:
        raise ValueError(f"`classes` was {classes} but is expected to be between {MIN_CLASSES} and {MAX_CLASSES}")
    if scheme not in SCHEMES:
        raise ValueError(f'`scheme` was "{scheme}" but is expected to be in {list(SCHEMES)}')
    array = np.asarray(pd.to_numeric(pd.Series(values, dtype="Float64"), errors="coerce").astype(float))
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return Classes(bins=(), colours=(), labels=(), lowest=math.nan)
    bins = _breaks(finite, classes=classes, scheme=scheme)
    if decimals == 0 and np.all(finite == np.round(finite)):
        # Integer data: v <= 12.4 iff v <= 12, so floored bounds keep every class and read as disjoint ranges.
        bins = np.unique(np.floor(bins))
    if len(bins) > 1:
        # Round numbers, shown exactly as they split the colours: 97.34 and 103.41 become 97.5 and 103.5.
        step = nice_step(float(finite.max() - finite.min()), decimals=decimals)
        rounded = np.unique(np.round(np.ceil(np.round(bins[:-1] / step, 9)) * step, max(decimals, 0) + 6))
        bins = np.append(rounded[rounded < bins[-1]], bins[-1])  # the last class still ends at the maximum
    lowest = float(finite.min())
    unit = 10.0 ** -decimals
    labels = []
    for i, upper in enumerate(bins):
        if i == 0:
            lower = lowest
        elif decimals == 0:
            lower = math.floor(bins[i - 1]) + 1
        else:
            lower = bins[i - 1] + unit  # disjoint ranges: "95,0 – 97,5" then "97,6 – 103,5"
        shown_upper = math.floor(upper) if decimals == 0 else upper
        same = format_number(lower, decimals=decimals) == format_number(shown_upper, decimals=decimals)
        labels.append(
            format_number(shown_upper, decimals=decimals)
            if same
            else f"{format_number(lower, decimals=decimals)} – {format_number(shown_upper, decimals=decimals)}"
        )
    return Classes(
        bins=tuple(float(b) for b in bins),
        colours=_palette(palette, len(bins)),
        labels=tuple(labels),
        lowest=lowest,
    )


class ClassLegend(folium.MacroElement):
    """A small fixed box listing class ranges and colours, shown while its layer is on the map.

    Parameters
    ----------
    layer
        The layer the legend describes (it follows the layer control's checkbox).
    title
        Legend title (plain text, escaped here).
    classes
        The classes to list.
    no_data
        Label of a grey "no data" entry, or ``None`` for none.
    position
        Leaflet control position.
    opacity
        Fill opacity of the layer's shapes: the swatches are drawn as the map shows them (on white).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "veille-class-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            (function (map, layer, legend) {
                if (map.hasLayer(layer)) { legend.addTo(map); }
                map.on("overlayadd", function (e) { if (e.layer === layer) { legend.addTo(map); } });
                map.on("overlayremove", function (e) { if (e.layer === layer) { legend.remove(); } });
            })({{ this.map_name() }}, {{ this.layer.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        layer: folium.map.Layer,
        *,
        title: str,
        classes: Classes,
        no_data: str | None = None,
        position: Literal["topleft", "topright", "bottomleft", "bottomright"] = "bottomright",
        opacity: float = 1.0,
    ) -> None:
        super().__init__()
        self._name = "ClassLegend"
        self.layer = layer
        self.position = position
        self.html = self.legend_html(title=title, classes=classes, no_data=no_data, opacity=opacity)

    @staticmethod
    def legend_html(*, title: str, classes: Classes, no_data: str | None = None, opacity: float = 1.0) -> str:
        """Return the legend's HTML, every text escaped; one class per line."""
        rows = list(zip(classes.colours, classes.labels, strict=True))
        if no_data is not None:
            rows.append((NO_DATA_COLOUR, no_data))
        if not rows:
            rows.append((NO_DATA_COLOUR, "Aucune donnée"))
        items = "".join(
            f'<div style="white-space:nowrap"><span style="display:inline-block;width:14px;height:14px;'
            f'margin-right:6px;vertical-align:middle;border:1px solid #777;background:{_blend(colour, opacity)}">'
            f"</span>{html.escape(label)}</div>"
            for colour, label in rows
        )
        return (
            '<div style="background:#fff;padding:6px 8px;border-radius:4px;max-width:190px;'
            'box-shadow:0 1px 4px rgba(0,0,0,.3);font:12px sans-serif;line-height:18px">'
            f'<div style="font-weight:600;margin-bottom:2px;white-space:normal">{html.escape(title)}</div>'
            f"{items}</div>"
        )

    def map_name(self) -> str:
        """Return the JavaScript name of the map above this legend (resolved when the script is written)."""
        node = self._parent
        while node is not None and not isinstance(node, folium.Map):
            node = node._parent
        if node is None:
            raise ValueError("ClassLegend is expected to be added to a folium.Map, but it has no map above it")
        return node.get_name()


def _blend(colour: str, opacity: float) -> str:
    """Return ``#rrggbb`` drawn at ``opacity`` on white, as a ``#rrggbb`` colour (escaped)."""
    text = colour.strip()
    if not (len(text) == 7 and text.startswith("#")) or opacity >= 1:
        return html.escape(text)
    channels = [int(text[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c * opacity + 255 * (1 - opacity)) for c in channels]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def neighbourhood_values(
    territory: gpd.GeoDataFrame, reports: pd.DataFrame, *, measure: str = "count"
) -> pd.DataFrame:
    """Return, per quartier, the report count, population and rate per 1,000 inhabitants.

    Parameters
    ----------
    territory
        Columns ``code``, ``name``, ``population`` (may be NA).
    reports
        Column ``neighbourhood`` (a quartier code, or missing outside the territory).
    measure
        ``"count"`` or ``"rate"``: which column is copied into ``value``.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``territory``: ``code``, ``name``, ``count``, ``population`` (float, NaN if
        unknown), ``rate`` (count / population × 1000, NaN where the population is unknown or zero)
        and ``value``.
    """
    if measure not in MEASURES:
        raise ValueError(f'`measure` was "{measure}" but is expected to be in {list(MEASURES)}')
    counts = reports["neighbourhood"].value_counts(dropna=True) if len(reports) else pd.Series(dtype="int64")
    codes = territory["code"].astype(str)
    count = codes.map(counts).fillna(0).astype("int64")
    population = pd.to_numeric(territory["population"], errors="coerce").astype("Float64").astype(float)
    population = population.where(population > 0)
    table = pd.DataFrame(
        {
            "code": codes,
            "name": territory["name"].astype(str),
            "count": count,
            "population": population,
            "rate": (count / population * 1000).round(3),
        },
        index=territory.index,
    )
    table["value"] = table["count"].astype(float) if measure == "count" else table["rate"]
    return table


def _display_geometry(geoms: gpd.GeoSeries) -> np.ndarray:
    simplified = shapely.simplify(geoms.to_numpy(), _SIMPLIFY_DEGREES, preserve_topology=True)
    return shapely.transform(simplified, lambda xy: np.round(xy, _COORD_DECIMALS))


def _tooltip_value(row: pd.Series, measure: str) -> str:
    count = f"{format_number(row['count'])} signalement{'s' if row['count'] > 1 else ''}"
    if measure == "count":
        return count
    if math.isnan(row["rate"]):
        return f"population inconnue ({count})"
    return f"{format_number(row['rate'], decimals=1)} pour 1\u202f000 hab. ({count})"


def choropleth_layer(
    territory: gpd.GeoDataFrame,
    reports: pd.DataFrame,
    *,
    name: str,
    measure: str = "count",
    classes: int = 5,
    scheme: str = "quantiles",
) -> tuple[folium.FeatureGroup, ClassLegend]:
    """Return a layer of quartiers coloured by report count or rate, and its legend.

    Each feature's properties hold ``code``, ``name``, ``count``, ``population``, ``rate`` and
    ``value`` (raw values, for a click handler) and two escaped texts shown by the tooltip.

    Parameters
    ----------
    territory
        Quartiers in EPSG:4326 (``code``, ``name``, ``population``, ``geometry``).
    reports
        Column ``neighbourhood``.
    name
        Layer name shown in the layer control.
    measure, classes, scheme
        See :func:`neighbourhood_values` and :func:`classify`.

    Returns
    -------
    folium.FeatureGroup, ClassLegend
        The layer, and its legend to add to the map after the layer.
    """
    table = neighbourhood_values(territory, reports, measure=measure)
    decimals = 0 if measure == "count" else 1
    found = classify(table["value"], classes=classes, scheme=scheme, palette=YLORRD, decimals=decimals)
    colours = dict(zip(table["code"], found.colour_of(table["value"].to_numpy()), strict=True))
    geometries = _display_geometry(territory.geometry)
    features = []
    for geometry, (_, row) in zip(geometries, table.iterrows(), strict=True):
        if geometry is None or shapely.is_empty(geometry):
            continue
        properties = {
            "code": row["code"],
            "name": row["name"],
            "count": int(row["count"]),
            "population": None if math.isnan(row["population"]) else int(row["population"]),
            "rate": None if math.isnan(row["rate"]) else float(row["rate"]),
            "value": None if math.isnan(row["value"]) else float(row["value"]),
            "tooltip_name": html.escape(row["name"]),
            "tooltip_value": html.escape(_tooltip_value(row, measure)),
        }
        geojson = json.loads(shapely.to_geojson(geometry))
        features.append({"type": "Feature", "properties": properties, "geometry": geojson})

    def style(feature: dict) -> dict:
        return {"fillColor": colours[feature["properties"]["code"]], "color": "#444", "weight": 1,
                "fillOpacity": FILL_OPACITY}

    def highlight(_feature: dict) -> dict:
        return {"weight": 3, "color": "#000", "fillOpacity": 0.8}

    group = folium.FeatureGroup(name=name)
    if features:  # folium's tooltip needs at least one feature
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            style_function=style,
            highlight_function=highlight,
            tooltip=folium.GeoJsonTooltip(
                fields=["tooltip_name", "tooltip_value"],
                aliases=["Quartier", "Signalements" if measure == "count" else "Taux"],
                sticky=True,
            ),
            control=False,
        ).add_to(group)
    title = "Signalements par quartier" if measure == "count" else "Signalements pour 1\u202f000 habitants"
    no_data = "Population inconnue" if measure == "rate" and table["rate"].isna().any() else None
    legend = ClassLegend(group, title=title, classes=found, no_data=no_data, opacity=FILL_OPACITY)
    return group, legend
