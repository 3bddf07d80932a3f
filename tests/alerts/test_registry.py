"""Stored alerts: one open alert per series, lifecycle with history, closed alerts not raised again."""

from __future__ import annotations

import pytest

from geo.alerts.registry import AlertDraft, alert_history_rows, list_alerts, public_view, record, set_status
from geo.errors import InputError


def draft(week: str, observed: int = 9) -> AlertDraft:
    return AlertDraft("stat|nord|proprete", "statistique", "nord", "proprete", week, observed, 2.0, 6.0,
                      "farrington", "ville-proprete", ["a", "b"], {"alpha": 1e-5})


def test_lifecycle_and_deduplication(empty_store):
    [first] = record(empty_store, [draft("2026-02-16")], as_of="2026-02-22")
    assert first["status"] == "nouvelle" and first["evidence"] == {"alpha": 1e-5}
    assert public_view(first) == {"neighbourhood": "nord", "category": "proprete", "week": "2026-02-16",
                                  "observed": 9, "expected": 2.0, "threshold": 6.0, "method": "farrington",
                                  "partner": "ville-proprete", "report_ids": ["a", "b"], "status": "nouvelle"}
    record(empty_store, [draft("2026-02-16")], as_of="2026-02-22")
    [moved] = record(empty_store, [draft("2026-02-23", 12)], as_of="2026-03-01")
    assert moved["id"] == first["id"] and moved["week"] == "2026-02-23" and moved["observed"] == 12
    assert len(list_alerts(empty_store)) == 1
    set_status(empty_store, [first["id"]], "envoyee", by="envoi")
    with pytest.raises(InputError, match="impossible"):
        set_status(empty_store, [first["id"]], "nouvelle")
    with pytest.raises(InputError, match="introuvable"):
        set_status(empty_store, [first["id"], 999], "acquittee")
    assert list_alerts(empty_store)[0]["status"] == "envoyee"  # all or nothing
    set_status(empty_store, [first["id"]], "close", by="coordination", note="fait")
    [same] = record(empty_store, [draft("2026-02-23")], as_of="2026-03-01")
    assert same["id"] == first["id"] and same["status"] == "close"
    [later] = record(empty_store, [draft("2026-03-02")], as_of="2026-03-08")
    assert later["id"] != first["id"] and later["status"] == "nouvelle"
    steps = [(h["from_status"], h["to_status"]) for h in alert_history_rows(empty_store, first["id"])]
    assert steps == [(None, "nouvelle"), ("nouvelle", "nouvelle"), ("nouvelle", "envoyee"), ("envoyee", "close")]
