"""The false discovery rate step shared by hot spots and trends (Benjamini–Hochberg)."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["fdr_adjust"]


def fdr_adjust(p: np.ndarray) -> np.ndarray:
    """Return Benjamini–Hochberg adjusted p-values.

    Among many tests, keeping those with ``p_fdr <= alpha`` keeps the expected share of false findings among
    the kept ones at ``alpha`` at most; it keeps exactly the tests that :func:`esda.fdr` keeps.
    """
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    return stats.false_discovery_control(np.clip(p, 0, 1), method="bh")
