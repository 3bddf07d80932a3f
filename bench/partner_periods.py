"""What fixed periods cost partners: items listed and exact cells, « depuis le début » derived from months
against the former free all-dates view, per partner, on a demo store; and the time to build the views.

Usage: .venv/bin/python bench/partner_periods.py [--reports 20000] [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TZ = "Europe/Paris"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--work", default="/tmp/veille-bench-periods")
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from geo.demo.build import build_demo_store
    from geo.settings import DATA_DIR
    from geo.sharing.config import SharingSettings
    from geo.sharing.disclosure import SHOWN
    from geo.sharing.period_view import fixed_partner_view
    from geo.sharing.periods import available_periods, first_report_month
    from geo.sharing.privacy import partner_view
    from geo.sharing.scope import list_partners, partner_scope
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(DATA_DIR / "taxonomy.json")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"demo-{args.reports}.sqlite"
    now = pd.Timestamp.now(tz=TZ).floor("h")
    store = Store(f"sqlite:///{path}")
    if store.count_reports() == 0:
        build_demo_store(store, taxonomy=taxonomy, reports=args.reports, seed=3, end=now)
    settings = SharingSettings()
    offered = available_periods(first_report_month(store, timezone=TZ), now=now, timezone=TZ)
    everything = offered["tout"][0]
    print(f"{store.count_reports()} reports; « {everything.label} »: {len(everything.months())} months")
    totals = np.zeros(4, dtype=int)
    seconds = {"free": 0.0, "tout": 0.0, "mois": 0.0}
    for partner in list_partners(store):
        scope = partner_scope(store, partner, taxonomy=taxonomy)
        t = time.perf_counter()
        free = partner_view(store, scope, taxonomy=taxonomy, settings=settings, end=everything.end, now=now,
                            timezone=TZ)
        seconds["free"] += time.perf_counter() - t
        t = time.perf_counter()
        fixed = fixed_partner_view(store, scope, everything, taxonomy=taxonomy, settings=settings, now=now,
                                   timezone=TZ)
        seconds["tout"] += time.perf_counter() - t
        t = time.perf_counter()
        fixed_partner_view(store, scope, offered["mois"][0], taxonomy=taxonomy, settings=settings, now=now,
                           timezone=TZ)
        seconds["mois"] += time.perf_counter() - t
        row = (len(free.items), len(fixed.items), int((free.figures.status == SHOWN).sum()),
               int((fixed.figures.status == SHOWN).sum()))
        totals += row
        print(f"{partner:<28} items listed: free all-dates {row[0]:>6}, derived « tout » {row[1]:>6}; "
              f"exact cells {row[2]:>3} -> {row[3]:>3} of {fixed.figures.status.size}")
    print(f"total items listed {totals[0]} -> {totals[1]}; exact cells {totals[2]} -> {totals[3]}")
    print(f"build time over {len(list_partners(store))} partners: free all-dates {seconds['free']:.2f} s, "
          f"derived « tout » {seconds['tout']:.2f} s, last month {seconds['mois']:.2f} s")


if __name__ == "__main__":
    main()
