"""Probable duplicates searched by blocks of time give the pairs one search over each whole category gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from geo.workflow import duplicates
from geo.workflow.duplicates import suggest_duplicates
from geo.workflow.lifecycle import CLOSED_STATUSES


def whole_category_search(frame: pd.DataFrame, distance_m: float, hours: float) -> pd.DataFrame:
    """Reference: the search before blocks (every pair of a category at once), on ``id, t, lat, lon, ...``."""
    found = []
    for category, group in frame.groupby("category", sort=True):
        x, y = duplicates._TO_L93.transform(group["lon"].to_numpy(float), group["lat"].to_numpy(float))
        xy = np.column_stack([x, y])
        pairs = cKDTree(xy).query_pairs(r=distance_m, output_type="ndarray")
        if not len(pairs):
            continue
        t, ids = group["t"].to_numpy("int64"), group["id"].to_numpy(object)
        open_ = ~group["status"].isin(list(CLOSED_STATUSES)).to_numpy()
        a, b = pairs[:, 0], pairs[:, 1]
        later, earlier = np.where(t[a] >= t[b], a, b), np.where(t[a] >= t[b], b, a)
        gap = np.abs(t[a] - t[b]) / 3600.0
        keep = (gap <= hours) & open_[later] & (ids[later] != ids[earlier])
        dist = np.hypot(*(xy[later] - xy[earlier]).T)
        for i, j, d, g in zip(later[keep], earlier[keep], dist[keep], gap[keep], strict=True):
            found.append((ids[i], ids[j], category, round(float(d), 1), round(float(g), 2)))
    result = pd.DataFrame(found, columns=list(duplicates.SUGGESTION_COLUMNS))
    return result.sort_values(["report_id", "distance_m", "hours_apart", "original_id"]).drop_duplicates(
        "report_id").reset_index(drop=True)


def dense_reports(n: int, seed: int) -> pd.DataFrame:
    """Reports packed in a small area over a few weeks: many pairs in space, fewer in time."""
    rng = np.random.default_rng(seed)
    t = 1_767_225_600 + rng.integers(0, 30 * 86_400, n)
    t[: n // 10] = t[n // 10: 2 * (n // 10)]  # equal times too
    return pd.DataFrame({
        "id": [f"r{i:05d}" for i in range(n)],
        "observed_at": pd.to_datetime(t, unit="s", utc=True).tz_convert("Europe/Paris").as_unit("us"),
        "lat": 48.85 + rng.random(n) * 0.004, "lon": 2.35 + rng.random(n) * 0.006,
        "category": pd.Categorical(rng.choice(["tags", "eclairage", "depot"], n)),
        "status": pd.Categorical(rng.choice(["nouveau", "transmis", "clos", "doublon"], n, p=[.5, .2, .2, .1])),
    })


@pytest.mark.parametrize(("distance_m", "hours"), [(50.0, 72.0), (120.0, 24.0), (30.0, 720.0)])
def test_blocks_give_the_whole_category_pairs(monkeypatch, distance_m, hours):
    reports = dense_reports(4_000, seed=int(distance_m))
    frame = reports[reports["status"] != "doublon"]
    frame = pd.DataFrame({"id": frame["id"].to_numpy(object), "t": frame["observed_at"].array.as_unit("s").asi8,
                          "lat": frame["lat"], "lon": frame["lon"], "category": frame["category"].astype(str),
                          "status": frame["status"].astype(str)})
    expected = whole_category_search(frame, distance_m, hours)
    assert len(expected) > 50
    monkeypatch.setattr(duplicates, "_BLOCK", 97)  # many blocks, each with candidates from the blocks before
    monkeypatch.setattr(duplicates, "_MIN_BLOCK", 1)  # blocks of about ``hours`` too
    found = suggest_duplicates(None, distance_m=distance_m, hours=hours, reports=reports)
    found = found.sort_values(["report_id"]).reset_index(drop=True)
    # the same reports, with the same nearest distance and gap (an original among exact ties may differ)
    pd.testing.assert_frame_equal(found.drop(columns="original_id"), expected.drop(columns="original_id"))
    same = found["original_id"] == expected["original_id"]
    assert same.mean() > 0.95


def test_pairs_never_close_enough_in_time_give_no_suggestion():
    reports = dense_reports(500, seed=5)
    reports["status"] = pd.Categorical(["nouveau"] * len(reports))
    reports["observed_at"] = reports["observed_at"].iloc[0] + pd.to_timedelta(np.arange(len(reports)) * 10, unit="D")
    found = suggest_duplicates(None, distance_m=50.0, hours=1.0, reports=reports)  # pairs in space, none in time
    assert found.empty and list(found.columns) == list(duplicates.SUGGESTION_COLUMNS)
