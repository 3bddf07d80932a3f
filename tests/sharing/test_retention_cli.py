"""Retention (dry run, then applied) and the ``users``, ``retention`` and ``export`` commands."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.cli.main import main
from geo.ingest.provenance import raw_row
from geo.settings import PROJECT_ROOT
from geo.sharing import accounts
from geo.sharing.config import SharingSettings
from geo.sharing.retention import apply_retention, plan_retention
from geo.store.database import Store
from geo.store.workflow_schema import photos
from tests.conftest import FIXTURES
from tests.sharing.conftest import PARTNER, PASSWORD, PLANTED


def run(capsys, *argv: str) -> tuple[int, dict, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]) if out.strip() else {}, err


def _personal(store: Store) -> pd.DataFrame:
    frame = store.read_reports(columns=("id", "observed_at", "description", "author", "raw", "batch_id"))
    return frame


def test_retention_dry_run_changes_nothing_and_apply_anonymises_old_reports_only(planted_copy, capsys):
    store = Store(planted_copy)
    code, _, _ = run(capsys, "--db", planted_copy, "import", FIXTURES / "excel_fr_cp1252.csv")
    assert code == 0
    imported = store.read_reports(columns=("id", "batch_id", "observed_at"))
    csv_batch = int(imported["batch_id"].max())
    csv_report = imported[imported["batch_id"] == csv_batch]["id"].iloc[0]
    assert raw_row(store, csv_report)  # the kept file gives the raw row back
    before = _personal(store)
    now = pd.Timestamp.now(tz="UTC")
    oldest, newest = before.nsmallest(1, "observed_at")["id"].iloc[0], before.nlargest(1, "observed_at")["id"].iloc[0]
    with store.engine.begin() as conn:  # a photo on the oldest report and one on the newest
        for report_id in (oldest, newest):
            conn.execute(photos.insert().values(report_id=report_id, added_at=0, added_by="x", filename="p.jpg",
                                                width=1, height=1, original=b"o", display=b"d", thumbnail=b"t"))
    months = 6
    cutoff = now - pd.DateOffset(months=months)
    old = before["observed_at"] < cutoff
    with_data = before[["description", "author", "raw"]].notna().any(axis=1)
    assert (old & with_data).sum() > 50 and (~old & with_data).sum() > 0

    code, summary, err = run(capsys, "--db", planted_copy, "retention", "--months", months)
    assert code == 0 and summary["applied"] is False and "Simulation" in err
    assert summary["reports"] == int((old & with_data).sum()) and summary["photos"] == 1
    pd.testing.assert_frame_equal(_personal(store), before)  # a dry run changes nothing

    code, applied, _ = run(capsys, "--db", planted_copy, "retention", "--months", months, "--apply")
    assert code == 0 and applied["applied"] is True and applied["reports"] == summary["reports"]
    after = _personal(store).set_index("id").loc[before["id"]]
    old_ids = before.loc[old, "id"]
    assert after.loc[old_ids, ["description", "author", "raw"]].isna().all().all()
    young = before.loc[~old].set_index("id")
    pd.testing.assert_frame_equal(after.loc[young.index, ["description", "author"]],
                                  young[["description", "author"]])
    assert PLANTED["author"] in set(after["author"].dropna())  # the planted reports are recent: kept
    with store.engine.connect() as conn:
        assert [r for (r,) in conn.execute(sa.select(photos.c.report_id))] == [newest]
    # the CSV's rows are all from March 2026, older than six months: its kept file is gone with its raw rows
    assert (imported[imported["batch_id"] == csv_batch]["observed_at"] < cutoff).all()
    assert applied["files"] >= 1 and raw_row(store, csv_report) is None
    again = plan_retention(store, months=months)
    assert again.reports == 0 and again.files == 0
    assert accounts.read_audit(store)[0]["action"] == "retention_applied"


def test_retention_library_keeps_files_with_younger_reports(planted_copy):
    store = Store(planted_copy)
    plan = apply_retention(store, months=1200, by="test")
    assert plan.reports == 0 and plan.applied


def test_users_add_reads_the_password_from_stdin_never_from_an_argument(planted_copy, capsys, monkeypatch):
    db = planted_copy
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code, summary, _ = run(capsys, "--db", db, "users", "add", "mairie2", "--role", "partenaire", "--partner", PARTNER,
                           "--password-stdin")
    assert code == 0 and summary == {"login": "mairie2", "role": "partenaire", "partner": PARTNER}
    user = accounts.authenticate(Store(db), "mairie2", PASSWORD, settings=SharingSettings())
    assert user.partner_id == PARTNER
    with pytest.raises(SystemExit):
        main(["--db", db, "users", "add", "x1", "--role", "equipe", "--password", PASSWORD])
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code, _, err = run(capsys, "--db", db, "users", "add", "x2", "--role", "partenaire", "--partner", "nulle-part",
                       "--password-stdin")
    assert code == 2 and "partenaire inconnu" in err


def test_users_add_prompts_for_the_password_twice(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'u.sqlite'}"
    answers = iter([PASSWORD, PASSWORD + "-autre"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run(capsys, "--db", db, "users", "add", "chef", "--role", "coordinateur")
    assert code == 2 and "diffèrent" in err and accounts.count_users(Store(db)) == 0
    answers = iter([PASSWORD, PASSWORD])
    code, summary, _ = run(capsys, "--db", db, "users", "add", "chef", "--role", "coordinateur")
    assert code == 0 and summary["role"] == "coordinateur"


def test_export_command_in_a_subprocess_prints_its_summary_last(planted_db, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    for role, extra in (("partner", ["--partner", PARTNER, "--periode", "tout"]),
                        ("coordinateur", ["--from", "2000-01-01", "--to", "2100-12-31"])):
        out = tmp_path / f"{role}.geojson"
        command = [sys.executable, "-m", "geo", "--db", planted_db, "export", "--role", role, *extra,
                   "--format", "geojson", "--out", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180, check=False)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        assert summary["out"] == str(out) and summary["format"] == "geojson" and summary["reports"] > 0
        assert ("Josiane" in out.read_text(encoding="utf-8")) is (role == "coordinateur")


def test_export_refuses_bad_requests_in_french(planted_db, tmp_path, capsys):
    code, _, err = run(capsys, "--db", planted_db, "export", "--role", "partner", "--format", "csv",
                       "--out", tmp_path / "x.csv")
    assert code == 2 and "--partner" in err
    code, _, err = run(capsys, "--db", planted_db, "export", "--role", "partner", "--partner", PARTNER,
                       "--format", "csv", "--out", tmp_path / "absent" / "x.csv")
    assert code == 2 and "dossier de sortie introuvable" in err


def test_a_partner_export_takes_fixed_periods_only_old_options_included(planted_db, tmp_path, capsys):
    """``--periode`` names a fixed period; ``--from`` / ``--to`` still work on the bounds of one, and any other
    dates get a French error and no file (a day less than a period would give that day's counts by difference)."""
    now = pd.Timestamp.now(tz="Europe/Paris")
    last = (now.floor("D") - pd.Timedelta(days=now.day)).date()  # the last day of the last completed month
    first = last.replace(day=1)
    base = ["--db", planted_db, "export", "--role", "partner", "--partner", PARTNER, "--format", "csv"]
    out = tmp_path / "mois.csv"
    code, summary, _ = run(capsys, *base, "--periode", f"{first:%Y-%m}", "--out", out)
    assert code == 0 and summary["period"].startswith("mois d") and out.exists()
    by_dates = tmp_path / "mois-dates.csv"
    code, again, _ = run(capsys, *base, "--from", f"{first}", "--to", f"{last}", "--out", by_dates)
    assert code == 0 and again["period"] == summary["period"] and by_dates.read_bytes() == out.read_bytes()
    refused = tmp_path / "refus.csv"
    for dates in (["--from", f"{first}", "--to", f"{last - dt.timedelta(days=1)}"], ["--from", f"{first}"],
                  ["--from", "2000-01-01", "--to", "2100-12-31"]):
        code, _, err = run(capsys, *base, *dates, "--out", refused)
        assert code == 2 and "périodes fixes" in err and "--periode" in err and not refused.exists(), err
    for period, said in ((f"{now:%Y-%m}", "non terminée"), ("2026-13", "période attendue"),
                         (f"{now.year + 1}", "non terminée")):
        code, _, err = run(capsys, *base, "--periode", period, "--out", refused)
        assert code == 2 and said in err and not refused.exists(), err
    code, _, err = run(capsys, *base, "--periode", "tout", "--from", f"{first}", "--out", refused)
    assert code == 2 and "ne se combine pas" in err
    # the coordinator's full export keeps free dates, and may name a period too
    code, summary, _ = run(capsys, "--db", planted_db, "export", "--role", "coordinateur", "--format", "csv",
                           "--from", f"{first}", "--to", f"{last - dt.timedelta(days=1)}", "--out", refused)
    assert code == 0 and summary["period"].startswith("du ")
