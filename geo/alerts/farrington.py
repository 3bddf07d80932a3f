"""Farrington flexible (Noufaily et al. 2012), as R ``surveillance::farringtonFlexible`` computes it.

For the week ``t`` evaluated, with ``b`` years back, a half window ``w`` and ``noPeriods`` = p:

1. **Reference data** (``surveillance``'s ``blocks``): for each year ``i = 1…b`` the window of ``2w + 1`` weeks
   around ``t − 52·i`` gets the level p (the "current" season); the ``52 − 2w − 1`` weeks between that window
   and the next year's are cut into p − 1 consecutive blocks (levels 1 … p − 1, the first blocks one week
   longer when the division leaves a rest). Weeks before ``t − 52·b − w`` and the last
   ``pastWeeksNotIncluded`` weeks (``t − 26 … t``) are left out, so a starting outbreak does not raise its own
   baseline. A year is 52 weeks here (``surveillance`` snaps dates one year back to the nearest same weekday,
   52 or 53 weeks).
2. **Model**: quasi-Poisson GLM, log link, ``count ~ 1 + level [+ week]`` (statsmodels), the dispersion
   ``phi = max(1, Pearson χ² / (n − k))``. A trend is kept only with at least 3 years back, significant at 5 %,
   and not predicting above the largest baseline count (Farrington 1996).
3. **Down-weighting past outbreaks**: Anscombe residuals
   ``s_i = 3/2·(y_i^{2/3}·mu_i^{−1/6} − mu_i^{1/2}) / sqrt(phi·(1 − h_ii))``; weights ``s_i^{−2}`` where
   ``s_i > weightsThreshold`` (2.58), 1 elsewhere, scaled to sum to n; the model is refitted with them and
   ``phi`` estimated again.
4. **Threshold** (``thresholdMethod = "nbPlugin"``, Noufaily 2012): the (1 − alpha) quantile of a negative
   binomial of mean ``mu0`` (the prediction for ``t``) and variance ``phi·mu0`` — ``size = mu0/(phi − 1)``,
   ``prob = 1/phi`` — or of a Poisson of mean ``mu0`` when ``phi = 1``. Alarm when ``y_t`` exceeds it (and
   ``y_t > 0``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy.stats import nbinom, poisson

__all__ = ["FarringtonConfig", "FarringtonResult", "farrington", "reference_levels", "anscombe_weights",
           "years_back"]

WEEKS_PER_YEAR = 52


@dataclass(frozen=True)
class FarringtonConfig:
    """Parameters, with Noufaily 2012's recommended values as defaults."""

    b: int = 3
    w: int = 3
    no_periods: int = 10
    past_weeks_not_included: int = 26
    weights_threshold: float = 2.58
    reweight: bool = True
    trend: bool = True
    p_threshold_trend: float = 0.05


DEFAULT_FARRINGTON = FarringtonConfig()


@dataclass(frozen=True)
class FarringtonResult:
    """The evaluation of the last week of a series."""

    expected: float
    threshold: float
    dispersion: float
    years_back: int
    trend: bool
    alarm: bool


