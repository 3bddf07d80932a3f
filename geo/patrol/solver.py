"""Choose and order the stops of each team: OR-Tools vehicle routing with optional visits.

Every candidate is an optional visit: leaving it out costs a penalty proportional to its priority, larger
than any walking time the plan could save, so the solver first maximises the priority covered, then walks
as little as it can. A time dimension (seconds since the start of the shift) carries walking and dwell
times, lets teams wait for a time window to open and caps each route at the shift length. Times are whole
seconds, walking times rounded up, so a plan that fits in the model fits on the ground.
"""

from __future__ import annotations

import itertools
import math
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from geo.errors import InputError
from geo.patrol.defaults import DEFAULT_DWELL_MINUTES, DEFAULT_TIME_LIMIT_S
from geo.patrol.exchange import RouteChecker, improve
from geo.patrol.targets import Target
from geo.patrol.walking import WalkingModel

__all__ = ["PlanRequest", "Stop", "Dropped", "TeamRoute", "Plan", "solve", "schedule", "DEFAULT_DWELL_MINUTES",
           "DEFAULT_TIME_LIMIT_S"]

_PRIORITY_SCALE = 100  # priorities are kept to the hundredth
_UNREACHABLE = 10**7  # seconds standing for "no path" (far beyond any shift)
# search strategy (see bench/patrol.py for how they were chosen)
FIRST_SOLUTIONS: tuple[str, ...] = ("PATH_CHEAPEST_ARC", "LOCAL_CHEAPEST_INSERTION", "SAVINGS")
METAHEURISTIC = "GUIDED_LOCAL_SEARCH"
EXTRA_OPERATORS: tuple[str, ...] = ()
GLS_LAMBDA: float | None = None
_FIRST_SHARE = 0.7  # of the time limit, for the first-solution strategies


@dataclass(frozen=True)
class PlanRequest:
    """The constraints of one round.

    Attributes
    ----------
    teams
        Number of teams (each walks one route).
    shift_minutes
        Longest duration of a route, from leaving the start point to reaching the end point.
    start, end
        ``(lat, lon)`` of the start point and of the end point (the start point when ``None``).
    at
        Local date and time the teams leave (tz-aware).
    dwell_minutes
        Time spent at each stop.
    time_limit_s
        Solver time limit in seconds.
    """

    teams: int
    shift_minutes: float
    start: tuple[float, float]
    at: datetime
    end: tuple[float, float] | None = None
    dwell_minutes: float = DEFAULT_DWELL_MINUTES
    time_limit_s: float = DEFAULT_TIME_LIMIT_S

    def __post_init__(self) -> None:
        if self.teams < 1:
            raise InputError(f"au moins une équipe attendue, trouvé {self.teams}")
        if self.shift_minutes <= 0:
            raise InputError(f"durée de tournée positive attendue, trouvé {self.shift_minutes} minutes")
        if self.dwell_minutes < 0:
            raise InputError(f"temps d'arrêt positif ou nul attendu, trouvé {self.dwell_minutes} minutes")
        if self.time_limit_s <= 0:
            raise InputError(f"limite de temps du solveur positive attendue, trouvé {self.time_limit_s} s")
        if self.at.tzinfo is None:
            raise ValueError("PlanRequest.at must be timezone-aware")

    @property
    def finish(self) -> tuple[float, float]:
        """Return the end point (the start point when none was given)."""
        return self.end or self.start

    @property
    def shift_seconds(self) -> int:
        """Return the shift length in whole seconds."""
        return int(self.shift_minutes * 60)

    @property
    def dwell_seconds(self) -> int:
        """Return the dwell time in whole seconds."""
        return round(self.dwell_minutes * 60)


@dataclass(frozen=True)
class Stop:
    """A visit in a team's route: arrival is when the team starts its dwell (after any wait)."""

    target: Target
    team: int
    order: int
    arrival: datetime
    departure: datetime
    walk_seconds: int
    wait_seconds: int


@dataclass(frozen=True)
class Dropped:
    """A candidate left out of the plan, and why (French)."""

    target: Target
    reason: str


@dataclass
class TeamRoute:
    """One team's route: its stops in order, the time it walks and when it is back."""

    team: int
    stops: list[Stop]
    walking_seconds: int
    back_at: datetime
    path: list[tuple[float, float]] = field(default_factory=list)

    @property
    def walking_minutes(self) -> float:
        """Return the walking time in minutes (one decimal)."""
        return round(self.walking_seconds / 60, 1)


