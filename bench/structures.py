"""Several structures in one PostgreSQL database: what confining a store to a structure costs.

Prints, on a throwaway PostgreSQL/PostGIS (``tests/postgres_server.py``) holding the demo in the default
structure and in a second one: opening a store (default / a structure), the snapshot read behind the pages
(cold: built; warm: read) in each, the quartier × category × week aggregation, and the réseau figures of both.

    .venv/bin/python bench/structures.py [--reports 100000]
"""

from __future__ import annotations

import argparse
import time

from _common import ROOT  # noqa: F401 - puts the project on sys.path

from geo.analysis.aggregation import aggregate_reports, parse_group_keys
from geo.demo.build import build_demo_store
from geo.settings import DATA_DIR
from geo.sharing.network_view import network_figures
from geo.store.database import Store
from geo.store.snapshot import load_reports
from geo.store.structures import add_structure
from geo.taxonomy import load_taxonomy
from tests.postgres_server import missing_postgres, running_postgres


def _open(url: str, code: str | None) -> None:
    Store(url, structure=code).engine.dispose()


def _timed(label: str, func, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<58} {best * 1000:9.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()
    reason = missing_postgres()
    if reason:
        raise SystemExit(f"PostgreSQL indisponible : {reason}")
    taxonomy = load_taxonomy(DATA_DIR / "taxonomy.json")
    columns = ["observed_at", "neighbourhood", "category"]
    keys = parse_group_keys("neighbourhood,category,week")
    with running_postgres() as server:
        url = server.create_database("bench_structures")
        add_structure(url, "quetigny", name="Pimms Quetigny")
        for code in (None, "quetigny"):
            store = Store(url, structure=code)
            started = time.perf_counter()
            build_demo_store(store, taxonomy=taxonomy, reports=args.reports, seed=7 if code else 42)
            print(f"demo of {args.reports:,} reports in {code or 'the default structure'}: "
                  f"{time.perf_counter() - started:.1f} s")
        _timed("open a store: default structure (best of 5)", lambda: _open(url, None), 5)
        _timed("open a store: structure quetigny (best of 5)", lambda: _open(url, "quetigny"), 5)
        for code in (None, "quetigny"):
            store = Store(url, structure=code)
            name = code or "default"
            frame = _timed(f"snapshot read, cold (built) [{name}]", lambda s=store: load_reports(s, columns=columns))
            frame = _timed(f"snapshot read, warm (best of 3) [{name}]",
                           lambda s=store: load_reports(s, columns=columns), 3)
            table = store.neighbourhood_table()
            _timed(f"aggregate quartier x category x week, warm (best of 3) [{name}]",
                   lambda f=frame, t=table: aggregate_reports(f, t, by=keys), 3)
            print(f"  {len(frame):,} reports read in {name}")
        figures = _timed("réseau figures, both structures (best of 2)",
                         lambda: network_figures(url, taxonomy=taxonomy), 2)
        masked = int(figures.table["signalements"].str.startswith("<").sum())
        print(f"  {len(figures.table):,} rows of structure x quartier x category x month, {masked:,} masked")


if __name__ == "__main__":
    main()
