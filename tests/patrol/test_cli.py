"""``python -m geo patrol``: the command line of the issue, its GeoJSON, GPX and last-line JSON summary."""

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from lxml import etree

from geo.ingest.entry import FieldEntry, record_report
from geo.settings import PROJECT_ROOT
from tests.commandline import run
from tests.patrol.conftest import PARIS

FIXTURES = Path(__file__).parent / "fixtures"
SCHEMA = etree.XMLSchema(etree.parse(str(FIXTURES / "gpx11.xsd")))
SUMMARY_KEYS = {"teams", "visited", "dropped", "walking_minutes", "objective"}


def _targets_file(tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_text("name;lat;lon;priority;window_start;window_end\n"
                    "École Jean Macé;47.3250;5.0400;5;16:15;16:45\n"
                    "Arrêt Grésilles;47.3300;5.0450;3;;\n"
                    "Hall B;47.3170;5.0460;2;;\n"
                    "Loin;47.6;5.5;9;;\n", encoding="utf-8")
    return path


def _check_plan_geojson(doc, *, at, shift_minutes, windows):
    """Every stop arrives in its window; every team is back before the end of the shift."""
    for feature in doc["features"]:
        props = feature["properties"]
        if feature["geometry"]["type"] == "LineString":
            assert datetime.fromisoformat(props["back_at"]) <= at + timedelta(minutes=shift_minutes)
        elif not props["dropped"]:
            arrival = datetime.fromisoformat(props["arrival"])
            assert at <= arrival
            if props["name"] in windows:
                start, end = windows[props["name"]]
                assert start <= arrival.strftime("%H:%M") <= end


def test_patrol_command_writes_geojson_gpx_and_summary(capsys, db_url, tmp_path):
    out_file, gpx_dir = tmp_path / "plan.geojson", tmp_path / "gpx"
    code, out, err = run(capsys, "--db", db_url, "patrol", "--teams", 2, "--shift-minutes", 120,
                         "--start", "47.3220,5.0415", "--at", "2026-12-04T15:30", "--targets",
                         _targets_file(tmp_path), "--dwell-minutes", 15, "--speed-kmh", 4.5, "--detour", 1.3,
                         "--time-limit", 1, "--out", out_file, "--gpx", gpx_dir)
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert SUMMARY_KEYS <= set(summary)
    assert summary["teams"] == 2 and summary["visited"] + summary["dropped"] == 4
    assert set(summary["walking_minutes"]) == {"1", "2"}
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    at = datetime(2026, 12, 4, 15, 30, tzinfo=PARIS)
    _check_plan_geojson(doc, at=at, shift_minutes=120, windows={"École Jean Macé": ("16:15", "16:45")})
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert sorted(f["properties"]["team"] for f in lines) == [1, 2]
    dropped = {f["properties"]["name"]: f["properties"]["reason"] for f in doc["features"]
               if f["properties"].get("dropped")}
    assert "Loin" in dropped and "trop loin" in dropped["Loin"]
    assert len(dropped) == summary["dropped"]
    stops = [f["properties"] for f in doc["features"] if f["geometry"]["type"] == "Point"
             and not f["properties"]["dropped"]]
    assert summary["objective"] == sum(s["priority"] for s in stops)
    assert sorted(p.name for p in gpx_dir.iterdir()) == ["equipe-1.gpx", "equipe-2.gpx"]
    for path in gpx_dir.iterdir():
        assert SCHEMA.validate(etree.parse(str(path)))
    assert "écarté : Loin" in err


def test_patrol_on_street_network_and_end_point(capsys, db_url, tmp_path):
    targets = tmp_path / "t.csv"
    targets.write_text("en face;47.3200;5.0412;2\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db_url, "patrol", "--teams", 1, "--shift-minutes", 90,
                         "--start", "47.3200,5.0388", "--end", "47.3250,5.0388", "--at", "2026-12-04 09:00",
                         "--targets", targets, "--network", FIXTURES / "river.osm", "--time-limit", 1,
                         "--out", tmp_path / "p.geojson")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["visited"] == 1
    assert summary["walking_minutes"]["1"] > 45  # over the bridge and back down, not 3 minutes across
    doc = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))
    line = next(f for f in doc["features"] if f["geometry"]["type"] == "LineString")
    assert max(lat for _, lat in line["geometry"]["coordinates"]) >= 47.33
    assert line["geometry"]["coordinates"][-1] == [5.0388, 47.325]


def test_patrol_from_overdue_reports(capsys, tmp_store, tmp_path, taxonomy):
    now = pd.Timestamp("2026-12-04 14:00", tz="Europe/Paris")
    category = next(iter(taxonomy.categories))
    for days, lat in ((30, 47.3240), (3, 47.3160)):
        entry = FieldEntry(lat=lat, lon=5.0400, category=category, observed_at=now - pd.Timedelta(days=days))
        assert record_report(tmp_store, entry, taxonomy=taxonomy, now=now).ok
    code, _out, err = run(capsys, "--db", tmp_store.url, "patrol", "--teams", 1, "--shift-minutes", 90,
                         "--start", "47.3200,5.0400", "--at", "2026-12-04T14:00", "--from-overdue",
                         "--time-limit", 1, "--out", tmp_path / "p.geojson")
    assert code == 0, err
    doc = json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))
    stops = [f["properties"] for f in doc["features"] if not f["properties"].get("dropped")
             and f["geometry"]["type"] == "Point"]
    assert len(stops) == 2
    assert all("signalement ouvert depuis" in s["reason"] for s in stops)
    assert max(stops, key=lambda s: s["priority"])["reason"].startswith("signalement ouvert depuis 30 jours")


def test_bad_input_is_a_french_error_and_exit_2(capsys, db_url, tmp_path):
    targets = _targets_file(tmp_path)
    base = ["--db", db_url, "patrol", "--teams", 1, "--shift-minutes", 60, "--out", tmp_path / "p.geojson"]
    code, out, err = run(capsys, *base, "--start", "47.32;5.04", "--targets", targets)
    assert code == 2 and "--start : attendu LAT,LON" in err and out == ""
    code, _, err = run(capsys, *base, "--start", "47.32,5.04")
    assert code == 2 and "aucune cible" in err
    code, _, err = run(capsys, *base, "--start", "47.32,5.04", "--targets", tmp_path / "absent.csv")
    assert code == 2 and "introuvable" in err
    code, _, err = run(capsys, *base, "--start", "47.32,5.04", "--targets", targets, "--at", "demain")
    assert code == 2 and "--at" in err
    assert not (tmp_path / "p.geojson").exists()


def test_from_hotspots_without_the_analysis_says_so(capsys, db_url, tmp_path, monkeypatch):
    # hide the analysis module: the command must say so in French, not fail with a traceback
    import builtins

    real_import = builtins.__import__

    def no_hotspots(name, *args, **kwargs):
        if name == "geo.analysis.hotspots":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hotspots)
    code, out, err = run(capsys, "--db", db_url, "patrol", "--teams", 1, "--shift-minutes", 60, "--start",
                         "47.32,5.04", "--from-hotspots", "--out", tmp_path / "p.geojson")
    assert code == 2 and "analyse des points chauds indisponible" in err and out == ""
    assert not (tmp_path / "p.geojson").exists()


def test_python_dash_m_geo_patrol_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "geo", "patrol", "--help"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, check=True)
    for option in ("--teams", "--shift-minutes", "--start", "--end", "--at", "--targets", "--from-hotspots",
                   "--from-overdue", "--network", "--dwell-minutes", "--speed-kmh", "--detour", "--time-limit",
                   "--out", "--gpx"):
        assert option in result.stdout
