"""Spike detection on the weekly series: method per series, the 5-in-4-weeks guard, alarms with their evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.alerts.ears import ears
from geo.alerts.farrington import FarringtonConfig, farrington
from geo.alerts.selection import choose_method
from geo.alerts.series import SeriesKey, WeeklySeries, weekly_series

__all__ = ["DEFAULT_ALPHA", "DEFAULT_EARS_ALPHA", "DEFAULT_CONFIG", "DetectionConfig", "Evaluation", "Detection",
           "evaluate", "detect", "series_history"]

# Chosen by back-testing on null series (bench/alerts_backtest.py): at these levels the false alarms stay
# at most 0.05 per series-year with the guard, for Poisson and over-dispersed series alike. Both methods are
# far more liberal than their nominal level on weekly counts: Farrington's plug-in negative binomial quantile
# ignores the uncertainty of the fitted mean and the down-weighting shrinks the dispersion; EARS's normal
# threshold on a 7-week baseline meets heavy-tailed low counts. Hence the small alphas, and EARS's standard
# deviation floored at 2 reports (min_sigma; surveillance suggests 0.5–1, which gave 0.13 false alarms per
# series-year in the first year of 80 null series).
DEFAULT_ALPHA = 1e-5
DEFAULT_EARS_ALPHA = 1e-7


@dataclass(frozen=True)
class DetectionConfig:
    """Settings of the statistical detection.

    Attributes
    ----------
    alpha
        One-sided level of Farrington's threshold.
    ears_alpha
        One-sided level of EARS's thresholds (``z = Φ⁻¹(1 − ears_alpha)``).
    method
        ``"auto"`` (see :mod:`geo.alerts.selection`) or one method for every series.
    min_reports, guard_weeks
        No alarm with fewer than ``min_reports`` reports in the last ``guard_weeks`` weeks (the week evaluated
        included), as ``surveillance``'s ``limit54``.
    min_sigma, ears_history_floor
        Floors of EARS's baseline standard deviation (see :func:`geo.alerts.ears.ears`).
    farrington
        Farrington flexible's parameters (Noufaily 2012 defaults).
    """

    alpha: float = DEFAULT_ALPHA
    ears_alpha: float = DEFAULT_EARS_ALPHA
    method: str = "auto"
    min_reports: int = 5
    guard_weeks: int = 4
    min_sigma: float = 2.0
    ears_history_floor: bool = True
    farrington: FarringtonConfig = field(default_factory=FarringtonConfig)


DEFAULT_CONFIG = DetectionConfig()


@dataclass(frozen=True)
class Evaluation:
    """One week of one series: what was expected, the threshold and whether it alarms."""

    method: str | None
    observed: int
    expected: float | None
    threshold: float | None
    alarm: bool
    guarded: bool
    detail: dict


@dataclass(frozen=True)
class Detection:
    """An alarm on a series' week, with the reports behind it."""

    series: SeriesKey
    week: pd.Timestamp
    evaluation: Evaluation
    report_ids: list[str]


def evaluate(counts: np.ndarray, *, config: DetectionConfig = DEFAULT_CONFIG, fit_guarded: bool = False
             ) -> Evaluation:
    """Evaluate the last week of ``counts`` (oldest first).

    Parameters
    ----------
    fit_guarded
        Fit the method even where the guard forbids an alarm (for charts); by default a guarded week is not
        fitted at all (most series are, and the model is the costly part).
    """
    counts = np.asarray(counts, dtype=float)
    observed = int(counts[-1])
    guarded = float(counts[-config.guard_weeks:].sum()) < config.min_reports
    method = choose_method(counts, method=config.method, farrington_config=config.farrington)
    if method is None or (guarded and not fit_guarded):
        return Evaluation(method, observed, None, None, False, guarded, {})
    fallback = {}
    if method == "farrington":
        result = farrington(counts, alpha=config.alpha, config=config.farrington)
        if result is not None:
            detail = {"alpha": config.alpha, "dispersion": round(result.dispersion, 4),
                      "years_back": result.years_back, "trend": result.trend}
            return Evaluation(method, observed, result.expected, result.threshold, result.alarm and not guarded,
                              guarded, detail)
        method, fallback = "ears_c2", {"fallback_from": "farrington"}
    variant = method.removeprefix("ears_").upper()
    result = ears(counts, variant=variant, alpha=config.ears_alpha, min_sigma=config.min_sigma,
                  history_floor=config.ears_history_floor)
    detail = {"alpha": config.ears_alpha, "statistic": round(result.statistic, 4), "min_sigma": config.min_sigma,
              **fallback}
    return Evaluation(method, observed, result.expected, result.threshold, result.alarm and not guarded,
                      guarded, detail)


def _report_ids(reports: pd.DataFrame, weekly: WeeklySeries, key: SeriesKey, week: pd.Timestamp) -> list[str]:
    mask = (weekly.week_of_report == week) & (reports.loc[weekly.week_of_report.index, "neighbourhood"]
                                              == key.neighbourhood)
    if key.category is not None:
        mask &= reports.loc[weekly.week_of_report.index, "category"] == key.category
    return sorted(reports.loc[mask[mask].index, "id"].astype(str).tolist())


def detect(reports: pd.DataFrame, *, as_of: pd.Timestamp | str, timezone: str,
           config: DetectionConfig = DEFAULT_CONFIG, neighbourhoods: list[str] | None = None) -> list[Detection]:
    """Return the alarms of the week of ``as_of``, using only the reports observed up to that date.

    Parameters
    ----------
    reports
        Columns ``id``, ``observed_at`` (tz-aware), ``neighbourhood``, ``category``.
    """
    weekly = weekly_series(reports, as_of=as_of, timezone=timezone, neighbourhoods=neighbourhoods)
    week = weekly.weeks[-1]
    found = []
    for key, counts in weekly.counts.items():
        evaluation = evaluate(counts, config=config)
        if evaluation.alarm:
            found.append(Detection(key, week, evaluation, _report_ids(reports, weekly, key, week)))
    return found


def series_history(reports: pd.DataFrame, key: SeriesKey, *, as_of: pd.Timestamp | str, timezone: str,
                   weeks: int = 26, config: DetectionConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """Return the last ``weeks`` weeks of one series, each evaluated as it would have been that week.

    Returns
    -------
    pandas.DataFrame
        ``week``, ``observed``, ``expected``, ``threshold``, ``method``, ``alarm`` (for the chart of an alert).
    """
    weekly = weekly_series(reports, as_of=as_of, timezone=timezone, neighbourhoods=[key.neighbourhood])
    counts = weekly.counts.get(key, np.zeros(len(weekly.weeks)))
    rows = []
    for end in range(max(1, len(counts) - weeks), len(counts) + 1):
        ev = evaluate(counts[:end], config=config, fit_guarded=True)
        rows.append({"week": weekly.weeks[end - 1], "observed": ev.observed, "expected": ev.expected,
                     "threshold": ev.threshold, "method": ev.method, "alarm": ev.alarm})
    return pd.DataFrame(rows, columns=["week", "observed", "expected", "threshold", "method", "alarm"])
