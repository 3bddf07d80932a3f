"""A small static map (PNG) rendered on the server with matplotlib: quartier outlines and report points.

No network, no tiles: the picture is drawn from the stored territory in Lambert-93 (EPSG:2154), so that it
can travel inside an e-mail.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
from matplotlib.figure import Figure  # a bare Figure: no pyplot state, safe in the dashboard's threads

from geo.alerts.rules import to_lambert93

__all__ = ["render_map_png"]


def render_map_png(territory: gpd.GeoDataFrame, *, lon: Sequence[float], lat: Sequence[float],
                   highlight: Sequence[str] = (), title: str | None = None, size_px: int = 640) -> bytes:
    """Return a PNG of the quartiers (``highlight`` codes shaded) and the points given (WGS84).

    The view frames the highlighted quartiers and the points, with a margin; the whole territory otherwise.
    """
    fig = Figure(figsize=(size_px / 100, size_px / 100), dpi=100)
    ax = fig.subplots()
    shapes = territory.to_crs(2154) if len(territory) else territory
    if len(shapes):
        marked = shapes["code"].astype(str).isin([str(h) for h in highlight])
        shapes[~marked].plot(ax=ax, facecolor="#f4f4f4", edgecolor="#888888", linewidth=0.8)
        if marked.any():
            shapes[marked].plot(ax=ax, facecolor="#fde0c5", edgecolor="#c2410c", linewidth=1.6)
        for row in shapes.itertuples(index=False):
            point = row.geometry.representative_point()
            ax.annotate(str(row.name), (point.x, point.y), ha="center", fontsize=6, color="#444444")
    xy = to_lambert93(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)) if len(lon) else np.empty((0, 2))
    if len(xy):
        ax.scatter(xy[:, 0], xy[:, 1], s=14, c="#b91c1c", edgecolors="white", linewidths=0.5, zorder=3)
    frame = [shapes[marked].total_bounds] if len(shapes) and marked.any() else []
    if len(xy):
        frame.append(np.r_[xy.min(axis=0), xy.max(axis=0)])
    if frame:
        x0, y0 = min(f[0] for f in frame), min(f[1] for f in frame)
        x1, y1 = max(f[2] for f in frame), max(f[3] for f in frame)
        pad = max(x1 - x0, y1 - y0, 500.0) * 0.15
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
