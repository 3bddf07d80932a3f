"""Count reports on an H3 grid and draw the non-empty cells coloured by class."""

from __future__ import annotations

from typing import Final

import folium
import h3.api.basic_int as h3
import numpy as np
import pandas as pd

from geo.maps.choropleth import YLGNBU, ClassLegend, classify

__all__ = ["MAX_HEX_CELLS", "hexagon_counts", "hexagon_layer"]

MAX_HEX_CELLS: Final = 1_200
"""At most this many cells are drawn (~0.3 kB each in the page); beyond, the grid is made coarser."""
_COORD_DECIMALS = 5
FILL_OPACITY: Final = 0.75
"""Fill opacity of the cells (the legend's swatches are drawn at the same opacity, on white)."""


def hexagon_counts(lat: np.ndarray, lon: np.ndarray, *, resolution: int = 9) -> pd.Series:
    """Count points per H3 cell.

    Parameters
    ----------
    lat, lon
        WGS84 coordinates (non-finite ones are left out).
    resolution
        H3 resolution, 0 to 15 (res 9 ≈ 0.105 km², res 10 ≈ 0.015 km²).

    Returns
    -------
    pandas.Series
        Number of points per non-empty cell, indexed by the cell's hexadecimal id, named ``count``,
        largest first.
    """
    if not 0 <= resolution <= 15:
        raise ValueError(f"`h3_resolution` was {resolution} but is expected to be between 0 and 15")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    keep = np.isfinite(lat) & np.isfinite(lon)
    to_cell = h3.latlng_to_cell
    cells = np.fromiter(
        (to_cell(a, b, resolution) for a, b in zip(lat[keep].tolist(), lon[keep].tolist(), strict=True)),
        dtype=np.uint64,
        count=int(keep.sum()),
    )
    ids, counts = np.unique(cells, return_counts=True)
    series = pd.Series(counts, index=[h3.int_to_str(int(c)) for c in ids], name="count", dtype="int64")
    return series.sort_values(ascending=False, kind="stable")


def _coarsen(counts: pd.Series, resolution: int) -> pd.Series:
    parents = [h3.int_to_str(h3.cell_to_parent(h3.str_to_int(c), resolution)) for c in counts.index]
    coarse = counts.groupby(parents).sum().rename("count")
    return coarse.sort_values(ascending=False, kind="stable")


def hexagon_layer(
    lat: np.ndarray,
    lon: np.ndarray,
    *,
    name: str,
    resolution: int = 9,
    classes: int = 5,
    scheme: str = "quantiles",
    max_cells: int = MAX_HEX_CELLS,
) -> tuple[folium.FeatureGroup, ClassLegend, int]:
    """Return a layer of the non-empty H3 cells coloured by report count, its legend and the resolution used.

    When more than ``max_cells`` cells are non-empty, the counts are summed into parent cells, one
    resolution at a time, until they fit: the page stays small whatever the number of reports.

    Parameters
    ----------
    lat, lon
        Report positions (WGS84).
    name
        Layer name; `` (résolution N)`` is appended when the grid had to be made coarser.
    resolution
        Wanted H3 resolution.
    classes, scheme
        See :func:`geo.maps.choropleth.classify`.
    max_cells
        Most cells drawn.

    Returns
    -------
    folium.FeatureGroup, ClassLegend, int
        The layer, its legend, and the H3 resolution drawn.
    """
    counts = hexagon_counts(lat, lon, resolution=resolution)
    used = resolution
    while len(counts) > max_cells and used > 0:
        used -= 1
        counts = _coarsen(counts, used)
    found = classify(counts.to_numpy(), classes=classes, scheme=scheme, palette=YLGNBU, decimals=0)
    colours = dict(zip(counts.index, found.colour_of(counts.to_numpy()), strict=True))
    features = []
    for cell, count in counts.items():
        boundary = h3.cell_to_boundary(h3.str_to_int(cell))
        ring = [[round(lng, _COORD_DECIMALS), round(lat_, _COORD_DECIMALS)] for lat_, lng in boundary]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "properties": {"h3": cell, "count": int(count)},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )

    def style(feature: dict) -> dict:
        return {"fillColor": colours[feature["id"]], "color": "#555", "weight": 0.5, "fillOpacity": FILL_OPACITY}

    layer_name = name if used == resolution else f"{name} (résolution {used})"
    title = f"Signalements par hexagone (H3 rés. {used})"
    group = folium.FeatureGroup(name=layer_name)
    if not features:  # folium's tooltip needs at least one feature
        return group, ClassLegend(group, title=title, classes=found, opacity=FILL_OPACITY), used
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["count"], aliases=["Signalements"], sticky=True),
        control=False,
    ).add_to(group)
    legend = ClassLegend(group, title=title, classes=found, opacity=FILL_OPACITY)
    return group, legend, used
