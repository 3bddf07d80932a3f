"""The CLI finds the patterns planted in the demo data, knowing nothing of where they are.

Only the assertions read :data:`geo.demo.reports.PLANTED_PATTERNS`, to check what the commands found.
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.demo.build import build_demo_store
from geo.demo.reports import PLANTED_PATTERNS
from geo.store.database import Store
from tests.commandline import run

END = pd.Timestamp("2026-03-02 00:00", tz="Europe/Paris")  # a Monday: weeks end complete


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, taxonomy) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    build_demo_store(Store(url), taxonomy=taxonomy, reports=20_000, seed=42, end=END)
    return url


def _cell_at(path, pattern: str) -> pd.Series:
    cells = gpd.read_file(path)
    p = PLANTED_PATTERNS[pattern]
    hit = cells[cells.contains(Point(p.lon, p.lat))]
    assert len(hit) == 1
    return hit.iloc[0]


def test_hotspots_finds_the_persistent_hotspot(demo_db, capsys, tmp_path):
    out_file = tmp_path / "chauds.geojson"
    code, _out, err = run(capsys, "--db", demo_db, "hotspots", "--out", out_file)
    assert code == 0, err
    assert _cell_at(out_file, "persistent_hotspot")["class"] == "hot_99"


def test_emerging_month_finds_the_persistent_hotspot(demo_db, capsys, tmp_path):
    out_file = tmp_path / "emergents.geojson"
    code, out, err = run(capsys, "--db", demo_db, "emerging", "--period", "month", "--to", "2026-02-28",
                         "--out", out_file)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["last_step"] == "2026-02-01" and summary["steps"] >= 24
    assert _cell_at(out_file, "persistent_hotspot")["pattern"] == "persistent_hot"


def test_emerging_week_finds_the_emerging_hotspot(demo_db, capsys, tmp_path):
    out_file = tmp_path / "semaines.geojson"
    code, out, err = run(capsys, "--db", demo_db, "emerging", "--period", "week", "--steps", "26",
                         "--out", out_file)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["steps"] == 26 and summary["last_step"] == "2026-02-23"
    cell = _cell_at(out_file, "emerging_hotspot")
    assert cell["pattern"] in {"new_hot", "consecutive_hot", "intensifying_hot"}
    assert summary["patterns"][cell["pattern"]] >= 1


def test_trends_find_the_rise_and_the_spike(demo_db, capsys):
    code, out, err = run(capsys, "--db", demo_db, "trends", "--by", "neighbourhood,category", "--period", "week")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    rise = PLANTED_PATTERNS["rise"]
    row = table[(table["neighbourhood"] == rise.quartier) & (table["category"] == rise.category)].iloc[0]
    assert row["direction"] == "increasing" and bool(row["significant"])
    assert row.name == 0  # the strongest significant trend comes first
    summary = json.loads(err.strip().splitlines()[-1])
    assert summary["increasing"] >= 1
    spike = PLANTED_PATTERNS["spike"]
    ranked = table.sort_values("p_4_weeks")
    rising = ranked[(ranked["last_4_weeks"] > ranked["previous_4_weeks"]) & (ranked["p_4_weeks"] < 0.001)]
    found = set(zip(rising["neighbourhood"], rising["category"], strict=True))
    emerging = PLANTED_PATTERNS["emerging_hotspot"]
    # the spike, and the emerging hot spot's tags, are the only 4-week rises beyond noise
    assert found == {(spike.quartier, spike.category), (emerging.quartier, emerging.category)}

    code, out, err = run(capsys, "--db", demo_db, "trends", "--by", "neighbourhood,category", "--period", "month",
                         "--format", "json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    rows = pd.DataFrame(result["rows"])
    month = rows[(rows["neighbourhood"] == rise.quartier) & (rows["category"] == rise.category)].iloc[0]
    assert month["direction"] == "increasing" and month["significant"]
    assert list(result["weekday_hour"]) == ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
                                            "dimanche"]
