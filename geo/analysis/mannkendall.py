"""The Mann-Kendall trend test (``pymannkendall``) with the project's names for its outcome."""

from __future__ import annotations

import numpy as np
import pymannkendall

__all__ = ["mann_kendall"]


def mann_kendall(series: np.ndarray, *, alpha: float = 0.05) -> tuple[str, float, float, float]:
    """Return the Mann-Kendall trend of ``series``: direction, tau, p-value and Sen's slope.

    The direction is ``increasing``, ``decreasing`` or ``no_trend`` (p-value above ``alpha``); a series
    that never changes has no trend (tau 0, p 1).
    """
    values = np.asarray(series, dtype=float)
    if values.size < 3 or np.all(values == values[0]):
        return "no_trend", 0.0, 1.0, 0.0
    result = pymannkendall.original_test(values, alpha=alpha)
    direction = result.trend if result.trend in ("increasing", "decreasing") else "no_trend"
    return direction, float(result.Tau), float(result.p), float(result.slope)
