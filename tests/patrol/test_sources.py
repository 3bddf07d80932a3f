"""Targets from the store's analyses: hot-spot cells (geo.analysis.hotspots) on the demo store."""

import json

import pandas as pd
import pytest
from shapely.geometry import Point

from geo.cli.main import main
from geo.demo.build import build_demo_store
from geo.patrol.sources import hotspot_targets
from geo.settings import load_settings
from geo.store.database import Store

pytest.importorskip("geo.analysis.hotspots")

END = pd.Timestamp("2026-12-04 14:00", tz="Europe/Paris")


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory, taxonomy):
    url = f"sqlite:///{tmp_path_factory.mktemp('hot') / 'demo.sqlite'}"
    build_demo_store(Store(url), taxonomy=taxonomy, reports=5_000, seed=7, end=END)
    return url


def test_hot_cells_of_the_demo_become_targets_inside_the_territory(demo_url):
    store = Store(demo_url)
    targets = hotspot_targets(store, settings=load_settings(db_url=demo_url), now=END.to_pydatetime())
    assert targets, "the demo plants a persistent hot spot"
    assert all(t.kind == "point_chaud" and t.priority in (3.0, 4.0, 5.0) for t in targets)
    assert [t.priority for t in targets] == sorted((t.priority for t in targets), reverse=True)
    territory = store.load_territory().union_all()
    assert all(territory.buffer(1e-4).contains(Point(t.lon, t.lat)) for t in targets)
    assert all("point chaud (Gi*, confiance" in t.reason for t in targets)


def test_patrol_from_hotspots_command(demo_url, tmp_path, capsys):
    code = main(["--db", demo_url, "patrol", "--teams", "2", "--shift-minutes", "120", "--start",
                 "47.3220,5.0415", "--at", "2026-12-04T14:00", "--from-hotspots", "--time-limit", "1",
                 "--out", str(tmp_path / "p.geojson")])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["visited"] >= 1
    doc = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))
    stops = [f["properties"] for f in doc["features"]
             if f["geometry"]["type"] == "Point" and not f["properties"].get("dropped")]
    assert stops and all(s["kind"] == "point_chaud" for s in stops)
