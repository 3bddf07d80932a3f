"""The three aggregation paths of bench/scale.py agree: in process, PostgreSQL GROUP BY, PostGIS spatial join."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.analysis.aggregation import OUTSIDE, aggregate_reports
from geo.analysis.database_counts import (
    counts_by_spatial_join,
    counts_by_stored_column,
    counts_in_process,
    same_counts,
)
from geo.demo.build import build_demo_store
from geo.store.database import Store
from geo.store.snapshot import load_reports

BY = ["neighbourhood", "category", "week"]


@pytest.fixture
def demo_store(db_url: str, backend: str, taxonomy) -> Store:
    if backend != "postgresql":
        pytest.skip("the database counts are PostgreSQL's and PostGIS's")
    store = Store(db_url)
    build_demo_store(store, taxonomy=taxonomy, reports=5_000, end=pd.Timestamp("2026-06-30", tz="Europe/Paris"))
    return store


def test_in_process_group_by_and_spatial_join_give_the_same_counts(demo_store):
    reports = load_reports(demo_store, columns=["observed_at", "neighbourhood", "category"])
    ours = counts_in_process(aggregate_reports(reports, demo_store.neighbourhood_table(), by=BY))
    with demo_store.engine.connect() as conn:
        stored = counts_by_stored_column(conn)
        spatial = counts_by_spatial_join(conn)
    total = demo_store.count_reports()
    assert total == 5_000 and ours["count"].sum() == total
    outside = int(ours.loc[ours["neighbourhood"] == OUTSIDE, "count"].sum())
    assert 0 < outside < total  # the demo puts a ring of reports just outside the territory
    assert ours["neighbourhood"].nunique() > 5 and ours["week"].nunique() > 4
    assert same_counts(stored, ours)
    assert same_counts(spatial, ours[ours["neighbourhood"] != OUTSIDE])  # the join has no row for those


def test_a_different_count_is_told_apart(demo_store):
    reports = load_reports(demo_store, columns=["observed_at", "neighbourhood", "category"])
    ours = counts_in_process(aggregate_reports(reports, demo_store.neighbourhood_table(), by=BY))
    with demo_store.engine.connect() as conn:
        stored = counts_by_stored_column(conn)
    changed = stored.copy()
    changed.loc[0, "count"] += 1
    assert not same_counts(changed, ours)
    assert not same_counts(stored.iloc[1:], ours)
