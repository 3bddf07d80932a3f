from pathlib import Path

import networkx as nx
import pytest

from geo.errors import InputError
from geo.patrol.network import NetworkWalking, load_network
from geo.patrol.solver import PlanRequest, solve
from geo.patrol.targets import Target
from geo.patrol.walking import StraightLineWalking
from tests.patrol.conftest import AT, assert_feasible

RIVER = Path(__file__).parent / "fixtures" / "river.osm"
WEST = (47.3200, 5.0388)  # west bank, south
EAST = (47.3200, 5.0412)  # east bank, opposite: the straight line crosses the river
BRIDGE_LAT = 47.33


def test_osm_xml_keeps_walkable_ways_only():
    network = load_network(RIVER)
    graph = network.graph
    assert not graph.has_edge("1", "11"), "the closed footway (foot=no) is not walkable"
    assert "21" not in graph, "the river itself is not a street"
    assert graph.has_edge("3", "31") and graph.has_edge("31", "13")
    assert graph.edges["1", "2"]["length"] == pytest.approx(556, rel=0.01)


def test_network_time_is_longer_than_straight_line_and_goes_by_the_bridge():
    walking = NetworkWalking(load_network(RIVER), speed_kmh=4.5)
    straight = StraightLineWalking(speed_kmh=4.5, detour=1.3)
    network_s = walking.matrix([WEST, EAST])[0, 1]
    straight_s = straight.matrix([WEST, EAST])[0, 1]
    assert network_s > 5 * straight_s
    # up the west bank, over the bridge, down the east bank: ~2.45 km at 1.25 m/s
    assert network_s == pytest.approx(2450 / 1.25, rel=0.03)
    path = walking.path(WEST, EAST)
    assert max(lat for lat, _ in path) >= BRIDGE_LAT
    assert (47.3301, 5.0400) in path


def test_plan_on_network_routes_over_the_bridge():
    target = Target("en face", *EAST, 3, "test")
    walking = NetworkWalking(load_network(RIVER), speed_kmh=4.5)
    request = PlanRequest(teams=1, shift_minutes=120, start=WEST, at=AT, time_limit_s=1)
    plan = solve([target], request=request, walking=walking)
    assert_feasible(plan)
    route = plan.routes[0]
    assert [s.target.name for s in route.stops] == ["en face"]
    assert max(lat for lat, _ in route.path) >= BRIDGE_LAT
    assert route.walking_seconds >= 2 * 2400 / 1.25
    # the straight-line model would not send the team north at all
    plain = solve([target], request=request, walking=StraightLineWalking())
    assert max(lat for lat, _ in plain.routes[0].path) < BRIDGE_LAT


def test_unconnected_target_is_dropped_with_reason(tmp_path):
    graph = nx.Graph()
    graph.add_node("a", x=5.0390, y=47.3200)
    graph.add_node("b", x=5.0390, y=47.3250)
    graph.add_node("c", x=5.0600, y=47.3200)
    graph.add_node("d", x=5.0600, y=47.3250)
    graph.add_edge("a", "b", length=556.0)
    graph.add_edge("c", "d")
    path = tmp_path / "net.graphml"
    nx.write_graphml(graph, path)
    walking = NetworkWalking(load_network(path))
    island = Target("île", 47.3251, 5.0601, 2, "test")
    plan = solve([island], request=PlanRequest(teams=1, shift_minutes=120, start=(47.3200, 5.0389), at=AT,
                                               time_limit_s=1), walking=walking)
    assert_feasible(plan)
    assert plan.dropped[0].reason.startswith("injoignable")


def test_bad_network_files_are_refused(tmp_path):
    bad = tmp_path / "bad.osm"
    bad.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(InputError, match="XML OSM illisible"):
        load_network(bad)
    empty = tmp_path / "empty.osm"
    empty.write_text("<osm version='0.6'></osm>", encoding="utf-8")
    with pytest.raises(InputError, match="réseau de rues vide"):
        load_network(empty)
    with pytest.raises(InputError, match="OSM XML"):
        load_network(tmp_path.joinpath("x.shp").touch() or tmp_path / "x.shp")
    with pytest.raises(InputError, match="introuvable"):
        load_network(tmp_path / "absent.osm")
