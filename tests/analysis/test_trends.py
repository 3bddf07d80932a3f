"""Trends: Mann-Kendall per group, the Poisson rate test, period comparisons, weekday × hour."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall
import pytest
from scipy import stats

from geo.analysis.trends import (
    complete_end,
    parse_trend_keys,
    period_comparisons,
    poisson_rate_test,
    trend_series,
    trend_table,
    trends_report,
    weekday_hour,
)
from tests.conftest import make_territory

TZ = "Europe/Paris"


def _reports(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame({
        "observed_at": pd.to_datetime([r[0] for r in rows]).tz_localize(TZ),
        "neighbourhood": [r[1] for r in rows], "category": [r[2] for r in rows],
    })


def _weekly(counts: dict[tuple[str, str], list[int]], start: str = "2026-01-05") -> pd.DataFrame:
    rows = []
    for (quartier, category), values in counts.items():
        for week, n in enumerate(values):
            day = pd.Timestamp(start) + pd.Timedelta(weeks=week, hours=10)
            rows += [(str(day), quartier, category)] * n
    return _reports(rows)


def test_trend_table_matches_pymannkendall_and_sorts_by_strength():
    rng = np.random.default_rng(0)
    rising = [int(v) for v in np.arange(20) // 2 + rng.poisson(1, 20)]
    flat = [int(v) for v in rng.poisson(3, 20)]
    reports = _weekly({("nord", "tags"): rising, ("sud", "tags"): flat, ("sud", "voirie"): flat[::-1]})
    end = pd.Timestamp("2026-01-05", tz=TZ) + pd.Timedelta(weeks=20)  # the 20 weeks are complete
    series = trend_series(reports, make_territory(), by=["neighbourhood", "category"], period="week", end=end)
    table = trend_table(series, by=["neighbourhood", "category"], period="week")
    top = table.iloc[0]
    assert (top["neighbourhood"], top["category"], top["direction"]) == ("nord", "tags", "increasing")
    ref = pymannkendall.original_test(np.array(rising, dtype=float))
    assert top["tau"] == pytest.approx(ref.Tau, abs=1e-4) and top["p"] == pytest.approx(ref.p, abs=1e-6)
    assert top["sen_slope"] == pytest.approx(ref.slope, abs=1e-4) and bool(top["significant"])
    assert top["periods"] == 20 and top["total"] == sum(rising)
    assert top["neighbourhood_name"] == "Quartier Nord"
    # zeros are filled in: nord x voirie exists with no report and no trend
    empty = table[(table["neighbourhood"] == "nord") & (table["category"] == "voirie")].iloc[0]
    assert empty["total"] == 0 and empty["direction"] == "no_trend"
    assert list(table["significant"]) == sorted(table["significant"], reverse=True)


def test_partial_last_period_is_left_out():
    reports = _weekly({("nord", "tags"): [3, 3, 3, 3]})
    # the data end on a Wednesday: the week still running is not a complete period
    end = pd.Timestamp("2026-01-28", tz=TZ)
    series = trend_series(reports, make_territory(), by=["neighbourhood"], period="week", end=end)
    assert sorted(series["week"].dt.strftime("%Y-%m-%d").unique()) == ["2026-01-05", "2026-01-12", "2026-01-19"]


def test_poisson_rate_test_is_the_conditional_binomial_test():
    assert poisson_rate_test(0, 0) == 1.0
    assert poisson_rate_test(10, 10) == pytest.approx(1.0)
    assert poisson_rate_test(30, 10) == pytest.approx(stats.binomtest(30, 40, 0.5).pvalue)
    assert poisson_rate_test(30, 10) < 0.01 < poisson_rate_test(12, 8)
    # by hand: 5 against 0 -> 2 * 0.5^5
    assert poisson_rate_test(5, 0) == pytest.approx(2 * 0.5 ** 5)


def test_period_comparisons_windows():
    rows = [("2026-03-20 10:00", "nord", "tags")] * 9 + [("2026-02-20 10:00", "nord", "tags")] * 2
    rows += [("2025-03-10 10:00", "nord", "tags")] * 1 + [("2026-03-10 10:00", "sud", "tags")] * 3
    reports = _reports(rows)
    end = pd.Timestamp("2026-03-29", tz=TZ)  # the last 4 weeks are 1–28 March
    table = period_comparisons(reports, by=["neighbourhood"], end=end).set_index("neighbourhood")
    assert table.loc["nord", ["last_4_weeks", "previous_4_weeks"]].tolist() == [9, 2]
    assert table.loc["nord", "p_4_weeks"] == pytest.approx(poisson_rate_test(9, 2), abs=1e-6)
    assert table.loc["nord", ["month_to_date", "same_month_last_year"]].tolist() == [9, 1]
    assert table.loc["sud", ["last_4_weeks", "previous_4_weeks", "month_to_date"]].tolist() == [3, 0, 3]


def test_weekday_hour_table():
    reports = _reports([("2026-03-02 09:30", "nord", "tags"), ("2026-03-02 09:59", "nord", "tags"),
                        ("2026-03-08 23:10", "sud", "tags")])  # a Monday and a Sunday
    table = weekday_hour(reports)
    assert table.shape == (7, 24) and table.to_numpy().sum() == 3
    assert table.loc["lundi", "9h"] == 2 and table.loc["dimanche", "23h"] == 1


def test_trends_report_joins_both_and_checks_options():
    reports = _weekly({("nord", "tags"): list(range(12))})
    assert complete_end(reports) == pd.Timestamp("2026-03-24", tz=TZ)  # the day after the last report
    table = trends_report(reports, make_territory(), by=["neighbourhood"], period="week",
                          end=complete_end(reports))
    assert {"direction", "tau", "p", "p_fdr", "sen_slope", "last_4_weeks", "p_4_weeks", "p_year"} <= set(table)
    assert table.set_index("neighbourhood").loc["nord", "direction"] == "increasing"
    with pytest.raises(ValueError, match="attend neighbourhood"):
        parse_trend_keys("neighbourhood,week")
    with pytest.raises(ValueError, match="week ou month"):
        trends_report(reports, make_territory(), by=["neighbourhood"], period="day", end=complete_end(reports))
