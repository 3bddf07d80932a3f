import itertools
import random
from datetime import time

import pytest

from geo.errors import InputError
from geo.patrol.solver import PlanRequest, solve
from geo.patrol.targets import Target
from geo.patrol.walking import StraightLineWalking
from tests.patrol.conftest import AT, START, assert_feasible


def _targets(n: int, seed: int, *, spread: float = 0.01) -> list[Target]:
    rng = random.Random(seed)
    return [Target(f"cible {i}", START[0] + rng.uniform(-spread, spread), START[1] + rng.uniform(-spread, spread),
                   rng.choice([1, 2, 3]), "test") for i in range(n)]


def _brute_force(plan) -> int:
    seconds = plan.seconds
    nodes = range(2, len(plan.targets) + 2)
    best = None
    for order in itertools.permutations(nodes):
        total = seconds[0, order[0]] + sum(seconds[a, b] for a, b in itertools.pairwise(order)) + seconds[order[-1], 1]
        best = total if best is None else min(best, total)
    return int(best)


@pytest.mark.parametrize(("n", "seed"), [(5, 1), (7, 2), (8, 3), (9, 4), (9, 5)])
def test_single_team_tour_is_as_short_as_brute_force(n, seed):
    targets = _targets(n, seed)
    request = PlanRequest(teams=1, shift_minutes=24 * 60, start=START, at=AT, dwell_minutes=5, time_limit_s=1)
    plan = solve(targets, request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    assert plan.dropped == []
    assert len(plan.routes[0].stops) == n
    assert plan.routes[0].walking_seconds == _brute_force(plan)


def test_end_point_differs_from_start():
    targets = _targets(6, 11)
    end = (START[0] + 0.02, START[1])
    request = PlanRequest(teams=1, shift_minutes=600, start=START, end=end, at=AT, dwell_minutes=5, time_limit_s=1)
    plan = solve(targets, request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    assert plan.routes[0].walking_seconds == _brute_force(plan)
    assert plan.routes[0].path[-1] == end


def test_time_windows_are_respected_with_waiting():
    # the school opens 50 min after the start though it is 10 min away: the team waits or goes elsewhere first
    school = Target("école", START[0] + 0.005, START[1], 5, "sortie", window_start=time(14, 50),
                    window_end=time(15, 0))
    others = _targets(4, 7, spread=0.006)
    request = PlanRequest(teams=1, shift_minutes=150, start=START, at=AT, time_limit_s=1)
    plan = solve([school, *others], request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    stop = next(s for s in plan.routes[0].stops if s.target is school)
    assert time(14, 50) <= stop.arrival.time() <= time(15, 0)


def test_stop_too_far_is_dropped_with_reason():
    far = Target("trop loin", START[0] + 0.2, START[1], 9, "test")
    near = Target("proche", START[0] + 0.002, START[1], 1, "test")
    request = PlanRequest(teams=1, shift_minutes=60, start=START, at=AT, time_limit_s=1)
    plan = solve([far, near], request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    assert [s.target.name for s in plan.routes[0].stops] == ["proche"]
    [dropped] = plan.dropped
    assert dropped.target is far
    assert "trop loin" in dropped.reason and "60 min" in dropped.reason


def test_window_outside_the_shift_is_dropped_with_reason():
    early = Target("marché", START[0] + 0.001, START[1], 5, "test", window_start=time(8, 0), window_end=time(9, 0))
    late = Target("soirée", START[0] + 0.001, START[1], 5, "test", window_start=time(20, 0), window_end=time(21, 0))
    request = PlanRequest(teams=1, shift_minutes=120, start=START, at=AT, time_limit_s=1)
    plan = solve([early, late], request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    reasons = {d.target.name: d.reason for d in plan.dropped}
    assert reasons["marché"] == "créneau terminé avant le début de la tournée"
    assert reasons["soirée"] == "créneau après la fin de la tournée"


def test_shift_too_short_for_all_keeps_the_higher_priority():
    # two stops in opposite directions, each fits alone but not both
    east = Target("est", START[0], START[1] + 0.012, 1, "test")
    west = Target("ouest", START[0], START[1] - 0.012, 4, "test")
    request = PlanRequest(teams=1, shift_minutes=50, start=START, at=AT, time_limit_s=1)
    plan = solve([east, west], request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    assert [s.target.name for s in plan.routes[0].stops] == ["ouest"]
    assert [(d.target.name, d.reason.startswith("pas de place")) for d in plan.dropped] == [("est", True)]
    assert plan.objective == 4


def test_conflicting_windows_drop_one_with_reason():
    a = Target("a", START[0] + 0.01, START[1], 3, "test", window_start=time(14, 30), window_end=time(14, 35))
    b = Target("b", START[0] - 0.01, START[1], 2, "test", window_start=time(14, 30), window_end=time(14, 35))
    request = PlanRequest(teams=1, shift_minutes=120, start=START, at=AT, time_limit_s=1)
    plan = solve([a, b], request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    assert [s.target.name for s in plan.routes[0].stops] == ["a"]
    assert plan.dropped[0].target is b and "créneau" in plan.dropped[0].reason
    # with two teams both fit
    plan2 = solve([a, b], request=PlanRequest(teams=2, shift_minutes=120, start=START, at=AT, time_limit_s=1),
                  walking=StraightLineWalking())
    assert_feasible(plan2)
    assert plan2.dropped == [] and plan2.objective == 5


def test_several_teams_on_a_larger_instance_stay_feasible():
    rng = random.Random(3)
    targets = []
    for i in range(40):
        window = None
        if i % 5 == 0:
            opening = rng.randrange(14 * 60, 15 * 60 + 30)
            window = (time(opening // 60, opening % 60), time((opening + 20) // 60, (opening + 20) % 60))
        targets.append(Target(f"c{i}", START[0] + rng.uniform(-0.015, 0.015), START[1] + rng.uniform(-0.02, 0.02),
                              rng.choice([1, 2, 3, 5]), "test", window_start=window and window[0],
                              window_end=window and window[1]))
    request = PlanRequest(teams=3, shift_minutes=120, start=START, at=AT, time_limit_s=2)
    plan = solve(targets, request=request, walking=StraightLineWalking())
    assert_feasible(plan)
    summary = plan.summary()
    assert summary["teams"] == 3 and summary["visited"] + summary["dropped"] == 40
    assert set(summary["walking_minutes"]) == {"1", "2", "3"}
    assert summary["objective"] == pytest.approx(sum(s.target.priority for r in plan.routes for s in r.stops))
    assert summary["visited"] >= 9  # 2-hour shifts, 15-minute stops: a few stops each


def test_bad_requests_are_refused_in_french():
    with pytest.raises(InputError, match="au moins une équipe"):
        PlanRequest(teams=0, shift_minutes=60, start=START, at=AT)
    with pytest.raises(InputError, match="durée de tournée"):
        PlanRequest(teams=1, shift_minutes=0, start=START, at=AT)
