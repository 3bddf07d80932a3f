"""Scheduled commands (``alerts --detect``, ``digest --due``, ``retention``) go through every structure of the
database when run without ``--structure`` (PostgreSQL), through the named one with it, and on one structure
(every SQLite store) print exactly what they did before, never naming it."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from geo.alerts.registry import list_alerts
from geo.demo.build import build_demo_store
from geo.store.database import Store
from geo.store.structures import add_structure, scoped_url
from tests.commandline import last_json, run
from tests.two_structures import build

WORD = re.compile(r"structures?\b", re.IGNORECASE)
DEMO_END = pd.Timestamp("2026-03-02")
NOW = "2026-03-02T09:00"  # a Monday: weekly digests are due


@pytest.fixture
def demo_structures(db_url: str, backend: str, taxonomy) -> list[str]:
    """The demo in the default structure and, on PostgreSQL, in a second one (``quetigny``) too."""
    urls = [db_url]
    if backend == "postgresql":
        add_structure(db_url, "quetigny", name="Pimms Quetigny")
        urls.append(scoped_url(db_url, "quetigny"))
    for url in urls:
        store = Store(url)
        build_demo_store(store, taxonomy=taxonomy, reports=3000, end=DEMO_END)
        store.engine.dispose()
    return urls


def test_alerts_and_digests_of_every_structure(capsys, db_url, backend, demo_structures, smtp):
    code, out, err = run(capsys, "--db", db_url, "alerts", "--detect", "--as-of", "2026-03-01")
    assert code == 0, err
    detected = json.loads(out.strip().splitlines()[-1])
    code, out, err = run(capsys, "--db", db_url, "digest", "--due", "--send", "--now", NOW)
    assert code == 0, err
    summary = last_json(out)
    assert summary["failed"] == 0 and summary["sent"] == len(summary["due"]) == len(smtp.messages) > 0
    if backend == "sqlite":  # one structure: the output of before, which never names it
        assert "by_structure" not in summary and all("structure" not in a for a in detected)
        assert not WORD.search(out + err)
        return
    # every structure's alerts were detected and stored, each in its own structure
    by_code = {code: [a for a in detected if a["structure"] == code] for code in ("principale", "quetigny")}
    assert by_code["principale"] and by_code["quetigny"]
    for code, url in zip(("principale", "quetigny"), demo_structures, strict=True):
        stored = {(a["neighbourhood"], a["category"], a["week"], a["method"]) for a in list_alerts(Store(url))}
        assert stored == {(a["neighbourhood"], a["category"], a["week"], a["method"]) for a in by_code[code]}
    # every structure's digests were sent: the same demo partners in both, each structure's own
    breakdown = {b["structure"]: b for b in summary["by_structure"]}
    assert set(breakdown) == {"principale", "quetigny"}
    assert breakdown["principale"]["sent"] > 0 and breakdown["quetigny"]["sent"] > 0
    assert breakdown["principale"]["sent"] + breakdown["quetigny"]["sent"] == summary["sent"]
    assert {d["structure"] for d in summary["due"]} == {"principale", "quetigny"}
    assert "[quetigny]" in err and "[principale]" in err
    for url in demo_structures:
        assert not list_alerts(Store(url), statuses=["nouvelle"])  # every alert sent, in both structures
    # run again: nothing is due anywhere, nothing sent twice
    code, out, err = run(capsys, "--db", db_url, "digest", "--due", "--send", "--now", NOW)
    summary = last_json(out)
    assert code == 0 and summary["due"] == [] and summary["sent"] == 0
    assert [b["due"] for b in summary["by_structure"]] == [0, 0]


def test_named_structure_only(capsys, db_url, backend, demo_structures, smtp):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    code, out, err = run(capsys, "--db", db_url, "--structure", "quetigny", "alerts", "--detect", "--as-of",
                         "2026-03-01")
    assert code == 0, err
    assert {a["structure"] for a in json.loads(out.strip().splitlines()[-1])} == {"quetigny"}
    assert not list_alerts(Store(db_url))  # nothing detected in the default structure
    code, out, err = run(capsys, "--db", db_url, "--structure", "quetigny", "digest", "--due", "--send",
                         "--now", NOW)
    assert code == 0, err
    summary = last_json(out)
    assert [b["structure"] for b in summary["by_structure"]] == ["quetigny"]
    assert summary["sent"] == summary["by_structure"][0]["sent"] == len(smtp.messages) > 0
    # the default structure named by its code: that one only
    code, out, err = run(capsys, "--db", db_url, "--structure", "principale", "alerts", "--detect", "--as-of",
                         "2026-03-01")
    assert code == 0 and {a["structure"] for a in json.loads(out.strip().splitlines()[-1])} == {"principale"}
    code, out, err = run(capsys, "--db", db_url, "--structure", "inconnue", "digest", "--due")
    assert code == 2 and "structure inconnue" in err


def test_retention_of_every_structure(capsys, db_url, backend, taxonomy, tmp_path):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    two = build(db_url, tmp_path, taxonomy)  # March 2026: 6 reports in the default structure, 7 in the second
    code, out, err = run(capsys, "--db", db_url, "retention", "--months", "6")
    assert code == 0, err
    summary = last_json(out)
    breakdown = {b["structure"]: b for b in summary["by_structure"]}
    assert (breakdown["principale"]["reports"], breakdown["quetigny"]["reports"]) == (6, 7)
    assert summary["reports"] == 13 and summary["applied"] is False
    assert {"cutoff", "months", "files", "files_kept", "quarantine_rows", "photos"} <= set(summary)
    # --apply with --structure: that structure only
    code, out, err = run(capsys, "--db", db_url, "--structure", "quetigny", "retention", "--months", "6", "--apply")
    assert code == 0, err
    summary = last_json(out)
    assert summary["reports"] == 7 and [b["structure"] for b in summary["by_structure"]] == ["quetigny"]
    second = Store(two.second_url).read_reports(columns=("id", "description"))
    first = Store(db_url).read_reports(columns=("id", "description"))
    assert second["description"].isna().all() and first["description"].notna().all()
    # then the whole database: only the default structure still has something to anonymise
    code, out, err = run(capsys, "--db", db_url, "retention", "--months", "6", "--apply")
    summary = last_json(out)
    assert code == 0 and summary["reports"] == 6
    assert [(b["structure"], b["reports"]) for b in summary["by_structure"]] == [("principale", 6), ("quetigny", 0)]


def test_retention_of_one_structure_is_never_named(capsys, tmp_store):
    code, out, err = run(capsys, "--db", tmp_store.url, "import", "tests/fixtures/odk_veille.csv")
    assert code == 0, err
    code, out, err = run(capsys, "--db", tmp_store.url, "retention", "--months", "1")
    assert code == 0, err
    summary = last_json(out)
    assert set(summary) == {"cutoff", "months", "reports", "files", "files_kept", "quarantine_rows", "photos",
                            "applied"}
    assert summary["reports"] > 0 and not WORD.search(out + err)


def test_a_failing_structure_does_not_stop_the_others(capsys, db_url, backend, taxonomy, tmp_path):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    build(db_url, tmp_path, taxonomy)
    with Store(db_url).engine.begin() as conn:  # the second structure's reports cannot be read any more
        conn.exec_driver_sql("ALTER TABLE veille_quetigny.reports RENAME TO reports_ailleurs")
    code, out, err = run(capsys, "--db", db_url, "retention", "--months", "6", "--apply")
    assert code == 1 and "Traceback" not in err
    summary = last_json(out)
    assert [(b["structure"], b["reports"]) for b in summary["by_structure"]] == [("principale", 6)]
    assert summary["reports"] == 6 and [e["structure"] for e in summary["errors"]] == ["quetigny"]
    assert "[quetigny] erreur : le stockage a refusé l'opération" in err
    assert Store(db_url).read_reports(columns=("id", "description"))["description"].isna().all()
    code, out, err = run(capsys, "--db", db_url, "alerts", "--detect", "--as-of", "2026-03-20")
    assert code == 1 and "[quetigny] erreur" in err and "[principale]" in err
    assert json.loads(out.strip().splitlines()[-1]) == [] or \
        {a["structure"] for a in json.loads(out.strip().splitlines()[-1])} == {"principale"}
