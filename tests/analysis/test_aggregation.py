"""Counts per neighbourhood, category and period, with rates per 1,000 inhabitants (geo.analysis.aggregation)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.analysis.aggregation import OUTSIDE, aggregate_reports, local_bounds, parse_group_keys, period_start
from tests.conftest import make_territory

TZ = "Europe/Paris"


def frame(rows: list[tuple[str, str | None, str]]) -> pd.DataFrame:
    """Reports from (local time, neighbourhood, category)."""
    return pd.DataFrame({
        "observed_at": pd.to_datetime([r[0] for r in rows]).tz_localize(TZ),
        "neighbourhood": pd.Series([r[1] for r in rows], dtype=object),
        "category": [r[2] for r in rows],
        "registre": ["veille_technique" if r[2] != "rodeo" else "presence_active" for r in rows],
    })


NEIGHBOURHOODS = make_territory()[["code", "name", "population"]]
REPORTS = frame([
    ("2026-03-02 10:00", "nord", "tags"),     # Monday, week 2026-03-02
    ("2026-03-08 23:30", "nord", "tags"),     # Sunday evening: still week 2026-03-02
    ("2026-03-09 00:30", "nord", "rodeo"),    # Monday 00:30 local (Sunday 23:30 UTC): week 2026-03-09
    ("2026-03-03 12:00", "sud", "tags"),
    ("2026-03-25 12:00", None, "tags"),       # outside the territory; week 2026-03-23
])


def test_by_neighbourhood_with_rates_and_zero_rows():
    table = aggregate_reports(REPORTS, NEIGHBOURHOODS, by=["neighbourhood"])
    assert table.to_dict("records") == [
        {"neighbourhood": OUTSIDE, "neighbourhood_name": "Hors territoire", "count": 1, "population": None,
         "rate_per_1000": None},
        {"neighbourhood": "nord", "neighbourhood_name": "Quartier Nord", "count": 3, "population": 2000,
         "rate_per_1000": 1.5},
        {"neighbourhood": "sud", "neighbourhood_name": "Quartier Sud", "count": 1, "population": 500,
         "rate_per_1000": 2.0},
    ]


def test_a_neighbourhood_without_reports_has_a_zero_row():
    table = aggregate_reports(REPORTS[REPORTS["neighbourhood"] == "nord"], NEIGHBOURHOODS, by=["neighbourhood"])
    assert table.set_index("neighbourhood")["count"].to_dict() == {"nord": 3, "sud": 0}
    assert table.set_index("neighbourhood").loc["sud", "rate_per_1000"] == 0


def test_by_neighbourhood_and_category_fills_every_pair():
    table = aggregate_reports(REPORTS, NEIGHBOURHOODS, by=["neighbourhood", "category"])
    counts = table.set_index(["neighbourhood", "category"])["count"].to_dict()
    assert counts == {(OUTSIDE, "rodeo"): 0, (OUTSIDE, "tags"): 1, ("nord", "rodeo"): 1, ("nord", "tags"): 2,
                      ("sud", "rodeo"): 0, ("sud", "tags"): 1}
    assert table["count"].sum() == len(REPORTS)
    assert table.set_index(["neighbourhood", "category"]).loc[("nord", "tags"), "rate_per_1000"] == 1.0


def test_by_neighbourhood_and_week_uses_local_mondays_and_fills_empty_weeks():
    table = aggregate_reports(REPORTS, NEIGHBOURHOODS, by=["neighbourhood", "week"])
    nord = table[table["neighbourhood"] == "nord"].set_index("week")["count"].to_dict()
    assert nord == {"2026-03-02": 2, "2026-03-09": 1, "2026-03-16": 0, "2026-03-23": 0}
    assert len(table) == 3 * 4


def test_by_month_and_registre():
    reports = frame([("2026-01-31 23:30", "nord", "tags"), ("2026-03-01 00:10", "sud", "rodeo")])
    table = aggregate_reports(reports, NEIGHBOURHOODS, by=["month", "registre"])
    assert table.to_dict("records") == [
        {"month": "2026-01-01", "registre": "presence_active", "count": 0},
        {"month": "2026-01-01", "registre": "veille_technique", "count": 1},
        {"month": "2026-02-01", "registre": "presence_active", "count": 0},
        {"month": "2026-02-01", "registre": "veille_technique", "count": 0},
        {"month": "2026-03-01", "registre": "presence_active", "count": 1},
        {"month": "2026-03-01", "registre": "veille_technique", "count": 0},
    ]


@pytest.mark.parametrize("by", [["neighbourhood"], ["neighbourhood", "category"], ["neighbourhood", "week"],
                                ["category", "month"], ["week"]])
def test_no_reports(by):
    table = aggregate_reports(REPORTS.iloc[:0], NEIGHBOURHOODS, by=by)
    assert table["count"].sum() == 0
    assert set(by) <= set(table.columns)
    if by == ["neighbourhood"]:
        assert list(table["neighbourhood"]) == ["nord", "sud"]


def test_without_population_the_rate_is_empty():
    neighbourhoods = NEIGHBOURHOODS.assign(population=pd.array([pd.NA, 0], dtype="Int64"))
    table = aggregate_reports(REPORTS, neighbourhoods, by=["neighbourhood"]).set_index("neighbourhood")
    assert table["rate_per_1000"].isna().all()
    assert table.loc["nord", "count"] == 3


def test_period_start():
    times = pd.Series(pd.to_datetime(["2026-03-08 23:59", "2026-03-09 00:00", "2026-02-28 12:00"]).tz_localize(TZ))
    assert period_start(times, "week").dt.strftime("%Y-%m-%d").tolist() == ["2026-03-02", "2026-03-09", "2026-02-23"]
    assert period_start(times, "month").dt.strftime("%Y-%m-%d").tolist() == ["2026-03-01", "2026-03-01", "2026-02-01"]


@pytest.mark.parametrize(("text", "keys"), [
    ("neighbourhood", ["neighbourhood"]), ("neighbourhood,category,week", ["neighbourhood", "category", "week"]),
    (" neighbourhood , month ", ["neighbourhood", "month"]),
])
def test_parse_group_keys(text, keys):
    assert parse_group_keys(text) == keys


@pytest.mark.parametrize("text", ["", "quartier", "neighbourhood,neighbourhood", "week,month", "neighbourhood,day"])
def test_parse_group_keys_refuses(text):
    with pytest.raises(ValueError, match="--by was"):
        parse_group_keys(text)


def test_local_bounds_are_inclusive_local_days():
    lo, hi = local_bounds("2026-03-01", "2026-03-31", timezone=TZ)
    assert lo == pd.Timestamp("2026-02-28T23:00Z")
    assert hi == pd.Timestamp("2026-03-31T22:00Z")  # 1 April 00:00 in summer time
    assert local_bounds(None, None, timezone=TZ) == (None, None)
    with pytest.raises(ValueError, match="--to"):
        local_bounds("2026-03-02", "2026-03-01", timezone=TZ)
