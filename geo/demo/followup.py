"""Plausible follow-up of the demo reports: relays, take-ups, resolutions and duplicates, drawn with delays.

Each routed report is relayed after a delay that shortens with severity, taken up and resolved after delays
scaled by its partner's target delay and a per-partner pace (some partners are slower, so some reports are
late); a few are closed without follow-up. A step that would fall after ``end`` has not happened yet, so the
report's status is its last step before ``end``. Nearby reports of one category a few hours apart are marked
duplicates. Actions (information, collective actions…) are done when logged. Every step is a history entry;
the statuses shown and the activity report all follow from these draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from geo.store import schema
from geo.store.database import Store
from geo.taxonomy import Taxonomy
from geo.workflow.duplicates import suggest_duplicates
from geo.workflow.lifecycle import ORIGIN_DEMO, write_history
from geo.workflow.partners import read_partners

__all__ = ["simulate_followup", "RELAY_MEDIAN_HOURS", "DUPLICATE_SHARE"]

RELAY_MEDIAN_HOURS = {1: 40.0, 2: 18.0, 3: 3.0}
"""Median hours from observation to relay, per severity."""
DUPLICATE_SHARE = 0.5
"""Share of suggested duplicate pairs (75 m, 72 h) the demo coordinator confirmed."""
_CLOSED_UNRELAYED, _CLOSED_AFTER_RELAY = 0.06, 0.05
_COORDINATION = ("Coordination", "Équipe A", "Équipe B", "Équipe C", "Équipe D")


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(median.shape))


def simulate_followup(store: Store, *, taxonomy: Taxonomy, seed: int, end: pd.Timestamp) -> dict[str, int]:
    """Draw and store the follow-up of every report of ``store`` (statuses, duplicate links and history).

    Returns
    -------
    dict
        Counts of reports per final status and of history entries written.
    """
    rng = np.random.default_rng(seed + 9)
    end_s = int(pd.Timestamp(end).timestamp())
    table = schema.reports
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(table.c.id, table.c.observed_at, table.c.category, table.c.severity,
                                      table.c.partner).order_by(table.c.id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["id", "t", "category", "severity", "partner"])
    n = len(frame)
    if n == 0:
        return {}
    t0 = frame["t"].to_numpy("int64")
    kind = frame["category"].map({c.code: c.kind for c in taxonomy.categories.values()}).to_numpy(object)
    routed = frame["partner"].notna().to_numpy()
    partners = {p.id: p for p in read_partners(store)}
    ids = sorted(partners)
    pace = dict(zip(ids, rng.uniform(0.5, 1.4, len(ids)), strict=True))
    target = frame["partner"].map({p: (partners[p].target_days or 10) for p in ids}).fillna(10).to_numpy(float)
    factor = frame["partner"].map(pace).fillna(1.0).to_numpy(float)

    hour = 3600.0
    relay = t0 + _lognormal(rng, frame["severity"].map(RELAY_MEDIAN_HOURS).fillna(24.0).to_numpy(float), 0.8) * hour
    take = relay + _lognormal(rng, target * 0.25 * factor * 24, 0.7) * hour
    solve = take + _lognormal(rng, target * 0.55 * factor * 24, 0.7) * hour
    fate = rng.random(n)
    typed_late = rng.random(n) < 0.2  # entered the next morning
    by = np.asarray(_COORDINATION, dtype=object)[rng.integers(0, len(_COORDINATION), n)]

    status = np.full(n, "nouveau", dtype=object)
    duplicate_of = np.full(n, None, dtype=object)
    entries: list[tuple] = []

    def step(mask: np.ndarray, when: np.ndarray, frm: str, to: str) -> np.ndarray:
        """Move the reports of ``mask`` whose step falls before ``end``; return which moved."""
        moved = mask & (when < end_s)
        idx = np.flatnonzero(moved)
        at = when[idx].astype("int64")
        recorded = np.where(typed_late[idx], np.minimum(at + 14 * 3600, end_s), at + 120)
        entries.extend(zip(frame["id"].to_numpy(object)[idx], at, by[idx], [frm] * len(idx), [to] * len(idx),
                           recorded, strict=True))
        status[idx] = to
        return moved

    # duplicates first: suggested pairs close in space and time, a share confirmed a few hours later
    pairs = suggest_duplicates(store, distance_m=75.0, hours=72.0)
    pairs = pairs[rng.random(len(pairs)) < DUPLICATE_SHARE]
    position = pd.Series(np.arange(n), index=frame["id"])
    dup = np.zeros(n, bool)
    if len(pairs):
        dup[position[pairs["report_id"]].to_numpy()] = True
        duplicate_of[position[pairs["report_id"]].to_numpy()] = pairs["original_id"].to_numpy(object)
    marked = step(dup, t0 + rng.uniform(1, 30, n) * hour, "nouveau", "doublon")
    duplicate_of[dup & ~marked] = None

    action = (kind == "action") & ~dup
    step(action, t0 + rng.uniform(0.5, 4, n) * hour, "nouveau", "resolu")
    unrouted = ~routed & ~action & ~dup
    step(unrouted & (fate < 0.5), t0 + rng.uniform(20, 40, n) * 24 * hour, "nouveau", "clos_sans_suite")

    live = routed & ~action & ~dup
    step(live & (fate < _CLOSED_UNRELAYED), relay, "nouveau", "clos_sans_suite")
    relayed = step(live & (fate >= _CLOSED_UNRELAYED), relay, "nouveau", "transmis")
    dropped = relayed & (fate >= 1 - _CLOSED_AFTER_RELAY)
    step(dropped, take, "transmis", "clos_sans_suite")
    taken = step(relayed & ~dropped, take, "transmis", "pris_en_charge")
    step(taken, solve, "pris_en_charge", "resolu")

    history = pd.DataFrame(entries, columns=["report_id", "changed_at", "changed_by", "from_status", "to_status",
                                             "recorded_at"])
    history["origin"] = ORIGIN_DEMO
    history = history.sort_values(["report_id", "changed_at"], kind="stable")
    stamp = int(pd.Timestamp.now(tz="UTC").timestamp())
    updates = [{"rid": rid, "st": st, "dup": d} for rid, st, d in zip(frame["id"], status, duplicate_of, strict=True)]
    with store.transaction() as conn:
        conn.execute(table.update().where(table.c.id == sa.bindparam("rid"))
                     .values(status=sa.bindparam("st"), duplicate_of=sa.bindparam("dup"), updated_at=stamp), updates)
        written = write_history(conn, history)
    counts = pd.Series(status).value_counts().to_dict()
    return {**{str(k): int(v) for k, v in counts.items()}, "history": written}
