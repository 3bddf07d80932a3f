"""The demo's follow-up: statuses, histories and partners drawn, consistent with the lifecycle rules."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.demo.build import build_demo_store
from geo.store.database import Store
from geo.workflow.lifecycle import TRANSITIONS, read_history
from geo.workflow.queue import list_reports
from geo.workflow.routing import missing_routes

END = pd.Timestamp("2026-06-01T00:00", tz="Europe/Paris")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, taxonomy):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}")
    build_demo_store(store, taxonomy=taxonomy, reports=4_000, seed=3, end=END)
    return store


def test_demo_statuses_follow_from_histories(demo, taxonomy):
    reports = list_reports(demo, now=END)
    history = read_history(demo)
    assert missing_routes(demo, taxonomy).empty
    counts = reports["status"].value_counts()
    assert set(counts.index) >= {"nouveau", "transmis", "pris_en_charge", "resolu", "clos_sans_suite", "doublon"}
    last = history.groupby("report_id").tail(1).set_index("report_id")["to_status"]
    status = reports.set_index("id")["status"]
    changed = status[status != "nouveau"]
    assert (last.reindex(changed.index) == changed).all()
    assert set(status[status == "nouveau"].index).isdisjoint(last.index)
    # every step is an allowed transition, in time order, after the observation and before the end
    for rid, steps in history.groupby("report_id"):
        previous = "nouveau"
        for row in steps.itertuples():
            assert row.from_status == previous and row.to_status in TRANSITIONS[previous], rid
            previous = row.to_status
        assert steps["changed_at"].is_monotonic_increasing
    observed = reports.set_index("id")["observed_at"].dt.tz_convert("UTC")
    assert (history["changed_at"].to_numpy() >= observed.reindex(history["report_id"]).to_numpy()).all()
    assert (history["changed_at"] < END).all()
    relayed = reports[reports["status"].isin(["transmis", "pris_en_charge"])]
    assert relayed["partner"].notna().all()
    duplicates = reports[reports["status"] == "doublon"]
    assert duplicates["duplicate_of"].notna().all()
    assert reports["overdue"].any() and not reports["overdue"].all()


def test_demo_bilan_follows_from_the_demo_data(demo, taxonomy):
    from geo.workflow.activity import compute_activity

    start = pd.Timestamp("2026-01-01", tz="Europe/Paris")
    activity = compute_activity(demo, start=start, end=END, by="partner", taxonomy=taxonomy)
    reports = list_reports(demo, now=END)
    period = reports[(reports["observed_at"] >= start) & (reports["observed_at"] < END)]
    assert activity.total["reports"] == len(period)
    # the period ends at the demo's end: every history entry is before it, so the current statuses are the end's
    assert activity.total["resolved"] == int((period["status"] == "resolu").sum())
    history = read_history(demo, period["id"].tolist())
    assert activity.total["relayed"] == history.loc[history["to_status"] == "transmis", "report_id"].nunique()
    assert activity.table["reports"].sum() == len(period)
    assert 0 < activity.total["overdue_share"] < 1