@dataclass
class Plan:
    """The solved plan.

    Attributes
    ----------
    objective
        Total priority of the stops visited: what the plan maximises (walking time breaks ties).
    solver_cost
        The solver's objective (walking seconds plus penalties of dropped stops), lower is better.
    seconds
        Walking seconds between nodes as the solver saw them: start point, end point, then the candidates.
    """

    request: PlanRequest
    targets: list[Target]
    routes: list[TeamRoute]
    dropped: list[Dropped]
    objective: float
    solver_cost: int
    solve_seconds: float
    seconds: np.ndarray

    @property
    def priority_total(self) -> float:
        """Return the total priority of all candidates."""
        return round(sum(t.priority for t in self.targets), 2)

    def summary(self) -> dict:
        """Return the JSON summary: teams, visited, dropped, walking minutes per team, objective."""
        return {
            "teams": len(self.routes),
            "visited": sum(len(r.stops) for r in self.routes),
            "dropped": len(self.dropped),
            "walking_minutes": {str(r.team): r.walking_minutes for r in self.routes},
            "objective": self.objective,
            "priority_total": self.priority_total,
            "solver_cost": self.solver_cost,
            "solve_seconds": round(self.solve_seconds, 2),
        }


def _window_seconds(target: Target, at: datetime) -> tuple[int, int] | None:
    if target.window_start is None or target.window_end is None:
        return None
    start = datetime.combine(at.date(), target.window_start, tzinfo=at.tzinfo)
    end = datetime.combine(at.date(), target.window_end, tzinfo=at.tzinfo)
    return int((start - at).total_seconds()), int((end - at).total_seconds())


def schedule(order: Sequence[int], *, seconds: np.ndarray, windows: Sequence[tuple[int, int] | None],
             dwell: int) -> tuple[list[tuple[int, int, int]], int, int]:
    """Return the earliest schedule of visiting candidate nodes ``order`` (indices from 2) from node 0 to 1.

    Returns
    -------
    visits, back, walked
        ``(arrival, walk, wait)`` in seconds since the start for each visit, the time the team is back at
        the end point, and the total walking seconds.
    """
    now, here, walked, visits = 0, 0, 0, []
    for node in order:
        walk = int(seconds[here, node])
        arrival = now + walk
        window = windows[node - 2]
        start = max(arrival, window[0]) if window else arrival
        visits.append((start, walk, start - arrival))
        walked += walk
        now, here = start + dwell, node
    walk = int(seconds[here, 1])
    return visits, now + walk, walked + walk


def _alone_reason(node: int, *, seconds: np.ndarray, window: tuple[int, int] | None,
                  request: PlanRequest) -> str | None:
    """Return why a candidate cannot be visited even by a team doing nothing else, or ``None``."""
    target_out, target_back = int(seconds[0, node]), int(seconds[node, 1])
    if target_out >= _UNREACHABLE or target_back >= _UNREACHABLE:
        return "injoignable à pied depuis le point de départ par le réseau de rues"
    if window is not None:
        if window[1] < 0:
            return "créneau terminé avant le début de la tournée"
        if window[0] > request.shift_seconds:
            return "créneau après la fin de la tournée"
        if target_out > window[1]:
            return (f"créneau inatteignable : {math.ceil(target_out / 60)} min de marche depuis le départ, "
                    f"le créneau se ferme {max(0, window[1]) // 60} min après le départ")
    arrival = max(target_out, window[0]) if window else target_out
    total = arrival + request.dwell_seconds + target_back
    if total > request.shift_seconds:
        return (f"trop loin : aller, arrêt et retour demandent {math.ceil(total / 60)} min "
                f"pour une tournée de {request.shift_minutes:g} min")
    return None


