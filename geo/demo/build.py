"""Build the demo store: the approximate Dijon territory and synthetic reports with planted patterns."""

from __future__ import annotations

import hashlib

import pandas as pd

from geo.demo.followup import simulate_followup
from geo.demo.reports import generate_demo_reports
from geo.demo.territory import DEMO_TERRITORY_NOTE, build_demo_territory
from geo.ingest.importer import report_tuples
from geo.ingest.territory import assign_neighbourhoods, install_territory
from geo.settings import DATA_DIR
from geo.store.database import Store
from geo.taxonomy import Taxonomy
from geo.workflow.routing import load_registry_files

__all__ = ["build_demo_store", "DEMO_SOURCE", "DEMO_PARTNERS", "DEMO_ROUTING"]

DEMO_SOURCE = "demo"
_INSERT_ROWS = 200_000
DEMO_PARTNERS = DATA_DIR / "partners.csv"
DEMO_ROUTING = DATA_DIR / "routing.csv"


def build_demo_store(store: Store, *, taxonomy: Taxonomy, reports: int = 20_000, seed: int = 42,
                     end: pd.Timestamp | None = None) -> dict:
    """Load the demo territory and ``reports`` synthetic reports into ``store`` (one batch).

    Returns
    -------
    dict
        The import counts (``read``, ``stored``, ``duplicates``, ``quarantined``, ``outside_territory``)
        and the territory note.
    """
    territory = build_demo_territory()
    install_territory(store, territory, source_name="demo: " + DEMO_TERRITORY_NOTE)
    frame = generate_demo_reports(territory, n=reports, seed=seed, end=end)
    valid = pd.DataFrame({
        "id": DEMO_SOURCE + ":" + frame["source_id"].astype(str) + f":{seed}",
        "source_id": frame["source_id"].astype(object),
        "observed_at": frame["observed_at"].dt.tz_convert("UTC").astype("int64") // 10**9,
        "lat": frame["lat"].astype(float), "lon": frame["lon"].astype(float),
        "category": frame["category"].astype(object), "category_label": None,
        "registre": frame["category"].map(taxonomy.registre_of).astype(object),
        "severity": frame["severity"].astype("int64"), "status": frame["status"].astype(object),
        "description": frame["description"].astype(object), "team": frame["team"].astype(object),
        "author": None,
        "neighbourhood": assign_neighbourhoods(frame["lon"].to_numpy(), frame["lat"].to_numpy(), territory),
        "flags": '["demo"]', "raw": None, "created_at": 0, "updated_at": 0, "row_number": None,
    })
    stamp = int(pd.Timestamp.now(tz="UTC").timestamp())
    valid["created_at"] = stamp
    valid["updated_at"] = stamp
    digest = hashlib.sha256(f"demo:{reports}:{seed}:{frame['observed_at'].max()}".encode()).hexdigest()
    counts = {"read": len(valid), "stored": 0, "duplicates": 0, "quarantined": 0, "outside_territory": 0}
    with store.transaction() as conn:
        batch_id = store.begin_batch(conn, source_name=f"démo ({reports} signalements, graine {seed})",
                                     content_hash=digest, source_format=DEMO_SOURCE,
                                     options={"reports": reports, "seed": seed})
        for start in range(0, len(valid), _INSERT_ROWS):
            part = valid.iloc[start:start + _INSERT_ROWS]
            outside = part["neighbourhood"].isna()
            stored_out = store.insert_reports(conn, report_tuples(part[outside], batch_id))
            stored_in = store.insert_reports(conn, report_tuples(part[~outside], batch_id))
            counts["stored"] += stored_in + stored_out
            counts["outside_territory"] += stored_out
        counts["duplicates"] = counts["read"] - counts["stored"]
        store.finish_batch(conn, batch_id, counts)
    registry = load_registry_files(store, DEMO_PARTNERS, DEMO_ROUTING, taxonomy=taxonomy)  # routes the reports
    simulate_followup(store, taxonomy=taxonomy, seed=seed, end=end if end is not None else pd.Timestamp.now(tz="UTC"))
    return {**counts, "batch_id": batch_id, "neighbourhoods": len(territory), "partners": registry["partners"],
            "note": DEMO_TERRITORY_NOTE}
