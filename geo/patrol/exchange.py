"""Priority exchanges that the routing solver's local search misses: insert, swap out, relocate, refill.

OR-Tools' guided local search tends to stall on prize-collecting instances, where the objective is dominated
by the penalties of dropped stops: improving it often needs a chain of moves (take a low-priority stop out
of a route, then fit two others in the time freed). This module tries those chains greedily on a solution,
checking every route it changes against time windows and the shift length, and keeps only strict gains of
priority (walking time breaks ties through the best insertion position).
"""

from __future__ import annotations

import time as clock
from collections.abc import Sequence

__all__ = ["RouteChecker", "improve"]


class RouteChecker:
    """Walking time of a route if it is feasible.

    Parameters
    ----------
    seconds
        Walking seconds between nodes (0 start, 1 end, then candidates).
    windows
        Window ``(open, close)`` in seconds since the start, or ``None``, per node (``None`` for 0 and 1).
    dwell, shift
        Seconds spent at each stop; longest route.
    """

    def __init__(self, seconds: Sequence[Sequence[int]], windows: Sequence[tuple[int, int] | None], *, dwell: int,
                 shift: int) -> None:
        self.seconds = seconds
        self.windows = windows
        self.dwell = dwell
        self.shift = shift

    def walk(self, order: Sequence[int]) -> int | None:
        """Return the walking seconds of ``order`` (start, nodes, end), or ``None`` when it does not fit."""
        seconds, windows, dwell = self.seconds, self.windows, self.dwell
        now = here = walked = 0
        for node in order:
            step = seconds[here][node]
            arrival = now + step
            window = windows[node]
            if window is not None:
                if arrival > window[1]:
                    return None
                arrival = max(arrival, window[0])
            now, here, walked = arrival + dwell, node, walked + step
        step = seconds[here][1]
        if now + step > self.shift:
            return None
        return walked + step

    def best_insertion(self, order: list[int], node: int) -> tuple[int, list[int]] | None:
        """Return the least walking and the order of inserting ``node`` into ``order``, or ``None``."""
        best: tuple[int, list[int]] | None = None
        for position in range(len(order) + 1):
            candidate = [*order[:position], node, *order[position:]]
            walked = self.walk(candidate)
            if walked is not None and (best is None or walked < best[0]):
                best = (walked, candidate)
        return best


def _fill(checker: RouteChecker, order: list[int], pool: list[int], priority: dict[int, float]
          ) -> tuple[list[int], list[int], float]:
    """Greedily insert nodes of ``pool`` (highest priority first) into ``order``; return order, added, gain."""
    added, gain = [], 0.0
    for node in sorted(pool, key=lambda n: -priority[n]):
        found = checker.best_insertion(order, node)
        if found is not None:
            order = found[1]
            added.append(node)
            gain += priority[node]
    return order, added, gain


def improve(orders: list[list[int]], dropped: Sequence[int], *, checker: RouteChecker, priority: dict[int, float],
            deadline: float) -> list[list[int]]:
    """Return ``orders`` with more priority covered where insert, swap-out-and-refill or relocate finds it.

    Parameters
    ----------
    orders
        Feasible routes (lists of node ids), one per team.
    dropped
        Candidate nodes not visited.
    checker
        Feasibility and walking of a route.
    priority
        Priority of each candidate node.
    deadline
        ``time.perf_counter()`` value after which no new pass starts.
    """
    orders = [list(o) for o in orders]
    pool = list(dropped)
    improved = True
    while improved and clock.perf_counter() < deadline:
        improved = False
        # 1. insert what fits anywhere, highest priority first
        for node in sorted(pool, key=lambda n: -priority[n]):
            options = [(found[0] - (checker.walk(order) or 0), team, found[1])
                       for team, order in enumerate(orders)
                       if (found := checker.best_insertion(order, node)) is not None]
            if options:
                _, team, order = min(options)
                orders[team] = order
                pool.remove(node)
                improved = True
        # 2. take one stop out of a route and refill the route from the pool (the stop goes back to the pool)
        for team in range(len(orders)):
            for node in sorted(orders[team], key=lambda n: priority[n]):
                if clock.perf_counter() >= deadline:
                    return orders
                without = [n for n in orders[team] if n != node]
                refilled, added, gain = _fill(checker, without, pool, priority)
                if gain > priority[node] + 1e-9:
                    orders[team] = refilled
                    pool = [n for n in pool if n not in added] + [node]
                    improved = True
                    break
        # 3. move a stop to another team's route if the room it frees takes in more priority
        for source in range(len(orders)):
            for node in list(orders[source]):
                if clock.perf_counter() >= deadline:
                    return orders
                without = [n for n in orders[source] if n != node]
                for target in range(len(orders)):
                    if target == source or node not in orders[source]:
                        continue
                    moved = checker.best_insertion(orders[target], node)
                    if moved is None:
                        continue
                    refilled, added, gain = _fill(checker, without, pool, priority)
                    if gain > 1e-9:
                        orders[source], orders[target] = refilled, moved[1]
                        pool = [n for n in pool if n not in added]
                        improved = True
                        break
    return orders
