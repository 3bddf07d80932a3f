import datetime as dt

import pandas as pd
import pytest

from geo.analysis.filtering import ReportFilter, apply_filter
from geo.analysis.overview import neighbourhood_changes, period_figures, period_windows, week_figures

NOW = pd.Timestamp("2026-11-25 12:00", tz="Europe/Paris")


def frame(rows):
    return pd.DataFrame(rows, columns=["observed_at", "status", "category", "neighbourhood", "registre"])


def at(days_ago: float) -> pd.Timestamp:
    return NOW - pd.Timedelta(days=days_ago)


def test_week_figures_count_each_window():
    reports = frame([
        (at(1), "nouveau", "eclairage", "a", "veille_technique"),   # this week, open degradation
        (at(2), "resolu", "tags", "a", "veille_technique"),         # this week, closed
        (at(3), "nouveau", "incivilite", "b", "presence_active"),  # this week, open, not a degradation
        (at(9), "nouveau", "voirie", "b", "veille_technique"),      # last week, open degradation
        (at(20), "transmis", "voirie", "b", "veille_technique"),    # old and waiting
        (at(366), "nouveau", "tags", "a", "veille_technique"),      # same week last year
    ])
    figs = week_figures(reports, now=NOW, open_statuses={"nouveau", "transmis"},
                        degradations={"eclairage", "tags", "voirie"})
    assert (figs["this"].reports, figs["this"].open_degradations) == (3, 1)
    assert (figs["last"].reports, figs["last"].open_degradations) == (1, 1)
    assert figs["year"].reports == 1
    # waiting > 10 days at the end of this window: observed 20 and 366 days ago, still open
    assert figs["this"].waiting == 2
    # at the end of last week (7 days ago): the 20-day-old one had waited 13 days, the 366 one too
    assert figs["last"].waiting == 2


def test_neighbourhood_changes_sorted_by_absolute_change():
    reports = frame(
        [(at(1), "nouveau", "tags", "a", "x")] * 5
        + [(at(8), "nouveau", "tags", "a", "x")] * 1
        + [(at(8), "nouveau", "tags", "b", "x")] * 7
        + [(at(2), "nouveau", "tags", None, "x")] * 1
    )
    names = pd.Series({"a": "Alpha", "b": "Bêta"})
    table = neighbourhood_changes(reports, names, now=NOW)
    assert table["neighbourhood"].tolist()[:2] == ["b", "a"]
    assert table.set_index("neighbourhood").loc["b", "change"] == -7
    assert table.set_index("neighbourhood").loc["a", "change"] == 4
    assert table.set_index("neighbourhood").loc["a", "name"] == "Alpha"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (ReportFilter(), 4),
        (ReportFilter(categories=("tags",)), 2),
        (ReportFilter(registres=("presence_active",)), 1),
        (ReportFilter(statuses=("resolu",)), 1),
        (ReportFilter(neighbourhoods=("b",)), 2),
        (ReportFilter(start=pd.Timestamp("2026-11-24"), end=pd.Timestamp("2026-11-24")), 1),
        (ReportFilter(start=pd.Timestamp("2026-11-20")), 3),
    ],
)
def test_apply_filter(flt, expected):
    reports = frame([
        (at(1), "nouveau", "tags", "a", "veille_technique"),
        (at(2), "resolu", "tags", "b", "veille_technique"),
        (at(3), "nouveau", "incivilite", "b", "presence_active"),
        (at(30), "nouveau", "voirie", "a", "veille_technique"),
    ])
    assert len(apply_filter(reports, flt)) == expected


def test_period_windows_have_the_same_length_before_and_a_year_earlier():
    windows = period_windows(dt.date(2026, 11, 1), dt.date(2026, 11, 28), tz="Europe/Paris")
    assert windows.days == 28
    paris = "Europe/Paris"
    assert windows.this == (pd.Timestamp("2026-11-01", tz=paris), pd.Timestamp("2026-11-29", tz=paris))
    # 28 calendar days before, from midnight to midnight across the October time change
    assert windows.before == (pd.Timestamp("2026-10-04", tz=paris), windows.this[0])
    assert windows.year[0] == windows.this[0] - pd.Timedelta(days=364)  # same weekdays
    with pytest.raises(ValueError, match="expected to end on or after"):
        period_windows(dt.date(2026, 11, 2), dt.date(2026, 11, 1), tz="Europe/Paris")


def test_period_figures_count_the_chosen_days_the_days_before_and_a_year_earlier():
    windows = period_windows(dt.date(2026, 11, 11), dt.date(2026, 11, 20), tz="Europe/Paris")  # 10 days
    reports = frame([
        (pd.Timestamp("2026-11-11 00:00", tz="Europe/Paris"), "nouveau", "tags", "a", "x"),  # first minute: in
        (pd.Timestamp("2026-11-20 23:59", tz="Europe/Paris"), "resolu", "tags", "a", "x"),  # last minute: in
        (pd.Timestamp("2026-11-21 00:00", tz="Europe/Paris"), "nouveau", "tags", "a", "x"),  # next day: out
        (pd.Timestamp("2026-11-01 08:00", tz="Europe/Paris"), "nouveau", "tags", "b", "x"),  # the 10 days before
        (pd.Timestamp("2025-11-15 08:00", tz="Europe/Paris"), "nouveau", "tags", "b", "x"),  # a year earlier
    ])
    figs = period_figures(reports, windows, open_statuses={"nouveau"}, degradations={"tags"})
    assert (figs["this"].reports, figs["last"].reports, figs["year"].reports) == (2, 1, 1)
    assert figs["this"].open_degradations == 1
    table = neighbourhood_changes(reports, pd.Series({"a": "Alpha", "b": "Bêta"}), windows=windows)
    assert table.set_index("neighbourhood")[["this_week", "last_week"]].to_dict("index") == {
        "a": {"this_week": 2, "last_week": 0}, "b": {"this_week": 0, "last_week": 1}}
