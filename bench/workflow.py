"""Time the follow-up workflow on a demo store of N reports: routing, lists, bilan, duplicates, bulk changes.

    .venv/bin/python bench/workflow.py [--reports 200000]

Prints one line per measure; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.demo.build import build_demo_store
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.store.workflow_schema import route_reports
from geo.taxonomy import load_taxonomy
from geo.workflow.activity import compute_activity
from geo.workflow.activity_pdf import activity_pdf
from geo.workflow.duplicates import suggest_duplicates
from geo.workflow.lifecycle import change_statuses
from geo.workflow.queue import ReportQuery, list_reports


def timed(label: str, call):
    start = time.perf_counter()
    result = call()
    print(f"{label:<58} {time.perf_counter() - start:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=200_000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    taxonomy = load_taxonomy(DATA_DIR / "taxonomy.json")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        end = pd.Timestamp.now(tz="Europe/Paris").floor("h")
        timed(f"demo store, {args.reports} reports (routing + follow-up)",
              lambda: build_demo_store(store, taxonomy=taxonomy, reports=args.reports, seed=1, end=end))
        with store.engine.connect() as conn:
            history = conn.exec_driver_sql("SELECT count(*) FROM status_history").scalar()
        print(f"history entries: {history}")

        def reroute():
            with store.transaction() as conn:
                return route_reports(conn)
        timed("route every report again (one UPDATE)", reroute)
        everything = timed("list_reports, no filter", lambda: list_reports(store, now=end))
        print(f"  -> {len(everything)} rows, {int(everything['overdue'].sum())} overdue")
        timed("list_reports, open and overdue", lambda: list_reports(store, ReportQuery(
            statuses=("transmis", "pris_en_charge"), overdue=True), now=end))
        timed("list_reports, text search", lambda: list_reports(store, ReportQuery(text="demo-00012"), now=end))
        year = (end - pd.Timedelta(days=365), end)
        for by in ("registre", "partner", "neighbourhood", "month"):
            activity = timed(f"compute_activity, 12 months, by {by}",
                             lambda by=by: compute_activity(store, start=year[0], end=year[1], by=by,
                                                            taxonomy=taxonomy))
        timed("activity_pdf (by month)", lambda: activity_pdf(activity, structure="Bench"))
        pairs = timed("suggest_duplicates (50 m, 72 h)", lambda: suggest_duplicates(store))
        print(f"  -> {len(pairs)} suggestions")
        ids = list_reports(store, ReportQuery(statuses=("transmis",)), now=end, limit=30)["id"].tolist()
        timed(f"change_statuses, {len(ids)} reports -> pris_en_charge",
              lambda: change_statuses(store, ids, "pris_en_charge"))
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
