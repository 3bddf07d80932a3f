"""Back-test of the alert detection on simulated weekly series: prints false alarms, sensitivity and delay.

Null series (no outbreak): seasonal weekly means (annual sine, amplitude 0.3), levels log-uniform in
[1, 20] reports a week, 3 years each; Poisson counts, and negative binomial counts of variance 2 × mean
(over-dispersed). Every week with enough history is evaluated as ``python -m geo alerts`` would (the method
chosen per series by the rule of ``geo.alerts.selection``, the 5-in-4-weeks guard, the default alphas).
Then spikes of 2× and 3× the baseline over 4 weeks, injected at a random week of the last year: the share
detected during the spike (sensitivity) and the median delay from its start to the first alarm (0 = its first
week). An extra line gives sparse series (levels 0.2–1.5 a week), where the rule uses EARS C1.

    .venv/bin/python bench/alerts_backtest.py [--series 50] [--years 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from _common import ROOT  # noqa: F401 - puts the project on sys.path

from geo.alerts.backtest import false_alarms, null_series, spike_detection
from geo.alerts.detection import DEFAULT_ALPHA, DEFAULT_EARS_ALPHA, DetectionConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA)
    parser.add_argument("--ears-alpha", type=float, default=DEFAULT_EARS_ALPHA)
    args = parser.parse_args()
    config = DetectionConfig(alpha=args.alpha, ears_alpha=args.ears_alpha)
    print(f"load average {os.getloadavg()[0]:.2f}; alpha (Farrington) {config.alpha:g}, "
          f"alpha (EARS) {config.ears_alpha:g}, guard {config.min_reports} in {config.guard_weeks} weeks")
    total_alarms, total_years = 0, 0.0
    for label, dispersion, low, high in (("Poisson", 1.0, 1.0, 20.0), ("over-dispersed (NB, var = 2 × mean)", 2.0,
                                                                        1.0, 20.0)):
        rng = np.random.default_rng(args.seed)
        series, _ = null_series(rng, args.series, years=args.years, dispersion=dispersion, low=low, high=high)
        start = time.perf_counter()
        figures = false_alarms(series, config=config)
        total_alarms += figures.alarms
        total_years += figures.series_years
        per_method = ", ".join(f"{m}: {figures.alarms_by_method.get(m, 0)} in {n / 52:.1f} series-years"
                               for m, n in sorted(figures.methods.items()))
        print(f"null {label}: {args.series} series × {args.years} years, {figures.series_years:.1f} series-years "
              f"evaluated, {figures.alarms} false alarms = {figures.per_series_year:.3f} per series-year "
              f"({per_method}) [{time.perf_counter() - start:.0f} s]")
    print(f"null, both families: {total_alarms / total_years:.3f} false alarms per series-year (target ≤ 0.05)")
    rng = np.random.default_rng(args.seed + 1)
    sparse, _ = null_series(rng, args.series, years=args.years, dispersion=2.0, low=0.2, high=1.5)
    figures = false_alarms(sparse, config=config)
    print(f"null sparse over-dispersed (0.2–1.5 a week): {figures.per_series_year:.3f} false alarms per "
          f"series-year ({figures.alarms} alarms, methods {figures.methods})")
    for low, high in ((1.0, 20.0), (5.0, 20.0)):
        for dispersion, label in ((1.0, "Poisson"), (2.0, "over-dispersed")):
            for factor in (2.0, 3.0):
                rng = np.random.default_rng(args.seed + int(factor * 10 + dispersion))
                sensitivity, delay = spike_detection(rng, args.series, factor=factor, years=args.years,
                                                     dispersion=dispersion, config=config, low=low, high=high)
                print(f"spike {factor:g}× baseline over 4 weeks, levels {low:g}–{high:g} a week, {label}: "
                      f"sensitivity {sensitivity:.0%}, median delay {delay:g} week(s) after its start")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
