"""Period comparisons and the weekday x hour table counted on integer codes equal the pandas code they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.analysis.trends import WEEKDAYS_FR, complete_end, period_comparisons, poisson_rate_test, weekday_hour


def text_group_by(reports: pd.DataFrame, *, by: list[str], end: pd.Timestamp) -> pd.DataFrame:
    """Reference: the group-by on a text copy of the keys of every report (the code before)."""
    times = reports["observed_at"]
    four = pd.Timedelta(weeks=4)
    month_start = (end - pd.Timedelta(seconds=1)).normalize().replace(day=1)
    year = pd.DateOffset(years=1)
    windows = {"last_4_weeks": (end - four, end), "previous_4_weeks": (end - 2 * four, end - four),
               "month_to_date": (month_start, end), "same_month_last_year": (month_start - year, end - year)}
    keys = reports[by].astype(object).where(reports[by].notna(), "hors_territoire")
    frame = pd.DataFrame({k: keys[k] for k in by})
    for name, (lo, hi) in windows.items():
        frame[name] = ((times >= lo) & (times < hi)).astype(np.int64)
    table = frame.groupby(by, sort=True)[list(windows)].sum().reset_index()
    table.insert(table.columns.get_loc("previous_4_weeks") + 1, "p_4_weeks", [
        round(poisson_rate_test(a, b), 6) for a, b in zip(table["last_4_weeks"], table["previous_4_weeks"],
                                                          strict=True)])
    table["p_year"] = [round(poisson_rate_test(a, b), 6)
                       for a, b in zip(table["month_to_date"], table["same_month_last_year"], strict=True)]
    return table


def reports(n: int = 20_000, *, categorical: bool) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    seconds = 1_735_689_600 + rng.integers(0, 700 * 86_400, n)
    quartier = rng.choice(["Z-nord", "centre", "a-sud", None], n, p=[.3, .3, .35, .05])
    category = rng.choice(["tags", "eclairage", "depot", "rodeo"], n)
    frame = pd.DataFrame({"observed_at": pd.to_datetime(seconds, unit="s", utc=True).tz_convert("Europe/Paris"),
                          "neighbourhood": quartier, "category": category})
    if categorical:  # as the pages' frame: categories unsorted, one never used
        frame["neighbourhood"] = pd.Categorical(quartier, categories=["centre", "Z-nord", "a-sud", "vide"])
        frame["category"] = pd.Categorical(category, categories=["tags", "rodeo", "eclairage", "depot"])
    return frame


@pytest.mark.parametrize("categorical", [True, False])
@pytest.mark.parametrize("by", [["neighbourhood", "category"], ["neighbourhood"], ["category"]])
def test_codes_give_the_text_group_by(categorical, by):
    frame = reports(categorical=categorical)
    end = complete_end(frame)
    found = period_comparisons(frame, by=by, end=end)
    pd.testing.assert_frame_equal(found, text_group_by(frame, by=by, end=end))
    assert found["last_4_weeks"].sum() > 0
    if "neighbourhood" in by:
        assert "hors_territoire" in set(found["neighbourhood"]) and "vide" not in set(found["neighbourhood"])


def crosstab_weekday_hour(reports: pd.DataFrame) -> pd.DataFrame:
    """Reference: the cross-tabulation of every report's local weekday and hour (the code before)."""
    times = reports["observed_at"]
    counts = pd.crosstab(times.dt.day_of_week, times.dt.hour) if len(times) else pd.DataFrame()
    table = counts.reindex(index=range(7), columns=range(24), fill_value=0).fillna(0).astype(np.int64)
    table.index = pd.Index(WEEKDAYS_FR, name="jour")
    table.columns = pd.Index([f"{h}h" for h in range(24)], name="heure")
    return table


@pytest.mark.parametrize("tz", ["Europe/Paris", "UTC", "America/Los_Angeles"])
@pytest.mark.parametrize("n", [0, 3, 50_000])
def test_weekday_hour_counts_give_the_crosstab(tz, n):
    seconds = np.random.default_rng(n).integers(-10**8, 2 * 10**9, n)  # before 1970 too
    frame = pd.DataFrame({"observed_at": pd.to_datetime(seconds, unit="s", utc=True).tz_convert(tz)})
    found = weekday_hour(frame)
    pd.testing.assert_frame_equal(found, crosstab_weekday_hour(frame))
    assert int(found.to_numpy().sum()) == n