def solve(targets: Sequence[Target], *, request: PlanRequest, walking: WalkingModel) -> Plan:
    """Return the plan that covers the most priority within the constraints, walking least.

    Parameters
    ----------
    targets
        Candidate stops.
    request
        Teams, shift, start and end points, dwell time and solver time limit.
    walking
        Walking model (straight line times detour, or a street network).
    """
    targets = list(targets)
    started = clock.perf_counter()
    points = [request.start, request.finish, *[(t.lat, t.lon) for t in targets]]
    raw = walking.matrix(points)
    seconds = np.where(np.isfinite(raw), np.ceil(np.nan_to_num(raw, posinf=0.0)), _UNREACHABLE).astype(np.int64)
    seconds = np.minimum(seconds, _UNREACHABLE)
    windows = [_window_seconds(t, request.at) for t in targets]
    dwell, shift = request.dwell_seconds, request.shift_seconds

    dropped: dict[int, str] = {}
    for i in range(len(targets)):
        reason = _alone_reason(i + 2, seconds=seconds, window=windows[i], request=request)
        if reason:
            dropped[i] = reason
    candidates = [i for i in range(len(targets)) if i not in dropped]

    orders: list[list[int]] = [[] for _ in range(request.teams)]
    cost = 0
    if candidates:
        orders, cost = _route(candidates, seconds=seconds, windows=windows, dwell=dwell, shift=shift,
                              teams=request.teams, priorities=[targets[i].priority for i in candidates],
                              time_limit_s=request.time_limit_s)
    visited = {node - 2 for order in orders for node in order}
    for i in candidates:
        if i not in visited:
            window = windows[i]
            dropped[i] = ("créneau incompatible avec les arrêts retenus, plus prioritaires" if window else
                          "pas de place dans la durée de tournée : les arrêts retenus couvrent plus de priorité")

    routes = []
    for team, order in enumerate(orders, start=1):
        visits, back, walked = schedule(order, seconds=seconds, windows=windows, dwell=dwell)
        late = [node for node, (arrival, _, _) in zip(order, visits, strict=True)
                if windows[node - 2] is not None and arrival > windows[node - 2][1]]
        if back > shift or late:  # the model forbids both: a plan breaking them must never reach a team
            raise RuntimeError(f"team {team}: route breaks the shift ({back} > {shift} s) or windows ({late})")
        stops = [
            Stop(target=targets[node - 2], team=team, order=k,
                 arrival=request.at + timedelta(seconds=arrival),
                 departure=request.at + timedelta(seconds=arrival + dwell), walk_seconds=walk, wait_seconds=wait)
            for k, (node, (arrival, walk, wait)) in enumerate(zip(order, visits, strict=True), start=1)
        ]
        waypoints = [request.start, *[(s.target.lat, s.target.lon) for s in stops], request.finish]
        path: list[tuple[float, float]] = []
        for a, b in itertools.pairwise(waypoints):
            leg = walking.path(a, b)
            path.extend(leg if not path else leg[1:])
        routes.append(TeamRoute(team=team, stops=stops, walking_seconds=walked,
                                back_at=request.at + timedelta(seconds=back), path=path))
    objective = round(sum(s.target.priority for r in routes for s in r.stops), 2)
    return Plan(request=request, targets=targets, routes=routes,
                dropped=[Dropped(targets[i], dropped[i]) for i in sorted(dropped)], objective=objective,
                solver_cost=int(cost), solve_seconds=clock.perf_counter() - started, seconds=seconds)


