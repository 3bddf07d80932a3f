"""``python -m geo hotspots`` on a territory that is not Dijon, loaded with ``geo territory``."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from geo.cli.main import main
from tests.commandline import run


@pytest.fixture
def rennes_store(tmp_path, capsys) -> tuple[str, tuple[float, float]]:
    """A store with 3 x 3 hand-made squares around Rennes and reports imported as a CSV, one cluster planted."""
    db = f"sqlite:///{tmp_path / 'rennes.sqlite'}"
    squares = [box(-1.70 + 0.01 * i, 48.10 + 0.01 * j, -1.69 + 0.01 * i, 48.11 + 0.01 * j)
               for i in range(3) for j in range(3)]
    territory = gpd.GeoDataFrame({"code": [f"c{k}" for k in range(9)], "nom": [f"Carré {k}" for k in range(9)],
                                  "habitants": 1000}, geometry=squares, crs=4326)
    path = tmp_path / "carres.geojson"
    territory.to_file(path)
    code, _, err = run(capsys, "--db", db, "territory", path, "--code", "code", "--name", "nom",
                         "--population", "habitants")
    assert code == 0, err
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(48.10, 48.13, 1200), rng.uniform(-1.70, -1.67, 1200)
    cluster = (48.115, -1.685)
    lat = np.r_[lat, rng.normal(cluster[0], 0.0006, 120)]
    lon = np.r_[lon, rng.normal(cluster[1], 0.0009, 120)]
    days = rng.integers(1, 28, lat.size)
    rows = [f"2026-02-{d:02d};tags;{a:.6f};{b:.6f}" for d, a, b in zip(days, lat, lon, strict=True)]
    csv = tmp_path / "signalements.csv"
    csv.write_text("date;categorie;latitude;longitude\n" + "\n".join(rows) + "\n", encoding="utf-8")
    code, _out, err = run(capsys, "--db", db, "import", csv)
    assert code == 0, err
    return db, cluster


def test_hotspots_cli_on_another_territory(rennes_store, capsys, tmp_path):
    db, cluster = rennes_store
    out_file = tmp_path / "chauds.geojson"
    code, out, err = run(capsys, "--db", db, "hotspots", "--out", out_file, "--permutations", "199")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert {"cells", "hot", "cold", "cell_size_m"} <= set(summary)
    cells = gpd.read_file(out_file)
    assert len(cells) == summary["cells"] and cells.crs.to_epsg() == 4326
    assert {"count", "z", "p", "p_fdr", "class"} <= set(cells.columns)
    assert (cells["count"] == 0).any()  # empty cells inside the territory are kept
    assert cells["count"].sum() == summary["reports"] >= 1300
    hit = cells[cells.contains(Point(cluster[1], cluster[0]))]
    assert hit["class"].iloc[0] == "hot_99"
    assert summary["hot"] == int(cells["class"].str.startswith("hot").sum()) >= 1


def test_hotspots_cli_options(rennes_store, capsys, tmp_path):
    db, _cluster = rennes_store
    out_file = tmp_path / "h3.geojson"
    code, out, err = run(capsys, "--db", db, "hotspots", "--h3-res", "9", "--permutations", "99",
                         "--from", "2026-02-01", "--to", "2026-02-28", "--category", "tags", "--out", out_file)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["h3_res"] == 9 and summary["grid"] == "h3"
    code, out, err = run(capsys, "--db", db, "hotspots", "--cell-size", "120", "--permutations", "99",
                         "--out", out_file)
    assert json.loads(out.strip().splitlines()[-1])["cell_size_m"] == 120
    # too few reports: a French message, exit 2, no file written
    missing = tmp_path / "rien.geojson"
    code, out, err = run(capsys, "--db", db, "hotspots", "--category", "rodeo", "--out", missing)
    assert code == 2 and "au moins 30 signalements" in err and not missing.exists()
    with pytest.raises(SystemExit):
        main(["--db", db, "hotspots", "--h3-res", "9", "--cell-size", "100", "--out", str(missing)])


def test_emerging_and_trends_cli_on_another_territory(rennes_store, capsys, tmp_path):
    db, _ = rennes_store
    out_file = tmp_path / "emergents.geojson"
    code, out, err = run(capsys, "--db", db, "emerging", "--period", "week", "--to", "2026-03-01",
                         "--permutations", "99", "--out", out_file)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["steps"] >= 4 and summary["period"] == "week"
    assert sum(summary["patterns"].values()) == summary["cells"]
    cells = gpd.read_file(out_file)
    assert {"count", "pattern", "trend", "tau", "p_trend", "hot_steps", "cold_steps"} <= set(cells.columns)
    assert cells["count"].sum() == summary["reports"]

    code, out, err = run(capsys, "--db", db, "trends", "--by", "neighbourhood", "--period", "week",
                         "--format", "json")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["groups"] == 9 and {r["neighbourhood"] for r in result["rows"]} == {f"c{k}" for k in range(9)}
    csv_file = tmp_path / "tendances.csv"
    code, out, err = run(capsys, "--db", db, "trends", "--by", "neighbourhood,category", "--period", "week",
                         "--out", csv_file)
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["groups"] == 9
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbfneighbourhood,category")  # the safe writer's BOM


def test_bad_options_give_french_errors(rennes_store, capsys, tmp_path):
    db, _ = rennes_store
    code, _, err = run(capsys, "--db", db, "trends", "--by", "quartier")
    assert code == 2 and "--by attend" in err
    code, _, err = run(capsys, "--db", db, "emerging", "--period", "week", "--steps", "1",
                         "--out", tmp_path / "x.geojson")
    assert code == 2 and "--steps" in err
    code, _out, err = run(capsys, "--db", db, "trends", "--from", "2030-01-01")
    assert code == 2 and "aucun signalement" in err
