"""Back-testing the detection on simulated series: false alarms on null data, delay and sensitivity on spikes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.alerts.detection import DEFAULT_CONFIG, DetectionConfig, evaluate

__all__ = ["BacktestFigures", "null_series", "false_alarms", "spike_detection"]

WEEKS = 52


@dataclass(frozen=True)
class BacktestFigures:
    """False alarms per series-year, and for spikes the share detected and the median delay (weeks)."""

    series: int
    series_years: float
    alarms: int
    per_series_year: float
    methods: dict[str, int]
    alarms_by_method: dict[str, int]


def _means(rng: np.random.Generator, n: int, weeks: int, *, low: float, high: float,
           season: float) -> np.ndarray:
    base = np.exp(rng.uniform(np.log(low), np.log(high), n))[:, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None]
    t = np.arange(weeks)[None, :]
    return base * (1 + season * np.sin(2 * np.pi * t / WEEKS + phase))


def _draw(rng: np.random.Generator, mu: np.ndarray, dispersion: float) -> np.ndarray:
    if dispersion <= 1:
        return rng.poisson(mu).astype(float)
    size = mu / (dispersion - 1)  # variance = dispersion × mean
    return rng.negative_binomial(size, 1 / dispersion).astype(float)


def null_series(rng: np.random.Generator, n: int, *, years: int = 3, dispersion: float = 1.0, low: float = 1.0,
                high: float = 20.0, season: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` null weekly series (no outbreak) and their means: seasonal, level log-uniform in [low, high].

    ``dispersion`` 1 draws Poisson counts; above 1, negative binomial counts of variance ``dispersion × mean``.
    """
    mu = _means(rng, n, years * WEEKS, low=low, high=high, season=season)
    return _draw(rng, mu, dispersion), mu


def false_alarms(series: np.ndarray, *, config: DetectionConfig = DEFAULT_CONFIG, first: int = 0
                 ) -> BacktestFigures:
    """Evaluate every week of every null series (from week ``first``) and count the alarms."""
    alarms, evaluated, methods, by_method = 0, 0, {}, {}
    for counts in series:
        for t in range(max(first, 1), len(counts)):
            ev = evaluate(counts[: t + 1], config=config)
            if ev.method is None:
                continue
            evaluated += 1
            methods[ev.method] = methods.get(ev.method, 0) + 1
            by_method[ev.method] = by_method.get(ev.method, 0) + int(ev.alarm)
            alarms += int(ev.alarm)
    years = evaluated / WEEKS
    return BacktestFigures(len(series), years, alarms, alarms / years if years else float("nan"), methods,
                           by_method)


def spike_detection(rng: np.random.Generator, n: int, *, factor: float, years: int = 3, dispersion: float = 1.0,
                    duration: int = 4, config: DetectionConfig = DEFAULT_CONFIG, low: float = 1.0,
                    high: float = 20.0) -> tuple[float, float]:
    """Inject a spike of ``factor`` × the baseline for ``duration`` weeks in the last year of ``n`` series.

    Returns
    -------
    sensitivity, median_delay
        Share of spikes with an alarm during the spike; median weeks from its start to the first alarm
        (0 = the first week), among those detected.
    """
    mu = _means(rng, n, years * WEEKS, low=low, high=high, season=0.3)
    detected, delays = 0, []
    for i in range(n):
        start = int(rng.integers(years * WEEKS - WEEKS, years * WEEKS - duration))
        mean = mu[i].copy()
        mean[start: start + duration] *= factor
        counts = _draw(rng, mean, dispersion)
        for d in range(duration):
            if evaluate(counts[: start + d + 1], config=config).alarm:
                detected += 1
                delays.append(d)
                break
    return detected / n, float(np.median(delays)) if delays else float("nan")
