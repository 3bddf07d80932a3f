"""Walking times between points: straight line in Lambert-93 times a detour factor.

Without a street network, the walking distance between two points is their straight-line distance in
Lambert-93 (EPSG:2154) multiplied by a detour factor. The default, 1.3, is the usual ratio of network to
crow-flies distance in dense European towns (circuity of urban street grids is typically 1.2–1.4); a
coordinator who knows the ground can change it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pyproj import Transformer

from geo.patrol.defaults import DEFAULT_DETOUR, DEFAULT_SPEED_KMH

__all__ = ["WalkingModel", "StraightLineWalking", "to_lambert93", "DEFAULT_DETOUR", "DEFAULT_SPEED_KMH"]

_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def to_lambert93(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Return ``(n, 2)`` Lambert-93 metres of WGS84 ``(lat, lon)`` points."""
    if not len(points):
        return np.zeros((0, 2))
    lat = np.array([p[0] for p in points], dtype=float)
    lon = np.array([p[1] for p in points], dtype=float)
    x, y = _TO_L93.transform(lon, lat)
    return np.column_stack([x, y])


class WalkingModel(Protocol):
    """How long walking between points takes, and along which line."""

    speed_kmh: float

    def matrix(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Return walking seconds between every pair of ``(lat, lon)`` points, ``(n, n)``."""
        ...

    def path(self, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        """Return the ``(lat, lon)`` polyline walked from ``a`` to ``b``."""
        ...


class StraightLineWalking:
    """Straight-line distance in Lambert-93 times a detour factor, at a walking speed.

    Parameters
    ----------
    speed_kmh
        Walking speed (default 4.5 km/h).
    detour
        Ratio of walked to straight-line distance (default 1.3, see the module's note).
    """

    def __init__(self, *, speed_kmh: float = DEFAULT_SPEED_KMH, detour: float = DEFAULT_DETOUR) -> None:
        if speed_kmh <= 0:
            raise ValueError(f"la vitesse de marche doit être positive, trouvé {speed_kmh}")
        if detour < 1:
            raise ValueError(f"le facteur de détour doit être au moins 1, trouvé {detour}")
        self.speed_kmh = float(speed_kmh)
        self.detour = float(detour)

    def distances(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Return walked metres between every pair of points."""
        xy = to_lambert93(points)
        diff = xy[:, None, :] - xy[None, :, :]
        return np.hypot(diff[..., 0], diff[..., 1]) * self.detour

    def matrix(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Return walking seconds between every pair of ``(lat, lon)`` points."""
        return self.distances(points) / (self.speed_kmh / 3.6)

    def path(self, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        """Return the straight segment from ``a`` to ``b``."""
        return [a, b]
