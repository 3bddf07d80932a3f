"""Benchmark the patrol solver: 100 candidates, 4 teams, a 2-hour shift.

For each seed, an instance of 100 candidate stops drawn within about 2.5 km of the office (Dijon centre,
priorities 1–5, one in eight with a 30-minute time window), walking by straight line × 1.3 at 4.5 km/h,
15-minute stops. It is solved with the default time limit (``geo.patrol.solver.DEFAULT_TIME_LIMIT_S``,
the CLI's default) and with a 60-second limit; the script prints the solve time (target ≤ 5 s), the
priority covered (the objective maximised) and the solver's cost (walking seconds plus penalties of the
stops left out), and how much worse the short solve is than the long one (target ≤ 2 %). Both solves use
the same search (first-solution portfolio, guided local search, priority exchanges; see
``geo.patrol.solver``). Nothing is asserted.

Usage::

    .venv/bin/python bench/patrol.py [--seeds 4] [--limit S] [--long 60]
"""

from __future__ import annotations

import argparse
import os
import random
import time as clock
from datetime import datetime, time
from zoneinfo import ZoneInfo

import _common  # noqa: F401 - puts the project on sys.path

from geo.patrol.solver import DEFAULT_TIME_LIMIT_S, PlanRequest, solve
from geo.patrol.targets import Target
from geo.patrol.walking import StraightLineWalking

OFFICE = (47.3220, 5.0415)
AT = datetime(2026, 12, 4, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))


def instance(seed: int, n: int = 100) -> list[Target]:
    rng = random.Random(seed)
    targets = []
    for i in range(n):
        window = (None, None)
        if rng.random() < 1 / 8:
            opening = rng.randrange(14 * 60 + 15, 15 * 60 + 30, 5)
            window = (time(opening // 60, opening % 60), time((opening + 30) // 60, (opening + 30) % 60))
        targets.append(Target(f"cible {i}", OFFICE[0] + rng.uniform(-0.022, 0.022),
                              OFFICE[1] + rng.uniform(-0.033, 0.033), rng.choice([1, 1, 2, 2, 3, 4, 5]), "bench",
                              window_start=window[0], window_end=window[1]))
    return targets


def run(targets: list[Target], limit: float):
    request = PlanRequest(teams=4, shift_minutes=120, start=OFFICE, at=AT, dwell_minutes=15, time_limit_s=limit)
    started = clock.perf_counter()
    plan = solve(targets, request=request, walking=StraightLineWalking(speed_kmh=4.5, detour=1.3))
    return plan, clock.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--limit", type=float, default=DEFAULT_TIME_LIMIT_S, help="short solve's time limit (s)")
    parser.add_argument("--long", type=float, default=60.0, help="reference solve's time limit (s)")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    print(f"100 candidates, 4 teams, 120-min shift, 15-min stops; short limit {args.limit:g} s, long {args.long:g} s")
    worst_time, worst_gap = 0.0, 0.0
    for seed in range(1, args.seeds + 1):
        targets = instance(seed)
        short, t_short = run(targets, args.limit)
        long, t_long = run(targets, args.long)
        gap_priority = (long.objective - short.objective) / long.objective * 100
        gap_cost = (short.solver_cost - long.solver_cost) / long.solver_cost * 100
        walk_s = sum(r.walking_minutes for r in short.routes)
        walk_l = sum(r.walking_minutes for r in long.routes)
        worst_time, worst_gap = max(worst_time, t_short), max(worst_gap, gap_priority, gap_cost)
        print(f"seed {seed}: short {t_short:.2f} s: visited {short.summary()['visited']}, priority "
              f"{short.objective:g}/{short.priority_total:g}, walking {walk_s:.1f} min, cost {short.solver_cost}")
        print(f"        long  {t_long:.2f} s: visited {long.summary()['visited']}, priority "
              f"{long.objective:g}/{long.priority_total:g}, walking {walk_l:.1f} min, cost {long.solver_cost}")
        print(f"        short vs long: priority covered {gap_priority:+.2f} % worse, solver cost {gap_cost:+.2f} % "
              f"worse")
    print(f"worst short solve time {worst_time:.2f} s (target <= 5 s); worst gap {worst_gap:.2f} % (target <= 2 %)")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