def _penalties(priorities: Sequence[float], *, teams: int, shift: int) -> list[int]:
    """Return the cost of dropping each candidate.

    Dropping any stop must cost more than all the walking the plan could ever save: one step of priority
    (the greatest common divisor of the priorities, to the hundredth) costs more than every team walking its
    whole shift. The solver therefore maximises the priority covered first, then walks least.
    """
    unit = teams * shift + 1
    scaled = [max(1, round(p * _PRIORITY_SCALE)) for p in priorities]
    step = math.gcd(*scaled) if scaled else 1
    return [value // step * unit for value in scaled]


def _route(candidates: list[int], *, seconds: np.ndarray, windows: list[tuple[int, int] | None], dwell: int,
           shift: int, teams: int, priorities: list[float], time_limit_s: float) -> tuple[list[list[int]], int]:
    """Solve the routing model on nodes ``[0 start, 1 end, candidates...]``; return node orders and cost.

    Most of the time limit is shared by :data:`FIRST_SOLUTIONS`: each strategy builds a first plan that
    guided local search improves for its share of the time, and the cheapest wins. Priority exchanges
    (:mod:`geo.patrol.exchange`) then look for chains of moves the local search missed; when they gain,
    guided local search polishes the result for the rest of the time.
    """
    started = clock.perf_counter()
    penalties = _penalties(priorities, teams=teams, shift=shift)
    penalty_of = {c + 2: pen for c, pen in zip(candidates, penalties, strict=True)}
    priority_of = {c + 2: p for c, p in zip(candidates, priorities, strict=True)}
    rows = seconds.tolist()
    checker = RouteChecker(rows, [None, None, *windows], dwell=dwell, shift=shift)

    def cost(orders: list[list[int]]) -> int:
        visited = {n for order in orders for n in order}
        walked = sum(checker.walk(order) or 0 for order in orders)
        return walked + sum(pen for node, pen in penalty_of.items() if node not in visited)

    model = {"candidates": candidates, "seconds": seconds, "windows": windows, "dwell": dwell, "shift": shift,
             "teams": teams, "penalties": penalties}
    best: list[list[int]] | None = None
    share = time_limit_s * _FIRST_SHARE / len(FIRST_SOLUTIONS)
    for strategy in FIRST_SOLUTIONS:
        found = _route_once(**model, time_limit_s=share, strategy=strategy)
        if found is not None and (best is None or cost(found) < cost(best)):
            best = found
    if best is None:
        return [[] for _ in range(teams)], cost([[] for _ in range(teams)])
    deadline = started + time_limit_s * (_FIRST_SHARE + 1) / 2
    visited = {n for order in best for n in order}
    exchanged = improve(best, [n for n in penalty_of if n not in visited], checker=checker, priority=priority_of,
                        deadline=deadline)
    if cost(exchanged) < cost(best):
        best = exchanged
        left = time_limit_s - (clock.perf_counter() - started)
        if left > 0.05:
            polished = _route_once(**model, time_limit_s=left, strategy=FIRST_SOLUTIONS[0], initial=best)
            if polished is not None and cost(polished) < cost(best):
                best = polished
    return best, cost(best)


def _route_once(candidates: list[int], *, seconds: np.ndarray, windows: list[tuple[int, int] | None], dwell: int,
                shift: int, teams: int, penalties: list[int], time_limit_s: float, strategy: str,
                initial: list[list[int]] | None = None) -> list[list[int]] | None:
    """Solve once with one first-solution strategy (or from ``initial`` routes); return the node orders."""
    nodes = [0, 1, *[c + 2 for c in candidates]]
    size = len(nodes)
    sub = seconds[np.ix_(nodes, nodes)]
    service = np.array([0, 0, *([dwell] * len(candidates))], dtype=np.int64)
    manager = pywrapcp.RoutingIndexManager(size, teams, [0] * teams, [1] * teams)
    routing = pywrapcp.RoutingModel(manager)
    walk_rows = sub.tolist()
    busy = (sub + service[:, None]).tolist()

    def walk(from_index: int, to_index: int) -> int:
        return walk_rows[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    def walk_and_dwell(from_index: int, to_index: int) -> int:
        return busy[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    arc = routing.RegisterTransitCallback(walk)
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    timed = routing.RegisterTransitCallback(walk_and_dwell)
    routing.AddDimension(timed, shift, shift, True, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for position, node in enumerate(nodes[2:], start=2):
        index = manager.NodeToIndex(position)
        window = windows[node - 2]
        if window is not None:
            time_dim.CumulVar(index).SetRange(max(0, window[0]), min(shift, window[1]))
        routing.AddDisjunction([index], penalties[position - 2])
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, METAHEURISTIC)
    if EXTRA_OPERATORS:
        operators = params.local_search_operators
        for name in EXTRA_OPERATORS:
            setattr(operators, name, optional_boolean_pb2.BOOL_TRUE)
    if GLS_LAMBDA is not None:
        params.guided_local_search_lambda_coefficient = GLS_LAMBDA
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if initial is None:
        solution = routing.SolveWithParameters(params)
    else:
        routing.CloseModelWithParameters(params)
        position = {node: i for i, node in enumerate(nodes)}
        start = routing.ReadAssignmentFromRoutes(
            [[manager.NodeToIndex(position[n]) for n in order] for order in initial], True)
        solution = routing.SolveFromAssignmentWithParameters(start, params) if start is not None else None
    if solution is None:
        return None
    orders = []
    for vehicle in range(teams):
        index, order = routing.Start(vehicle), []
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            order.append(nodes[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        orders.append(order)
    return orders
