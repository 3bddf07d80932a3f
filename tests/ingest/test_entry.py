import pandas as pd

from geo.ingest.entry import FieldEntry, record_report
from tests.conftest import NORTH_POINT, OUTSIDE_POINT

NOW = pd.Timestamp("2026-11-25 10:00", tz="Europe/Paris")


def entry(**kw):
    base = {"lat": NORTH_POINT[0], "lon": NORTH_POINT[1], "category": "eclairage",
            "observed_at": NOW - pd.Timedelta(hours=1), "severity": 2, "description": "Lampadaire éteint"}
    return FieldEntry(**{**base, **kw})


def test_valid_entry_is_stored_at_once_with_its_neighbourhood(tmp_store, taxonomy):
    before = tmp_store.data_version()
    result = record_report(tmp_store, entry(), taxonomy=taxonomy, now=NOW)
    assert result.ok and result.errors == {}
    assert result.neighbourhood == "nord"
    stored = tmp_store.get_report(result.report_id)
    assert stored["category"] == "eclairage" and stored["registre"] == "veille_technique"
    assert stored["severity"] == 2 and stored["status"] == "nouveau"
    assert tmp_store.data_version() > before
    batches = tmp_store.list_batches()
    assert batches.iloc[0]["source_format"] == "form" and batches.iloc[0]["stored"] == 1


def test_errors_are_keyed_by_field_and_nothing_is_stored(tmp_store, taxonomy):
    result = record_report(tmp_store, entry(lat=None, observed_at=NOW + pd.Timedelta(days=2), category="nope"),
                           taxonomy=taxonomy, now=NOW)
    assert not result.ok
    assert set(result.errors) >= {"lat", "observed_at", "category"}
    assert "futur" in result.errors["observed_at"]
    assert tmp_store.count_reports() == 0


def test_entry_outside_territory_is_stored_without_neighbourhood(tmp_store, taxonomy):
    result = record_report(tmp_store, entry(lat=OUTSIDE_POINT[0], lon=OUTSIDE_POINT[1]), taxonomy=taxonomy, now=NOW)
    assert result.ok and result.neighbourhood is None
    assert tmp_store.list_batches().iloc[0]["outside_territory"] == 1


def test_same_entry_twice_is_a_duplicate(tmp_store, taxonomy):
    first = record_report(tmp_store, entry(), taxonomy=taxonomy, now=NOW)
    second = record_report(tmp_store, entry(), taxonomy=taxonomy, now=NOW)
    assert first.report_id == second.report_id
    assert tmp_store.count_reports() == 1
