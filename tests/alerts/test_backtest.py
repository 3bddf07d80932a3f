"""A smaller back-test than ``bench/alerts_backtest.py``: false alarms on null data at the default settings."""

from __future__ import annotations

import numpy as np

from geo.alerts.backtest import false_alarms, null_series, spike_detection
from geo.alerts.detection import DEFAULT_CONFIG


def test_false_alarms_per_series_year_at_default_settings():
    """10 Poisson and 10 over-dispersed (variance 2 × mean) null series of 3 years, every week evaluated."""
    alarms, years = 0, 0.0
    for dispersion in (1.0, 2.0):
        series, _ = null_series(np.random.default_rng(11), 10, years=3, dispersion=dispersion)
        figures = false_alarms(series, config=DEFAULT_CONFIG)
        assert set(figures.methods) >= {"farrington", "ears_c2"}  # both regimes of the rule are exercised
        alarms += figures.alarms
        years += figures.series_years
    assert years > 50
    assert alarms / years <= 0.05


def test_a_tripled_baseline_is_detected():
    sensitivity, delay = spike_detection(np.random.default_rng(3), 6, factor=3.0, years=2)
    assert sensitivity >= 0.5 and delay <= 2
