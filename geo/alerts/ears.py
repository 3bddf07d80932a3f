"""EARS C1, C2 and C3 (CDC Early Aberration Reporting System), as R ``surveillance::earsC`` defines them.

For the week ``t`` evaluated, with a baseline of ``b`` = 7 weeks:

* **C1**: baseline weeks ``t-7 … t-1``; ``mu``, ``sigma`` their mean and sample standard deviation (n − 1);
  statistic ``C1 = (y_t − mu) / sigma``; threshold ``mu + z·sigma`` with ``z`` = Φ⁻¹(1 − alpha).
* **C2**: the same with a lag of 2: baseline ``t-9 … t-3``.
* **C3**: ``C3_t = Σ_{i=t-2..t} max(0, C2_i − 1)``; alarm when ``C3_t > z``. The threshold shown for ``y_t`` is
  the count that makes ``C3_t`` reach ``z`` given the two previous weeks:
  ``mu_t + sigma_t·(1 + z − S)`` with ``S = Σ_{i=t-2..t-1} max(0, C2_i − 1)``.

``sigma`` is floored at ``min_sigma`` (R ``surveillance``'s ``minSigma``): a baseline of equal counts would
otherwise alarm on any higher count; with ``history_floor`` also at the longer history's standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

__all__ = ["EarsResult", "ears", "BASELINE", "LAG", "required_history"]

BASELINE = 7
LAG = 2  # C2's and C3's gap between the baseline and the week evaluated
VARIANTS = ("C1", "C2", "C3")


@dataclass(frozen=True)
class EarsResult:
    """The evaluation of the last week of a series."""

    expected: float
    threshold: float
    statistic: float
    alarm: bool


def required_history(variant: str) -> int:
    """Return how many weeks before the evaluated one the variant needs."""
    return {"C1": BASELINE, "C2": BASELINE + LAG, "C3": BASELINE + LAG + 2}[variant]


def _c2_parts(counts: np.ndarray, t: int, lag: int, min_sigma: float, history_floor: bool
              ) -> tuple[float, float, float]:
    base = counts[t - lag - BASELINE: t - lag]
    mu = float(base.mean())
    floor = 0.0
    if history_floor:  # the standard deviation of up to 52 weeks before the lag (over-dispersion)
        longer = counts[max(0, t - lag - 52): t - lag]
        floor = float(longer.std(ddof=1)) if len(longer) > 1 else 0.0
    sigma = max(float(base.std(ddof=1)), min_sigma, floor)
    return mu, sigma, (float(counts[t]) - mu) / sigma if sigma > 0 else (np.inf if counts[t] > mu else 0.0)


def ears(counts: np.ndarray, *, variant: str = "C2", alpha: float = 0.001, min_sigma: float = 0.0,
         history_floor: bool = False) -> EarsResult:
    """Evaluate the last week of ``counts`` with EARS ``variant``.

    Parameters
    ----------
    counts
        Weekly counts, oldest first; the last one is the week evaluated.
    variant
        ``"C1"``, ``"C2"`` or ``"C3"``.
    alpha
        One-sided level: ``z = Φ⁻¹(1 − alpha)``.
    min_sigma
        Floor of the baseline standard deviation.
    history_floor
        Also floor it at the standard deviation of up to 52 weeks before the lag (a project choice, not
        ``surveillance``'s: a 7-week sample standard deviation underestimates the true one half of the time
        and misses over-dispersion, which makes EARS's false alarms far more frequent than ``alpha`` says;
        measured in ``bench/alerts_backtest.py``).

    Raises
    ------
    ValueError
        When the variant is unknown or the series is shorter than :func:`required_history` + 1.
    """
    if variant not in VARIANTS:
        raise ValueError(f"EARS variant expected in {VARIANTS}; found {variant!r}")
    counts = np.asarray(counts, dtype=float)
    t = len(counts) - 1
    if t < required_history(variant):
        raise ValueError(f"EARS {variant} needs {required_history(variant) + 1} weeks; found {len(counts)}")
    z = float(norm.ppf(1 - alpha))
    if variant in ("C1", "C2"):
        lag = 0 if variant == "C1" else LAG
        mu, sigma, stat = _c2_parts(counts, t, lag, min_sigma, history_floor)
        return EarsResult(mu, mu + z * sigma, stat, bool(stat > z))
    previous = sum(max(0.0, _c2_parts(counts, i, LAG, min_sigma, history_floor)[2] - 1) for i in (t - 2, t - 1))
    mu, sigma, stat = _c2_parts(counts, t, LAG, min_sigma, history_floor)
    c3 = previous + max(0.0, stat - 1)
    return EarsResult(mu, mu + sigma * (1 + z - previous), c3, bool(c3 > z))
