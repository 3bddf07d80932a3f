"""``python -m geo import``'s mapping and outputs, and ``python -m geo batches remove``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.formats import MAPPABLE_FIELDS
from geo.store.database import Store
from tests.commandline import last_json, run
from tests.conftest import FIXTURES, NORTH_POINT, SOUTH_POINT

# the summary's keys before ``mapping`` was added: none of them changes
SUMMARY_KEYS = {"read", "stored", "duplicates", "quarantined", "outside_territory", "unknown_categories",
                "swapped_coordinates", "batch_id", "format", "profile"}


@pytest.fixture
def db(tmp_store) -> str:
    return tmp_store.url


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text("date;categorie;latitude;longitude\n"
                    f"02/03/2026 10:00;tags;{NORTH_POINT[0]};{NORTH_POINT[1]}\n"
                    f"demain;tags;{NORTH_POINT[0]};{NORTH_POINT[1]}\n"
                    f"03/03/2026 10:00;voirie;{SOUTH_POINT[0]};{SOUTH_POINT[1]}\n", encoding="utf-8")
    return path


def test_the_summary_gives_the_mapping_used_and_nothing_else_changes(capsys, db):
    code, out, err = run(capsys, "--db", db, "import", FIXTURES / "kobo_veille.csv")
    assert code == 0, err
    summary = last_json(out)
    assert set(summary) == SUMMARY_KEYS | {"mapping"}
    assert list(summary["mapping"]) == list(MAPPABLE_FIELDS)
    assert summary["mapping"]["time"] == "start"
    assert summary["mapping"]["lat"] == "grp_obs/_point_latitude"
    assert summary["mapping"]["category"] == "grp_obs/categorie"
    assert summary["mapping"]["id"] == "_uuid"
    assert summary["mapping"]["severity"] is None and summary["mapping"]["clock"] is None
    assert "attention : date d'observation prise de la colonne « start », l'heure d'ouverture du formulaire" in err


def test_a_date_question_not_named_like_a_date_is_used_when_given(capsys, db, tmp_path):
    """A Kobo form whose date question is ``grp_obs/constat``: without --time, ``start`` is used, and said."""
    text = (FIXTURES / "kobo_veille.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "kobo.csv"
    lines = [text[0] + ";grp_obs/constat"] + [f"{line};0{n}/03/2026 08:00" for n, line in enumerate(text[1:], 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert last_json(out)["mapping"]["time"] == "start" and "métadonnée KoboToolbox/ODK" in err
    run(capsys, "--db", db, "batches", "remove", last_json(out)["batch_id"], "--yes")
    code, out, err = run(capsys, "--db", db, "import", path, "--time", "grp_obs/constat")
    assert code == 0, err
    assert last_json(out)["mapping"]["time"] == "grp_obs/constat"
    assert "métadonnée" not in err


def test_submission_time_taken_for_lack_of_a_date_question_is_said(capsys, db, tmp_path):
    text = (FIXTURES / "kobo_veille.csv").read_text(encoding="utf-8").splitlines()
    columns = text[0].split(";")
    keep = [i for i, c in enumerate(columns) if c not in ("start", "end")]
    path = tmp_path / "kobo.csv"
    path.write_text("\n".join(";".join(line.split(";")[i] for i in keep) for line in text) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 0, err
    assert last_json(out)["mapping"]["time"] == "_submission_time"
    assert "« _submission_time », l'heure d'envoi au serveur (métadonnée KoboToolbox)" in err


def test_an_ambiguous_date_column_is_said_on_stderr(capsys, db, export):
    code, _, err = run(capsys, "--db", db, "import", export)
    assert code == 0, err
    assert "attention : dates de la colonne « date » ambiguës" in err
    assert "jour d'abord" in err


@pytest.mark.parametrize("where", ["absent/rejets.csv", "absent/encore/rejets.csv", "dossier"])
def test_rejects_into_a_missing_folder_is_refused_before_anything_is_stored(capsys, db, export, tmp_path, where):
    (tmp_path / "dossier").mkdir()
    code, out, err = run(capsys, "--db", db, "import", export, "--rejects", tmp_path / where)
    assert code == 2
    assert out == ""
    assert "erreur : --rejects" in err and "Rien n'a été fait" in err
    assert "n'existe pas" in err or "c'est un dossier" in err
    assert "Traceback" not in err
    assert Store(db).list_batches().empty and Store(db).count_reports() == 0


def test_an_output_that_fails_after_the_import_still_prints_the_summary(capsys, db, export):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (a file whose every write fails: no space left)")
    code, out, err = run(capsys, "--db", db, "import", export, "--rejects", "/dev/full")
    assert code == 1
    summary = last_json(out)
    assert (summary["stored"], summary["quarantined"]) == (2, 1)
    assert "erreur : lignes en quarantaine non écrites dans /dev/full" in err
    assert f"le lot {summary['batch_id']} est enregistré" in err
    assert Store(db).count_reports() == 2


def test_rejects_to_standard_output_keeps_the_summary_last(capsys, db, export):
    code, out, err = run(capsys, "--db", db, "import", export, "--rejects", "-")
    assert code == 0, err
    assert "date illisible" in out
    assert last_json(out)["quarantined"] == 1


def test_batches_remove_with_yes_prints_its_summary_last_and_is_listed(capsys, db, export):
    code, out, _ = run(capsys, "--db", db, "import", export)
    batch = last_json(out)["batch_id"]
    code, out, err = run(capsys, "--db", db, "batches", "remove", batch, "--yes", "--by", "Camille")
    assert code == 0, err
    summary = last_json(out)
    assert (summary["batch_id"], summary["removed_reports"], summary["removed_quarantine"]) == (batch, 2, 1)
    assert summary["removed_by"] == "Camille"
    assert Store(db).count_reports() == 0 and Store(db).read_quarantine().empty
    code, out, _ = run(capsys, "--db", db, "batches")
    [listed] = json.loads(out.strip().splitlines()[-1])
    assert (listed["id"], listed["removed_by"], listed["removed_reports"], listed["removed_quarantine"]) == (
        batch, "Camille", 2, 1)
    assert listed["removed_at"] == summary["removed_at"]
    code, out, err = run(capsys, "--db", db, "import", export)  # the same file comes back
    assert last_json(out)["stored"] == 2 and "déjà été importé" not in err


@pytest.mark.parametrize("case", [("n\n", 1, 2), ("", 1, 2), ("oui\n", 0, 0)])
def test_batches_remove_asks_for_confirmation(capsys, db, export, monkeypatch, case):
    answer, code, left = case
    run(capsys, "--db", db, "import", export)
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    found, out, err = run(capsys, "--db", db, "batches", "remove", "1")
    assert found == code
    assert "Annuler le lot 1 (export.csv) : 2 signalement(s)" in err
    assert Store(db).count_reports() == left
    if code:
        assert out == "" and "rien n'a été retiré" in err


def test_batches_remove_refuses_a_field_report_and_unknown_batches(capsys, db, taxonomy):
    store = Store(db)
    record_report(store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="eclairage",
                                    observed_at=pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)), taxonomy=taxonomy)
    code, out, err = run(capsys, "--db", db, "batches", "remove", "1", "--yes")
    assert code == 2 and out == ""
    assert "signalement saisi sur le terrain" in err
    assert store.count_reports() == 1
    code, out, err = run(capsys, "--db", db, "batches", "remove", "7", "--yes")
    assert code == 2 and "lot 7 introuvable" in err
