"""One field writer for the concurrency tests: ``python -m tests.field_writer URL NUMBER COUNT``.

A separate interpreter (multiprocessing under pytest re-runs an AppTest's ``__main__``) storing ``COUNT`` reports
one by one through the function the Saisie page calls. Writer ``NUMBER`` writes on its own rows of a grid inside
both the tests' territory and the demo's (Dijon). Prints one JSON line: the stored ids, every error a mediator
would see, and the times of the first and last write.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd

from geo.ingest.entry import FieldEntry, record_report
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import load_taxonomy


def write(url: str, number: int, count: int) -> dict:
    """Store ``count`` field reports of writer ``number`` in the store at ``url``; return what happened."""
    store, taxonomy = Store(url), load_taxonomy(DATA_DIR / "taxonomy.json")
    now = pd.Timestamp.now(tz="Europe/Paris")
    stored, errors, first, last = [], [], None, None
    for i in range(count):
        entry = FieldEntry(lat=47.305 + number * 0.004 + (i // 100) * 0.0004, lon=5.01 + (i % 100) * 0.0008,
                           category=("tags", "eclairage", "voirie")[i % 3], severity=1 + i % 3,
                           observed_at=now - pd.Timedelta(minutes=i + number * 2000), team=f"Équipe {number}",
                           description=f"saisie {number}-{i}")
        try:
            result = record_report(store, entry, taxonomy=taxonomy, now=now)
        except Exception as exc:  # every error a mediator would see is reported, none hidden
            errors.append(repr(exc))
            continue
        if result.errors:
            errors.append(json.dumps(result.errors, ensure_ascii=False))
        else:
            stored.append(result.report_id)
        last = time.time()
        first = first or last
    return {"stored": stored, "errors": errors, "first": first, "last": last}


if __name__ == "__main__":
    print(json.dumps(write(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