def years_back(history: int, config: FarringtonConfig) -> int:
    """Return how many years back fit in ``history`` weeks before the evaluated one (at most ``config.b``)."""
    return min(config.b, max(0, (history - config.w) // WEEKS_PER_YEAR))


def reference_levels(t: int, *, b: int, w: int, no_periods: int, past_weeks_not_included: int) -> np.ndarray:
    """Return the seasonal level of each week ``0 … t`` (0 where the week is not in the reference data)."""
    levels = np.zeros(t + 1, dtype=int)
    p = no_periods
    for i in range(1, b + 1):
        ref = t - WEEKS_PER_YEAR * i
        later = t - WEEKS_PER_YEAR * (i - 1)
        levels[ref - w: ref + w + 1] = p
        if p != 1:
            period = later - 2 * w - 1 - ref
            lengths = np.full(p - 1, period // (p - 1))
            lengths[: period % (p - 1)] += 1
            start = ref + w + 1
            for j, length in enumerate(lengths, start=1):
                levels[start: start + length] = j
                start += length
    levels[max(0, t - past_weeks_not_included):] = 0
    return levels


def anscombe_weights(y: np.ndarray, mu: np.ndarray, hat: np.ndarray, phi: float,
                     threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the standardised Anscombe residuals and the weights that down-weight past outbreaks."""
    s = 1.5 * (np.power(y, 2 / 3) * np.power(mu, -1 / 6) - np.sqrt(mu)) / np.sqrt(phi * np.clip(1 - hat, 1e-12, None))
    raw = np.where(s > threshold, np.power(np.where(s > threshold, s, 1.0), -2.0), 1.0)
    return s, raw * len(y) / raw.sum()


def _design(levels: np.ndarray, weeks: np.ndarray, p: int, trend: bool) -> tuple[np.ndarray, list[int]]:
    others = sorted(set(levels.tolist()) - {p})
    columns = [np.ones(len(levels))] + [(levels == level).astype(float) for level in others]
    if trend:
        columns.append(weeks.astype(float))
    return np.column_stack(columns), others


def _fit(y: np.ndarray, x: np.ndarray, weights: np.ndarray | None) -> sm.regression.linear_model.RegressionResults:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(y, x, family=sm.families.Poisson(), var_weights=weights)
        return model.fit(scale="X2")


def _fit_reweighted(y: np.ndarray, x: np.ndarray, config: FarringtonConfig):  # noqa: ANN202 - statsmodels result
    result = _fit(y, x, None)
    phi = max(float(result.scale), 1.0)
    if config.reweight:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hat = result.get_influence().hat_matrix_diag
        _, weights = anscombe_weights(y, result.mu, hat, phi, config.weights_threshold)
        result = _fit(y, x, weights)
        phi = max(float(result.scale), 1.0)
    return result, phi


def nb_plugin_threshold(mu0: float, phi: float, alpha: float) -> float:
    """Return the (1 − alpha) quantile of NB(mean ``mu0``, variance ``phi·mu0``), Poisson when ``phi`` is 1."""
    if mu0 <= 0:
        return 0.0
    if phi > 1:
        return float(nbinom.ppf(1 - alpha, mu0 / (phi - 1), 1 / phi))
    return float(poisson.ppf(1 - alpha, mu0))


def farrington(counts: np.ndarray, *, alpha: float = 0.05, config: FarringtonConfig = DEFAULT_FARRINGTON
               ) -> FarringtonResult | None:
    """Evaluate the last week of ``counts`` (oldest first).

    Returns ``None`` when the model cannot be fitted, or when the weeks of the current season in past years
    hold no report at all: the fitted mean would be 0 and any count an alarm (a weakness of the method with
    one or two years back on low counts; the caller falls back on another method).

    Raises
    ------
    ValueError
        When the series is too short for even one year back.
    """
    counts = np.asarray(counts, dtype=float)
    t = len(counts) - 1
    b = years_back(t, config)
    if b < 1:
        raise ValueError(f"Farrington needs at least {WEEKS_PER_YEAR + config.w + 1} weeks; found {len(counts)}")
    levels = reference_levels(t, b=b, w=config.w, no_periods=config.no_periods,
                              past_weeks_not_included=config.past_weeks_not_included)
    keep = np.flatnonzero(levels > 0)
    y, lv, weeks = counts[keep], levels[keep], keep.astype(float)
    if y[lv == config.no_periods].sum() == 0:  # the current season's level is not estimable (mu0 = 0)
        return None
    trend = config.trend
    x, _ = _design(lv, weeks, config.no_periods, trend)
    try:
        result, phi = _fit_reweighted(y, x, config)
        if trend:
            mu_t = float(np.exp(result.params[0] + result.params[-1] * t))
            keep_trend = (b >= 3 and float(result.pvalues[-1]) < config.p_threshold_trend
                          and mu_t <= float(y.max()))
            if not keep_trend:
                trend = False
                x, _ = _design(lv, weeks, config.no_periods, False)
                result, phi = _fit_reweighted(y, x, config)
    except (np.linalg.LinAlgError, ValueError):
        return None
    eta = float(result.params[0] + (result.params[-1] * t if trend else 0.0))
    if not np.isfinite(eta):
        return None
    mu0 = float(np.exp(eta))
    threshold = nb_plugin_threshold(mu0, phi, alpha)
    y_t = float(counts[t])
    return FarringtonResult(mu0, threshold, phi, b, trend, bool(y_t > threshold and y_t > 0))
