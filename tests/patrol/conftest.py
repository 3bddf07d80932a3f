"""Shared helpers of the patrol tests: every plan a test produces is checked with :func:`assert_feasible`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from geo.patrol.solver import Plan

PARIS = ZoneInfo("Europe/Paris")
START = (47.3220, 5.0415)
AT = datetime(2026, 12, 4, 14, 0, tzinfo=PARIS)


def assert_feasible(plan: Plan) -> None:
    """Recompute every route from the plan's own walking seconds: windows, dwell and shift hold."""
    request = plan.request
    index = {id(t): i + 2 for i, t in enumerate(plan.targets)}
    seen = set()
    for route in plan.routes:
        here, now = 0, request.at
        for stop in route.stops:
            node = index[id(stop.target)]
            assert node not in seen, "a stop is visited twice"
            seen.add(node)
            earliest = now + timedelta(seconds=int(plan.seconds[here, node]))
            assert stop.arrival >= earliest, f"{stop.target.name}: arrives before it can walk there"
            target = stop.target
            if target.window_start is not None:
                assert stop.arrival.timetz().replace(tzinfo=None) >= target.window_start, target.name
                assert stop.arrival.timetz().replace(tzinfo=None) <= target.window_end, target.name
                assert stop.arrival.date() == request.at.date()
            assert stop.departure - stop.arrival == timedelta(minutes=request.dwell_minutes)
            here, now = node, stop.departure
        back = now + timedelta(seconds=int(plan.seconds[here, 1]))
        assert back <= route.back_at + timedelta(seconds=0) and route.back_at == back
        assert back - request.at <= timedelta(minutes=request.shift_minutes), f"team {route.team} back late"
    dropped = {id(d.target) for d in plan.dropped}
    assert len(seen) + len(dropped) == len(plan.targets), "every target is visited or dropped"
    assert all(d.reason for d in plan.dropped)


@pytest.fixture
def feasible():
    return assert_feasible
