"""An app instance's memory does not grow with the store: the page loaders keep no heap copy of the reports.

The reports the pages share are memory-mapped files (geo.store.mapped_reports); a filter is cached as row
positions; Accueil's figures are counted on the columns they need. Results are the ones of the whole-frame
computation they replace.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.analysis import overview
from geo.analysis.filtering import ReportFilter
from geo.settings import DATA_DIR
from geo.store.database import READ_COLUMNS, Store
from geo.store.mapped_reports import file_backed_columns
from geo.store.snapshot import load_reports
from geo.taxonomy import load_taxonomy

PAGE_COLUMNS = [c for c in READ_COLUMNS if c not in ("registre", "team")]


def whole_frame(url: str) -> pd.DataFrame:
    """The frame the pages read before: the snapshot loaded into the heap, registre added."""
    frame = load_reports(Store(url), columns=PAGE_COLUMNS, timezone="Europe/Paris")
    frame["registre"] = load_taxonomy(DATA_DIR / "taxonomy.json").current_registres(frame["category"]).astype(
        "category")
    return frame


def mask_filter(reports: pd.DataFrame, flt: ReportFilter) -> pd.DataFrame:
    """The boolean-mask filter the pages used before (reference)."""
    if flt.is_empty():
        return reports
    keep = pd.Series(True, index=reports.index)
    tz = reports["observed_at"].dt.tz
    if flt.start is not None:
        keep &= reports["observed_at"] >= pd.Timestamp(flt.start).tz_localize(tz)
    if flt.end is not None:
        keep &= reports["observed_at"] < (pd.Timestamp(flt.end) + pd.Timedelta(days=1)).tz_localize(tz)
    for column, values in (("registre", flt.registres), ("category", flt.categories), ("status", flt.statuses),
                           ("neighbourhood", flt.neighbourhoods)):
        if values:
            keep &= reports[column].isin(values)
    return reports[keep]


def filters() -> list[ReportFilter]:
    today = pd.Timestamp(dt.date.today())
    return [ReportFilter(), ReportFilter(start=today - pd.Timedelta(days=364), end=today),
            ReportFilter(start=today - pd.Timedelta(days=27), end=today, categories=("eclairage", "tags")),
            ReportFilter(registres=("veille_technique",), statuses=("nouveau",))]


def test_page_loaders_keep_no_heap_copy_of_the_reports(app, demo_db):
    from ui import loaders

    at = app("pages/carte.py")
    at.switch_page("pages/accueil.py").run()
    at.sidebar.selectbox(key="filtre_periode").set_value("7 derniers jours").run()
    at.switch_page("pages/carte.py").run()
    assert not at.exception
    flt = at.session_state["filtre_courant"]
    version = Store(demo_db).data_version()
    frame = loaders._reports(demo_db, version)  # the cached object the pages share
    backing = file_backed_columns(frame)
    # every column a mapped file but registre (1 byte per report, it follows the current taxonomy)
    assert {c for c, path in backing.items() if path is None} == {"registre"}, backing
    assert all(str(path).endswith(".npy") for c, path in backing.items() if c != "registre")
    kept = loaders._kept(demo_db, version, flt)  # what the filter's cache holds: positions, not a frame
    assert isinstance(kept, np.ndarray) and kept.dtype.kind == "i" and 0 < len(kept) < len(frame)
    assert loaders._kept(demo_db, version, ReportFilter()) is None
    assert loaders.filtered_reports(ReportFilter()) is frame  # no restriction: the shared frame itself


@pytest.mark.parametrize("which", range(4))
def test_page_figures_match_the_whole_frame_computation(demo_db, monkeypatch, which):
    from ui import loaders

    monkeypatch.setenv("VEILLE_DB_URL", demo_db)
    flt = filters()[which]
    full = whole_frame(demo_db)
    pd.testing.assert_frame_equal(loaders.filtered_reports(flt), mask_filter(full, flt))
    assert loaders.filtered_count(flt) == len(mask_filter(full, flt))
    tax = load_taxonomy(DATA_DIR / "taxonomy.json")
    degradations = [c.code for c in tax.categories.values() if c.kind == "degradation"]
    undated = ReportFilter(registres=flt.registres, categories=flt.categories, statuses=flt.statuses,
                           neighbourhoods=flt.neighbourhoods)
    today = dt.date.today()
    windows = overview.period_windows(today - dt.timedelta(days=27), today, tz="Europe/Paris")
    expected = overview.period_figures(mask_filter(full, undated), windows, open_statuses=tax.open_statuses,
                                       degradations=degradations)
    assert loaders.period_figures(windows, flt) == expected
    assert expected["this"].reports + expected["last"].reports > 0
    names = loaders.neighbourhood_names()
    pd.testing.assert_frame_equal(
        loaders.neighbourhood_changes(windows, flt),
        overview.neighbourhood_changes(mask_filter(full, undated), names, windows=windows))
    latest = mask_filter(full, flt).nlargest(10, "observed_at")
    shown = loaders.latest_reports(flt, limit=10)
    assert shown["Date"].tolist() == latest["observed_at"].dt.strftime("%d/%m/%Y %H:%M").tolist()
    assert shown["Gravité"].tolist() == latest["severity"].tolist()
    assert shown.index.tolist() == latest.index.tolist()


@pytest.mark.parametrize("which", range(4))
def test_trend_tables_match_the_whole_frame_computation(demo_db, monkeypatch, which):
    from geo.analysis.trends import complete_end, trends_report, weekday_hour
    from ui import loaders, trends

    monkeypatch.setenv("VEILLE_DB_URL", demo_db)
    flt = filters()[which]
    kept = mask_filter(whole_frame(demo_db), flt)
    for grouping, period in (("neighbourhood,category", "week"), ("category", "month")):
        expected = trends_report(kept, loaders.territory(), by=grouping.split(","), period=period,
                                 end=complete_end(kept))
        pd.testing.assert_frame_equal(trends.trend_report(flt, grouping, period), expected)
    pd.testing.assert_frame_equal(trends.weekday_hour_table(flt), weekday_hour(kept))


@pytest.mark.parametrize("which", range(4))
def test_explorer_map_matches_the_whole_frame_map(demo_db, monkeypatch, which):
    import re

    from geo.maps.assets import use_local_assets
    from geo.maps.explorer import build_map
    from ui import loaders, maps
    from ui.offline import register_assets

    monkeypatch.setenv("VEILLE_DB_URL", demo_db)
    flt = filters()[which]
    options = maps.MapOptions(max_points=300)
    kept = mask_filter(whole_frame(demo_db), flt)
    # the way the map was built before: descriptions of the newest as an object column of every kept report
    recent = kept.nlargest(options.max_points, "observed_at")
    details = loaders.report_details(recent["id"].tolist()).set_index("id")["description"]
    description = np.full(len(kept), None, dtype=object)
    description[kept.index.get_indexer(recent.index)] = recent["id"].map(details).to_numpy(dtype=object)
    expected = build_map(loaders.territory(), kept.assign(description=description), layers=options.layers,
                         measure=options.measure, basemap=options.basemap, labels=loaders.category_labels(),
                         status_labels=loaders.taxonomy().statuses, severity_labels=loaders.taxonomy().severities,
                         max_points=options.max_points, scheme=options.scheme)
    found = maps._explorer_map(demo_db, Store(demo_db).data_version(), flt, options)

    def html(fmap) -> str:  # element names are random: compare the rest
        return re.sub(r"_[0-9a-f]{32}", "_X", fmap.get_root().render())

    use_local_assets(expected, roots=register_assets())  # as the page does
    assert html(found) == html(expected)
