import time

from geo.patrol.exchange import RouteChecker, improve

# nodes: 0 start, 1 end (same place), 2 far (priority 3), 3 and 4 near each other (priority 2 each)
SECONDS = [
    [0, 0, 1600, 600, 650],
    [0, 0, 1600, 600, 650],
    [1600, 1600, 0, 1500, 1500],
    [600, 600, 1500, 0, 100],
    [650, 650, 1500, 100, 0],
]
PRIORITY = {2: 3.0, 3: 2.0, 4: 2.0}


def checker(windows=None, shift=3600):
    return RouteChecker(SECONDS, windows or [None] * 5, dwell=300, shift=shift)


def test_walk_checks_windows_and_shift():
    c = checker()
    assert c.walk([3, 4]) == 600 + 100 + 650
    assert c.walk([2]) == 3200
    assert c.walk([2, 3]) is None  # 1600 + 300 + 1500 + 300 + 600 > 3600
    windowed = checker([None, None, None, (0, 500), None])
    assert windowed.walk([3]) is None  # arrives at 600, window closes at 500
    waiting = checker([None, None, None, (2000, 2100), None])
    assert waiting.walk([3]) == 1200  # waits until 2000, back at 2900


def test_swap_out_and_refill_gains_priority():
    c = checker()
    better = improve([[2]], [3, 4], checker=c, priority=PRIORITY, deadline=time.perf_counter() + 5)
    assert sorted(better[0]) == [3, 4]
    assert c.walk(better[0]) is not None


def test_insertion_fills_an_idle_team_and_never_breaks_a_route():
    c = checker()
    better = improve([[3, 4], []], [2], checker=c, priority=PRIORITY, deadline=time.perf_counter() + 5)
    assert sorted(n for order in better for n in order) == [2, 3, 4]
    assert all(c.walk(order) is not None for order in better)


def test_no_gain_leaves_the_plan_as_it_is():
    c = checker(shift=1000)
    assert improve([[]], [2], checker=c, priority=PRIORITY, deadline=time.perf_counter() + 5) == [[]]
