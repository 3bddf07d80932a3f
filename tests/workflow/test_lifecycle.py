"""Lifecycle: allowed and refused transitions, history, atomic bulk changes, duplicates, imported statuses, CLI."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.importer import import_file
from geo.store import schema
from geo.workflow.duplicates import confirm_duplicate, suggest_duplicates
from geo.workflow.imported import record_import_history
from geo.workflow.lifecycle import (
    TRANSITIONS,
    change_status,
    change_statuses,
    parse_when,
    read_history,
    resolve_report_id,
    transition_error,
)
from geo.workflow.queue import ReportQuery, count_reports, list_reports
from geo.workflow.routing import load_registry_files
from tests.commandline import run
from tests.conftest import FIXTURES, NORTH_POINT, SOUTH_POINT

PARTNERS = "id;name;type;emails;target_days\nville;Ville;ville;v@ville.example;5\n"
ROUTING = "category;neighbourhood;partner\ntags;*;ville\nproprete;*;ville\n"
TZ = "Europe/Paris"


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


@pytest.fixture
def store(tmp_store, taxonomy, tmp_path):
    """Five reports: tags (routed) a, b, c, d in the north, one rodeo (no route) e, in a registry."""
    (tmp_path / "p.csv").write_text(PARTNERS, encoding="utf-8")
    (tmp_path / "r.csv").write_text(ROUTING, encoding="utf-8")
    load_registry_files(tmp_store, tmp_path / "p.csv", tmp_path / "r.csv", taxonomy=taxonomy)
    lines = ["id;date;latitude;longitude;categorie",
             f"a;01/03/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags",
             f"b;01/03/2026 12:00;{NORTH_POINT[0] + 0.0002};{NORTH_POINT[1]};tags",  # 22 m north of a, 2 h later
             f"c;05/03/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags",  # same place, 4 days later
             f"d;01/03/2026 11:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};tags",  # 4 km away
             f"e;02/03/2026 10:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};rodeo"]
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(tmp_store, path, taxonomy=taxonomy, options=None)
    return tmp_store


def status_of(store, rid: str) -> str:
    return store.get_report(rid)["status"]


NOW = at("2026-03-20 12:00")


def test_transition_table_has_every_status_and_refuses_nonsense():
    assert transition_error("nouveau", "transmis") is None
    assert transition_error("transmis", "pris_en_charge") is None
    assert transition_error("pris_en_charge", "resolu") is None
    assert "transmis à son partenaire avant" in transition_error("nouveau", "pris_en_charge")
    assert "déjà" in transition_error("resolu", "resolu")
    assert "refusé" in transition_error("resolu", "pris_en_charge")
    assert "refusé" in transition_error("pris_en_charge", "nouveau")
    assert "statut inconnu" in transition_error("nouveau", "fini")
    assert set(TRANSITIONS) == {"nouveau", "transmis", "pris_en_charge", "resolu", "clos_sans_suite", "doublon"}


def test_a_report_goes_through_its_life_and_every_change_is_kept(store):
    change_status(store, "import:a", "transmis", at=at("2026-03-02 09:00"), by="Léa", comment="mail envoyé",
                  now=NOW)
    change_status(store, "import:a", "pris_en_charge", at=at("2026-03-03 09:00"), by="Ville", now=NOW)
    change_status(store, "import:a", "resolu", at=at("2026-03-06 17:30"), by="Ville", now=NOW)
    history = read_history(store, ["import:a"])
    assert history[["from_status", "to_status", "changed_by"]].to_numpy().tolist() == [
        ["nouveau", "transmis", "Léa"], ["transmis", "pris_en_charge", "Ville"],
        ["pris_en_charge", "resolu", "Ville"]]
    assert history["changed_at"].iloc[0] == at("2026-03-02 09:00")
    assert history["note"].iloc[0] == "mail envoyé"
    assert history["recorded_at"].iloc[0] > history["changed_at"].iloc[0]  # typed later than it happened
    assert status_of(store, "import:a") == "resolu"


@pytest.mark.parametrize(("steps", "new", "message"), [
    ([], "pris_en_charge", "transmis à son partenaire avant"),
    ([("transmis", "2026-03-02 09:00")], "nouveau", "refusé"),
    ([], "resolu_vite", "statut inconnu"),
])
def test_refused_transitions_change_nothing(store, steps, new, message):
    for status, when in steps:
        change_status(store, "import:a", status, at=at(when), now=NOW)
    before = read_history(store, ["import:a"])
    with pytest.raises(InputError, match=message):
        change_status(store, "import:a", new, now=NOW)
    pd.testing.assert_frame_equal(read_history(store, ["import:a"]), before)


def test_times_must_follow_observation_and_last_change_and_not_be_future(store):
    with pytest.raises(InputError, match="précède l'observation"):
        change_status(store, "import:a", "transmis", at=at("2026-02-28 10:00"), now=NOW)
    with pytest.raises(InputError, match="futur"):
        change_status(store, "import:a", "transmis", at=at("2026-03-25 10:00"), now=NOW)
    change_status(store, "import:a", "transmis", at=at("2026-03-04 10:00"), now=NOW)
    with pytest.raises(InputError, match="précède le dernier changement"):
        change_status(store, "import:a", "resolu", at=at("2026-03-03 10:00"), now=NOW)


def test_transmis_needs_a_partner(store):
    assert store.get_report("import:e")["partner"] is None
    with pytest.raises(InputError, match="aucun partenaire"):
        change_status(store, "import:e", "transmis", now=NOW)


def test_bulk_change_is_atomic(store):
    change_status(store, "import:c", "transmis", at=at("2026-03-06 10:00"), now=NOW)
    # c is already transmitted and e has no partner: nothing moves, both reasons are listed
    with pytest.raises(InputError) as refused:
        change_statuses(store, ["import:a", "import:b", "import:c", "import:d", "import:e"], "transmis",
                        at=at("2026-03-10 10:00"), now=NOW)
    assert "import:c" in str(refused.value) and "import:e" in str(refused.value)
    assert [status_of(store, f"import:{k}") for k in "abde"] == ["nouveau"] * 4
    assert len(read_history(store)) == 1
    done = change_statuses(store, ["import:a", "import:b", "import:d"], "transmis", at=at("2026-03-10 10:00"),
                           by="Coordination", now=NOW)
    assert [c.partner for c in done] == ["ville"] * 3
    assert [status_of(store, f"import:{k}") for k in "abd"] == ["transmis"] * 3
    assert len(read_history(store)) == 4


def test_duplicates_are_suggested_and_linked(store):
    suggestions = suggest_duplicates(store, distance_m=50, hours=72)
    assert suggestions[["report_id", "original_id"]].to_numpy().tolist() == [["import:b", "import:a"]]
    assert 20 < suggestions["distance_m"].iloc[0] < 25
    assert suggestions["hours_apart"].iloc[0] == 2.0
    # wider time window: c (4 days after a, same place) is suggested too, with b or a as original
    wider = suggest_duplicates(store, distance_m=50, hours=24 * 5)
    assert set(wider["report_id"]) == {"import:b", "import:c"}
    confirm_duplicate(store, "import:b", "import:a", by="Léa", at=at("2026-03-01 15:00"))
    assert store.get_report("import:b")["duplicate_of"] == "import:a"
    assert status_of(store, "import:b") == "doublon"
    # a duplicate of a duplicate is linked to the original
    change = change_status(store, "import:c", "doublon", duplicate_of="import:b", now=NOW)
    assert change.duplicate_of == "import:a"
    with pytest.raises(InputError, match="original"):
        change_status(store, "import:d", "doublon", now=NOW)
    with pytest.raises(InputError, match="lui-même"):
        change_status(store, "import:a", "doublon", duplicate_of="import:a", now=NOW)
    # reopening unlinks
    change_status(store, "import:b", "nouveau", now=NOW)
    assert store.get_report("import:b")["duplicate_of"] is None
    assert suggest_duplicates(store, distance_m=50, hours=72)["report_id"].tolist() == ["import:b"]


def test_source_id_resolves_and_ambiguity_lists_candidates(store, taxonomy, tmp_path):
    assert resolve_report_id(store, "a") == "import:a"
    assert resolve_report_id(store, "import:a") == "import:a"
    path = tmp_path / "other.csv"
    path.write_text(f"id;date;latitude;longitude;categorie\na;09/03/2026 10:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};"
                    "tags\n", encoding="utf-8")
    import_file(store, path, taxonomy=taxonomy, options=__import__("geo.ingest.importer", fromlist=["x"])
                .ImportOptions(source="autre"))
    with pytest.raises(InputError, match="ambigu") as ambiguous:
        resolve_report_id(store, "a")
    assert "autre:a" in str(ambiguous.value) and "import:a" in str(ambiguous.value)
    with pytest.raises(InputError, match="aucun signalement"):
        resolve_report_id(store, "zzz")


def test_parse_when_reads_french_and_iso_times():
    assert parse_when("02/03/2026 14:30", timezone=TZ) == pd.Timestamp("2026-03-02T13:30Z")
    assert parse_when("2026-03-02T14:30", timezone=TZ) == pd.Timestamp("2026-03-02T13:30Z")
    assert parse_when("2026-03-02T14:30+00:00", timezone=TZ) == pd.Timestamp("2026-03-02T14:30Z")
    with pytest.raises(InputError, match="date illisible"):
        parse_when("hier", timezone=TZ)


def test_ageing_bands_and_overdue(store):
    change_status(store, "import:a", "transmis", at=at("2026-03-02 10:00"), now=NOW)  # 18 days ago, target 5
    change_status(store, "import:c", "transmis", at=at("2026-03-19 10:00"), now=NOW)  # 1 day ago
    now = at("2026-03-06 09:00")  # a: 4 d 23 h old; c: 23 h old
    frame = list_reports(store, now=now, timezone=TZ).set_index("id")
    assert frame.loc["import:c", "ageing"] == "moins_48h"
    assert frame.loc["import:a", "ageing"] == "48h_10j"
    later = list_reports(store, now=NOW, timezone=TZ).set_index("id")
    assert later.loc["import:a", "ageing"] == "plus_10j"
    assert later.loc["import:a", "overdue"]  # relayed 18.1 days ago, target 5 days
    assert not later.loc["import:c", "overdue"]  # relayed 1 day ago
    assert not later.loc["import:b", "overdue"]  # never relayed
    assert round(later.loc["import:a", "age_days"], 3) == round((NOW - at("2026-03-01 10:00")).days + 2 / 24, 3)
    only = list_reports(store, ReportQuery(overdue=True), now=NOW)
    assert only["id"].tolist() == ["import:a"]
    assert list_reports(store, ReportQuery(partners=("",)), now=NOW)["id"].tolist() == ["import:e"]
    assert list_reports(store, ReportQuery(text="IMPORT:D"), now=NOW)["id"].tolist() == ["import:d"]


def test_open311_statuses_become_dated_history(tmp_store, taxonomy):
    summary = import_file(tmp_store, FIXTURES / "open311_requests.json", taxonomy=taxonomy)
    written = record_import_history(tmp_store, summary.batch_id)
    history = read_history(tmp_store)
    closed = history[history["report_id"] == "open311:638344"]
    assert written == 1 and len(history) == 1
    assert closed[["from_status", "to_status", "origin"]].to_numpy().tolist() == [["nouveau", "resolu", "import"]]
    assert closed["changed_at"].iloc[0] == pd.Timestamp("2026-02-12T08:00Z")
    assert record_import_history(tmp_store, summary.batch_id) == 0  # idempotent


def test_fixmystreet_dates_become_history(tmp_store, taxonomy, tmp_path):
    header = "Report ID,Title,Detail,Category,Created,Confirmed,Fixed,Closed,Status,Latitude,Longitude"
    lines = [
        f"1,a,b,Potholes,2026-03-03T09:00:00,2026-03-03T09:01:00,2026-03-05T11:00:00,,fixed - council,"
        f"{SOUTH_POINT[0]},{SOUTH_POINT[1]}",
        f"2,a,b,Graffiti,2026-03-04T09:00:00,,,,investigating,{SOUTH_POINT[0]},{SOUTH_POINT[1]}",
        f"3,a,b,Abandoned vehicles,2026-03-04T10:00:00,,,2026-03-06T10:00:00,not responsible,"
        f"{SOUTH_POINT[0]},{SOUTH_POINT[1]}",
        f"4,a,b,Potholes,2026-03-04T10:00:00,,,,confirmed,{SOUTH_POINT[0]},{SOUTH_POINT[1]}",
    ]
    path = tmp_path / "fms.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    summary = import_file(tmp_store, path, taxonomy=taxonomy)
    assert record_import_history(tmp_store, summary.batch_id, timezone=TZ) == 3
    got = read_history(tmp_store).set_index("report_id")
    assert got.loc["fms:1", "to_status"] == "resolu"
    assert got.loc["fms:1", "changed_at"] == pd.Timestamp("2026-03-05T10:00Z")  # 11:00 Paris
    assert got.loc["fms:3", "to_status"] == "clos_sans_suite"
    assert got.loc["fms:3", "changed_at"] == pd.Timestamp("2026-03-06T09:00Z")
    assert got.loc["fms:2", "to_status"] == "pris_en_charge"
    assert got.loc["fms:2", "origin"] == "import_sans_date"  # the file says no date for it
    assert "fms:4" not in got.index


def test_cli_status_and_reports(capsys, store):
    code, out, err = run(capsys, "--db", store.url, "status", "a", "transmis", "--at", "02/03/2026 09:00",
                         "--by", "Léa", "--comment", "relancé")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary == {"id": "import:a", "source_id": "a", "from": "nouveau", "to": "transmis",
                       "at": "2026-03-02T08:00:00+00:00", "by": "Léa", "partner": "ville", "duplicate_of": None}
    code, out, err = run(capsys, "--db", store.url, "status", "b", "doublon", "--duplicate-of", "a")
    assert code == 0, err
    code, out, err = run(capsys, "--db", store.url, "status", "a", "pris_en_charge", "--at", "01/03/2026 09:00")
    assert code == 2 and "précède" in err and "Traceback" not in err
    code, out, err = run(capsys, "--db", store.url, "reports", "--status", "transmis,doublon", "--format", "json")
    assert code == 0, err
    rows = json.loads(out.strip().splitlines()[-1])
    assert {r["id"]: (r["status"], r["partner"], r["duplicate_of"]) for r in rows} == {
        "import:a": ("transmis", "ville", None), "import:b": ("doublon", "ville", "import:a")}
    assert {"id", "source_id", "category", "neighbourhood", "status", "partner", "age_days"} <= set(rows[0])
    code, out, err = run(capsys, "--db", store.url, "reports", "--category", "rodeo", "--format", "csv")
    assert code == 0, err
    table = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff")), delimiter=";"))
    assert [(r["id"], r["neighbourhood"], r["partner"]) for r in table] == [("import:e", "sud", "")]


def test_cli_import_records_file_statuses(capsys, tmp_store):
    code, out, err = run(capsys, "--db", tmp_store.url, "import", FIXTURES / "open311_requests.json")
    assert code == 0, err
    assert "read" in json.loads(out.strip().splitlines()[-1])
    with tmp_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.status_history)).scalar() == 1


def test_limit_and_count_agree_with_the_full_list(store):
    change_status(store, "import:a", "transmis", at=at("2026-03-02 10:00"), now=NOW)
    for query in (ReportQuery(), ReportQuery(categories=("tags",)), ReportQuery(overdue=True),
                  ReportQuery(bands=("plus_10j",), categories=("tags",))):
        full = list_reports(store, query, now=NOW)
        assert count_reports(store, query, now=NOW) == len(full)
        assert list_reports(store, query, now=NOW, limit=2)["id"].tolist() == full["id"].head(2).tolist()
    assert count_reports(store, ReportQuery(overdue=True), now=NOW) == 1
    assert count_reports(store, ReportQuery(categories=("tags",)), now=NOW) == 4
