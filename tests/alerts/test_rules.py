"""Threshold rules: severity 3 at once, N reports of a category within D metres in H hours (per partner)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from geo.alerts.partner_lookup import load_partner_directory
from geo.alerts.registry import Subscription, set_subscription
from geo.alerts.watch import run_watch
from geo.store.database import REPORT_FIELDS, Store
from geo.workflow import load_registry_files
from tests.conftest import FIXTURES, NORTH_POINT

TZ = "Europe/Paris"
AS_OF = "2026-03-04"


def add_reports(store: Store, rows: list[dict]) -> None:
    base = {"batch_id": None, "source_id": None, "category_label": None, "registre": "veille_technique",
            "severity": 1, "status": "nouveau", "description": "Texte libre", "team": "Équipe A", "author": None,
            "neighbourhood": "nord", "flags": None, "raw": None, "created_at": 0, "updated_at": 0, "row_number": None}
    with store.transaction() as conn:
        store.insert_reports(conn, [tuple({**base, **r}[f] for f in REPORT_FIELDS) for r in rows])


def at(text: str) -> int:
    return int(pd.Timestamp(text, tz=TZ).timestamp())


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_200, lon + east_m / (111_200 * math.cos(math.radians(lat)))


@pytest.fixture
def tmp_store(tmp_store: Store, taxonomy) -> Store:
    """The two-quartier store with a few partners routed by category (``*`` routes)."""
    load_registry_files(tmp_store, FIXTURES / "alerts_partners.csv", FIXTURES / "alerts_routing.csv",
                        taxonomy=taxonomy)
    return tmp_store


def rule_alerts(store: Store, method: str) -> list[dict]:
    directory = load_partner_directory(store)
    return [a for a in run_watch(store, as_of=AS_OF, timezone=TZ, directory=directory) if a["method"] == method]


def test_severity_three_alerts_its_partner_at_once(tmp_store):
    lat, lon = NORTH_POINT
    add_reports(tmp_store, [
        {"id": "r1", "observed_at": at("2026-03-04 10:00"), "lat": lat, "lon": lon, "category": "rodeo",
         "severity": 3},
        {"id": "r2", "observed_at": at("2026-03-04 11:00"), "lat": lat, "lon": lon, "category": "rodeo",
         "severity": 2},
        {"id": "r3", "observed_at": at("2026-03-05 09:00"), "lat": lat, "lon": lon, "category": "rodeo",
         "severity": 3},  # after --as-of: not seen
    ])
    [alert] = rule_alerts(tmp_store, "regle_gravite_3")
    assert alert["report_ids"] == ["r1"] and alert["partner"] == "police-municipale"
    assert alert["week"] == "2026-03-02" and alert["neighbourhood"] == "nord"
    set_subscription(tmp_store, Subscription("police-municipale", severity3=False))
    assert rule_alerts(tmp_store, "regle_gravite_3") == []


def test_proximity_rule_counts_reports_within_distance_and_hours(tmp_store):
    lat, lon = NORTH_POINT
    near = [offset(lat, lon, 60 * math.sin(k), 60 * math.cos(k)) for k in range(5)]  # all within 120 m
    rows = [{"id": f"p{k}", "observed_at": at(f"2026-03-04 0{k}:30"), "lat": la, "lon": lo, "category": "proprete"}
            for k, (la, lo) in enumerate(near)]
    far = offset(lat, lon, 0, 900)
    rows.append({"id": "far", "observed_at": at("2026-03-04 08:00"), "lat": far[0], "lon": far[1],
                 "category": "proprete"})
    add_reports(tmp_store, rows)
    [alert] = rule_alerts(tmp_store, "regle_proximite")  # default: 5 within 200 m in 48 h
    assert alert["report_ids"] == [f"p{k}" for k in range(5)]
    assert alert["partner"] == "ville-proprete" and alert["observed"] == 5 and alert["threshold"] == 5
    set_subscription(tmp_store, Subscription("ville-proprete", cluster_n=5, cluster_distance_m=30.0))
    assert rule_alerts(tmp_store, "regle_proximite") == []  # points up to ~120 m apart: none within 30 m of all
    set_subscription(tmp_store, Subscription("ville-proprete", cluster_n=6, cluster_distance_m=2000.0))
    [wide] = rule_alerts(tmp_store, "regle_proximite")
    assert "far" in wide["report_ids"]
    set_subscription(tmp_store, Subscription("ville-proprete", cluster_n=5, cluster_hours=2.0))
    assert rule_alerts(tmp_store, "regle_proximite") == []  # the five span more than 2 hours before the cut
