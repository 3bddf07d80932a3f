"""EARS and Farrington flexible checked against computations done by hand (and the R sources they follow)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.alerts.detection import DetectionConfig, evaluate
from geo.alerts.ears import ears
from geo.alerts.farrington import FarringtonConfig, farrington, reference_levels
from geo.alerts.selection import choose_method

# t = 11 is the week evaluated.
SERIES = np.array([3, 3, 2, 4, 3, 5, 4, 6, 4, 3, 5, 12], dtype=float)
Z_001 = 3.090232306167813  # Φ⁻¹(0.999), from any normal table


def test_ears_c1_by_hand():
    """C1: baseline = weeks 4..10 = 3 5 4 6 4 3 5: mean 30/7; squared deviations sum 52/7 → var (52/7)/6."""
    result = ears(SERIES, variant="C1", alpha=0.001)
    mean = 30 / 7
    sd = math.sqrt((52 / 7) / 6)  # 1.1126972…
    assert result.expected == pytest.approx(mean)
    assert result.statistic == pytest.approx((12 - mean) / sd)  # 6.9330…
    assert result.threshold == pytest.approx(mean + Z_001 * sd)  # 7.7242…
    assert result.alarm


def test_ears_c2_by_hand():
    """C2: baseline lagged by 2 = weeks 2..8 = 2 4 3 5 4 6 4: mean 4, squared deviations 4+0+1+1+0+4+0 = 10."""
    result = ears(SERIES, variant="C2", alpha=0.001)
    sd = math.sqrt(10 / 6)  # 1.2909944…
    assert result.expected == pytest.approx(4.0)
    assert result.statistic == pytest.approx(8 / sd)  # 6.1967…
    assert result.threshold == pytest.approx(4 + Z_001 * sd)


def test_ears_c3_by_hand():
    """C3 = Σ max(0, C2_i − 1) over weeks 9, 10, 11.

    Week 10 (y = 5): baseline weeks 1..7 = 3 2 4 3 5 4 6, mean 27/7, C2 = 0.8496 → contributes 0.
    Week 9 (y = 3): baseline weeks 0..6 = 3 3 2 4 3 5 4, mean 24/7 > 3 → contributes 0.
    Week 11: C2 = 8/sqrt(10/6) → C3 = 6.1967 − 1 = 5.1967; threshold for y_11 = mu + sigma·(1 + z − 0).
    """
    result = ears(SERIES, variant="C3", alpha=0.001)
    sd = math.sqrt(10 / 6)
    assert result.statistic == pytest.approx(8 / sd - 1)
    assert result.threshold == pytest.approx(4 + sd * (1 + Z_001))
    assert result.alarm


def test_ears_min_sigma_and_quiet_week():
    """A flat baseline has sd 0: minSigma 1 makes 6 after seven 4s a 2-sigma excess, not an alarm at 0.001."""
    flat = np.array([4] * 7 + [6], dtype=float)
    result = ears(flat, variant="C1", alpha=0.001, min_sigma=1.0)
    assert result.statistic == pytest.approx(2.0)
    assert not result.alarm
    with pytest.raises(ValueError, match="needs"):
        ears(flat[:5], variant="C1")


def test_reference_levels_follow_surveillance_blocks():
    """t = 120, b = 2, w = 3, noPeriods = 10 (R ``surveillance`` ``blocks`` worked by hand).

    Year 1 back: window 65..71 → level 10; the 45 weeks 72..116 split into 9 blocks of 5 (levels 1..9);
    year 2 back: window 13..19 → 10, 20..64 → 1..9. Weeks 94..120 are the 26 + 1 weeks left out.
    """
    levels = reference_levels(120, b=2, w=3, no_periods=10, past_weeks_not_included=26)
    assert (levels[:13] == 0).all()
    assert (levels[13:20] == 10).all() and (levels[65:72] == 10).all()
    assert list(levels[20:25]) == [1] * 5 and list(levels[60:65]) == [9] * 5
    assert list(levels[72:77]) == [1] * 5 and list(levels[92:94]) == [5, 5]
    assert (levels[94:] == 0).all()


def _nb_quantile(p: float, mean: float, phi: float) -> int:
    """The smallest k with P(Y ≤ k) ≥ p for NB(size = mean/(phi − 1), prob = 1/phi), summing the pmf."""
    size, prob = mean / (phi - 1), 1 / phi
    total, k = 0.0, 0
    while True:
        log_pmf = (math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1) + size * math.log(prob)
                   + k * math.log(1 - prob))
        total += math.exp(log_pmf)
        if total >= p:
            return k
        k += 1


def test_farrington_threshold_worked_example():
    """Farrington with windows only (noPeriods = 1), 3 years back, no trend: a worked example by hand.

    Reference: R ``surveillance`` (``R/farringtonFlexible.R``, ``algo_farrington.R``): with a single level the
    quasi-Poisson fit is the mean of the 21 reference weeks; ``phi = max(1, Σ(y − mu)²/mu / (n − 1))``;
    Anscombe residuals ``s = 1.5·(y^{2/3}·mu^{−1/6} − mu^{1/2}) / sqrt(phi·(1 − 1/n))`` (hat values 1/n);
    weights ``s^{−2}`` above 2.58, 1 below, scaled to sum to n; the weighted refit's mean is ``Σwy/Σw`` and its
    ``phi`` the weighted Pearson statistic over n − 1; the threshold ``qnbinom(1 − alpha, mu/(phi − 1), 1/phi)``
    (``thresholdMethod = "nbPlugin"``), here by summing the negative binomial's pmf.
    """
    rng = np.random.default_rng(5)
    counts = rng.poisson(6, 3 * 52 + 4).astype(float)
    t = len(counts) - 1  # 159: 3 years back fit (52·3 + 3 ≤ 159)
    windows = np.r_[[np.arange(t - 52 * i - 3, t - 52 * i + 4) for i in (1, 2, 3)]].ravel()
    counts[windows] = [2, 9, 6, 3, 10, 5, 2, 7, 11, 3, 8, 4, 6, 10, 2, 6, 9, 4, 30, 7, 3]  # one past outbreak (30)
    counts[t] = 17
    y = counts[windows]
    n = len(y)
    mu = y.mean()
    phi = max(1.0, ((y - mu) ** 2 / mu).sum() / (n - 1))
    s = 1.5 * (y ** (2 / 3) * mu ** (-1 / 6) - mu ** 0.5) / math.sqrt(phi * (1 - 1 / n))
    raw = np.where(s > 2.58, np.where(s > 2.58, s, 1.0) ** -2.0, 1.0)
    weights = raw * n / raw.sum()
    assert (s > 2.58).sum() == 1  # the outbreak week, and only it, is down-weighted
    mu_w = (weights * y).sum() / weights.sum()
    phi_w = max(1.0, (weights * (y - mu_w) ** 2 / mu_w).sum() / (n - 1))
    alpha = 0.01
    expected_threshold = _nb_quantile(1 - alpha, mu_w, phi_w)

    config = FarringtonConfig(no_periods=1, past_weeks_not_included=3, trend=False)
    result = farrington(counts, alpha=alpha, config=config)
    assert result.years_back == 3
    assert result.expected == pytest.approx(mu_w, rel=1e-6)
    assert result.dispersion == pytest.approx(phi_w, rel=1e-6)
    assert phi_w > 1 and result.threshold == expected_threshold
    assert result.alarm == (17 > expected_threshold)
    # without the down-weighting the outbreak week inflates the mean
    plain = farrington(counts, alpha=alpha, config=FarringtonConfig(no_periods=1, past_weeks_not_included=3,
                                                                    trend=False, reweight=False))
    assert plain.expected == pytest.approx(mu) and plain.expected > result.expected


def test_farrington_seasonal_levels_predict_the_current_season():
    """With noPeriods = 10 and no trend the fit per level is that level's mean: mu0 = mean of the windows."""
    counts = np.full(2 * 52 + 4, 2.0)
    t = len(counts) - 1
    windows = np.r_[[np.arange(t - 52 * i - 3, t - 52 * i + 4) for i in (1, 2)]].ravel()
    counts[windows] = 10.0
    counts[windows[::3]] = 12.0  # some spread so that phi is estimable
    result = farrington(counts, alpha=0.001, config=FarringtonConfig(trend=False, reweight=False))
    assert result.expected == pytest.approx(counts[windows].mean())


def test_selection_rule():
    rng = np.random.default_rng(0)
    dense_long = rng.poisson(5, 120).astype(float)
    assert choose_method(dense_long) == "farrington"
    assert choose_method(dense_long[:30]) == "ears_c2"
    assert choose_method(dense_long[:8]) is None
    sparse = np.zeros(120)
    sparse[::5] = 1
    assert choose_method(sparse) == "ears_c1"
    assert choose_method(dense_long, method="ears_c3") == "ears_c3"
    with pytest.raises(ValueError, match="méthode"):
        choose_method(dense_long, method="cusum")


def test_guard_five_reports_in_four_weeks():
    """A week far above a zero baseline alarms only with at least 5 reports in the last 4 weeks."""
    counts = np.zeros(30)
    counts[-1] = 4
    ev = evaluate(counts, config=DetectionConfig(method="ears_c1", ears_alpha=0.001, min_sigma=0.5))
    assert ev.guarded and not ev.alarm
    counts[-2] = 1
    ev = evaluate(counts, config=DetectionConfig(method="ears_c1", ears_alpha=0.001, min_sigma=0.5))
    assert not ev.guarded and ev.alarm
