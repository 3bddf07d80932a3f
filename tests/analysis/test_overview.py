import pandas as pd
import pytest

from geo.analysis.filtering import ReportFilter, apply_filter
from geo.analysis.overview import neighbourhood_changes, week_figures

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
