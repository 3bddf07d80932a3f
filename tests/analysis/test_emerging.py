"""Emerging hot spot classes on hand-made series, the space-time cube, and a small grid end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall
import pytest

from geo.analysis.emerging import PATTERNS, classify_pattern, emerging_hotspots, space_time_cube
from geo.analysis.grid import build_grid
from geo.analysis.mannkendall import mann_kendall
from tests.conftest import make_territory

H, C, N = 1, -1, 0  # hot, cold, not significant at a step


def _classify(steps: list[int], trend: str = "no_trend") -> str:
    states = np.array(steps)
    z = np.where(states == 0, 0.3, 3.0 * states)  # a z-score of the step's sign
    return classify_pattern(z, states != 0, trend=trend)


CASES = {
    "new_hot": ([N] * 9 + [H], "no_trend"),
    "consecutive_hot": ([N] * 7 + [H, H, H], "increasing"),
    "intensifying_hot": ([H] * 10, "increasing"),
    "persistent_hot": ([N] + [H] * 9, "no_trend"),
    "diminishing_hot": ([H] * 10, "decreasing"),
    "sporadic_hot": ([N, H, N, N, H, N, N, H, N, H], "no_trend"),
    "oscillating_hot": ([N, C, N, N, H, N, N, N, N, H], "no_trend"),
    "historical_hot": ([H] * 19 + [N], "decreasing"),
    "new_cold": ([N] * 9 + [C], "no_trend"),
    "consecutive_cold": ([N] * 8 + [C, C], "no_trend"),
    "intensifying_cold": ([C] * 10, "decreasing"),
    "persistent_cold": ([C] * 10, "no_trend"),
    "diminishing_cold": ([C] * 9 + [C], "increasing"),
    "sporadic_cold": ([C, N, N, C, N, N, N, C, N, C], "no_trend"),
    "oscillating_cold": ([H, N, N, N, N, N, N, N, N, C], "no_trend"),
    "historical_cold": ([C] * 19 + [N], "no_trend"),
    "no_pattern": ([N, N, H, H, N, N, N, N, N, N], "no_trend"),
}


def test_every_pattern_has_a_case():
    assert set(CASES) == set(PATTERNS)


@pytest.mark.parametrize("expected", list(CASES))
def test_pattern_rules(expected):
    steps, trend = CASES[expected]
    assert _classify(steps, trend) == expected


def test_rule_boundaries_at_90_percent():
    # 9 hot steps out of 10 (90 %) with the last one hot: persistent; 8 out of 10: sporadic
    assert _classify([N, H, H, H, H, H, H, H, H, H]) == "persistent_hot"
    assert _classify([N, N, H, H, H, H, H, H, H, H]) == "consecutive_hot"  # one run at the end, nothing before
    assert _classify([N, H, N, H, H, H, H, H, H, H]) == "sporadic_hot"
    # a run of one after an earlier hot step is not "new"
    assert _classify([H, N, N, N, N, N, N, N, N, H]) == "sporadic_hot"
    # a consecutive run after an earlier cold step oscillates
    assert _classify([C, N, N, N, N, N, N, N, H, H]) == "oscillating_hot"
    # hot in 90 % but not at the last step: historical, whatever the trend
    assert _classify([H] * 18 + [N, N]) == "historical_hot"
    assert _classify([N] * 10) == "no_pattern"


def test_mann_kendall_follows_pymannkendall():
    rng = np.random.default_rng(2)
    rising = np.arange(30) * 0.2 + rng.normal(0, 1, 30)
    direction, tau, p, slope = mann_kendall(rising)
    ref = pymannkendall.original_test(rising)
    assert direction == "increasing" and tau == pytest.approx(ref.Tau) and p == pytest.approx(ref.p)
    assert slope == pytest.approx(ref.slope)
    assert mann_kendall(-rising)[0] == "decreasing"
    assert mann_kendall(np.full(12, 4.0)) == ("no_trend", 0.0, 1.0, 0.0)
    assert mann_kendall(rng.normal(0, 1, 30))[0] == "no_trend"


def test_space_time_cube_counts_per_cell_and_week():
    times = pd.Series(pd.to_datetime(["2026-02-02 10:00", "2026-02-08 23:00", "2026-02-09 00:30",
                                      "2026-02-23 12:00"]).tz_localize("Europe/Paris"))
    where = np.array([0, 0, 1, -1])
    now = pd.Timestamp("2026-03-10", tz="Europe/Paris")
    cube, steps = space_time_cube(where, times, cells=3, period="week", now=now)
    assert list(steps.strftime("%Y-%m-%d")) == ["2026-02-02", "2026-02-09"]  # the -1 report is left out
    assert cube.tolist() == [[2, 0], [0, 1], [0, 0]]
    cube, steps = space_time_cube(where, times, cells=3, period="week", steps=4,
                                  end=pd.Timestamp("2026-02-23", tz="Europe/Paris"))
    assert list(steps.strftime("%Y-%m-%d")) == ["2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"]
    # the period still running at `now` is left out: a partial last step would look like a drop
    cube, steps = space_time_cube(np.array([0, 0, 0]), times[:3], cells=1, period="week",
                                  now=pd.Timestamp("2026-02-10", tz="Europe/Paris"))
    assert list(steps.strftime("%Y-%m-%d")) == ["2026-02-02"] and cube.tolist() == [[2]]


def test_a_cell_that_heats_up_at_the_end_is_emerging():
    grid = build_grid(make_territory(), cell_size=600)
    rng = np.random.default_rng(4)
    n_cells, n_steps = len(grid), 20
    cube = rng.poisson(1.0, (n_cells, n_steps))
    target = len(grid) // 2
    cube[target, -3:] += np.array([12, 16, 20])
    for j in grid.weights().neighbors[target]:
        cube[j, -3:] += 4
    steps = pd.date_range("2026-01-05", periods=n_steps, freq="W-MON")
    result = emerging_hotspots(grid, cube, steps, permutations=99)
    assert result.cells["pattern"].iloc[target] in {"new_hot", "consecutive_hot", "intensifying_hot"}
    assert result.cells["count"].iloc[target] == cube[target].sum()
    assert result.z.shape == (n_cells, n_steps)
    # cells far from it are mostly without pattern
    assert (result.cells["pattern"] == "no_pattern").mean() > 0.8
