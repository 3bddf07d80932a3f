import io
import json
from datetime import time
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from geo.export.safe_csv import csv_text
from geo.patrol.geojson import TEAM_COLOURS, plan_geojson, plan_table, write_geojson
from geo.patrol.gpx import team_gpx, write_gpx
from geo.patrol.sheet_pdf import round_sheet
from geo.patrol.solver import PlanRequest, solve
from geo.patrol.targets import Target
from geo.patrol.walking import StraightLineWalking
from tests.patrol.conftest import AT, START, assert_feasible

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "fixtures" / "gpx11.xsd")))


@pytest.fixture(scope="module")
def plan():
    targets = [
        Target("École Jean Macé", START[0] + 0.004, START[1] + 0.002, 5, "sortie d'école", window_start=time(14, 30),
               window_end=time(14, 50)),
        Target("Arrêt Grésilles", START[0] + 0.006, START[1] - 0.003, 3, "regroupements signalés"),
        Target("Hall B <rue & place>", START[0] - 0.004, START[1] + 0.004, 2, "dégradations : vérifier"),
        Target("Parc", START[0] - 0.006, START[1] - 0.004, 1, "lieu à visiter"),
        Target("Très loin", START[0] + 0.3, START[1], 9, "lieu à visiter"),
    ]
    request = PlanRequest(teams=2, shift_minutes=120, start=START, at=AT, time_limit_s=1)
    result = solve(targets, request=request, walking=StraightLineWalking())
    assert_feasible(result)
    return result


def test_geojson_has_team_lines_stop_points_and_dropped(plan, tmp_path):
    path = write_geojson(plan, tmp_path / "plan.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    assert sorted(f["properties"]["team"] for f in lines) == [1, 2]
    assert {f["properties"]["colour"] for f in lines} <= set(TEAM_COLOURS)
    stops = [f for f in doc["features"] if f["geometry"]["type"] == "Point" and not f["properties"]["dropped"]]
    assert len(stops) == sum(len(r.stops) for r in plan.routes) == 4
    for feature in stops:
        props = feature["properties"]
        assert {"team", "order", "name", "arrival", "priority"} <= set(props)
        assert props["arrival"].startswith("2026-12-04T")
    school = next(f for f in stops if f["properties"]["name"] == "École Jean Macé")
    assert "14:30" <= school["properties"]["arrival"][11:16] <= "14:50"
    dropped = [f for f in doc["features"] if f["properties"].get("dropped")]
    assert [f["properties"]["name"] for f in dropped] == ["Très loin"]
    assert "trop loin" in dropped[0]["properties"]["reason"]
    for route in plan.routes:
        orders = [f["properties"]["order"] for f in stops if f["properties"]["team"] == route.team]
        assert sorted(orders) == list(range(1, len(route.stops) + 1))
    assert plan_geojson(plan) == doc


def test_gpx_files_validate_against_gpx_1_1(plan, tmp_path):
    paths = write_gpx(plan, tmp_path / "gpx")
    assert [p.name for p in paths] == ["equipe-1.gpx", "equipe-2.gpx"]
    for path, route in zip(paths, plan.routes, strict=True):
        doc = etree.parse(str(path))
        assert SCHEMA.validate(doc), SCHEMA.error_log
        ns = {"g": "http://www.topografix.com/GPX/1/1"}
        names = doc.xpath("//g:wpt/g:name/text()", namespaces=ns)
        assert names == [f"{s.order}. {s.target.name}" for s in route.stops]
        assert len(doc.xpath("//g:rte/g:rtept", namespaces=ns)) == len(route.stops) + 2


def test_schema_fixture_rejects_invalid_gpx(plan):
    doc = etree.fromstring(team_gpx(plan, plan.routes[0]))
    wpt = doc.find("{http://www.topografix.com/GPX/1/1}wpt")
    wpt.set("lat", "123")  # out of range
    assert not SCHEMA.validate(doc)
    doc = etree.fromstring(team_gpx(plan, plan.routes[0]))
    doc.set("version", "1.0")
    assert not SCHEMA.validate(doc)


def test_round_sheet_lists_stops_in_order(plan):
    for route in plan.routes:
        pdf = round_sheet(plan, route, name="Tournée du vendredi")
        assert pdf.startswith(b"%PDF")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert f"Feuille de tournée — équipe {route.team}" in text
        assert "Notes avant la tournée" in text and "Notes après la tournée" in text
        positions = [text.index(stop.target.name) for stop in route.stops]
        assert positions == sorted(positions), "stops appear in visiting order"
        for stop in route.stops:
            assert f"{stop.arrival:%H:%M}" in text
        assert "Très loin" not in text


def test_plan_table_goes_through_the_safe_writer(plan):
    table = plan_table(plan)
    assert len(table) == 5
    assert list(table["écarté"]).count("oui") == 1
    text = csv_text(table)
    assert "École Jean Macé" in text


def test_route_map_draws_each_team_in_its_colour_with_numbered_stops(plan):
    from geo.patrol.geojson import team_colour
    from geo.patrol.route_map import build_route_map

    page = build_route_map(plan_geojson(plan), start=START, basemap_url=None).get_root().render()
    for route in plan.routes:
        assert f'"color": "{team_colour(route.team)}"' in page
    for route in plan.routes:
        for stop in route.stops:  # the numbered disc, in the team's colour (HTML escaped inside the script)
            assert (f"background:{team_colour(route.team)};" in page
                    and f"\\u003e{stop.order}\\u003c/div\\u003e" in page)
            assert f"arr\\u00eat {stop.order} \\u00e0 {stop.arrival:%H:%M}" in page
    assert page.count('className: "veille-stop"') == sum(len(r.stops) for r in plan.routes)
    assert "L.Icon.Default" not in page and "setIcon" not in page
    assert "Écarté : Très loin" in page
    assert len(set(TEAM_COLOURS)) == len(TEAM_COLOURS)
