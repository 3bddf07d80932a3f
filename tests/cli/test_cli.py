"""The command line ``python -m geo``: import, territory, aggregate, batches."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo.settings import PROJECT_ROOT
from geo.store.database import Store
from tests.commandline import last_json, run
from tests.conftest import FIXTURES, NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT, make_territory

SUMMARY_KEYS = {"read", "stored", "duplicates", "quarantined", "outside_territory", "unknown_categories"}


@pytest.fixture
def territory_file(tmp_path) -> Path:
    path = tmp_path / "quartiers.geojson"
    make_territory().to_file(path)
    return path


@pytest.fixture
def db(tmp_store) -> str:
    """The URL of a store with the two-neighbourhood territory."""
    return tmp_store.url


def test_import_prints_the_summary_as_its_last_line(capsys, db):
    code, out, err = run(capsys, "--db", db, "import", FIXTURES / "kobo_veille.csv")
    assert code == 0, err
    summary = last_json(out)
    assert SUMMARY_KEYS <= set(summary)
    assert (summary["read"], summary["stored"], summary["duplicates"], summary["quarantined"]) == (4, 3, 0, 1)
    assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
    assert summary["unknown_categories"] == {"chien_errant": 1}
    assert summary["profile"] == "kobo"


def test_import_twice_stores_nothing_new(capsys, db):
    run(capsys, "--db", db, "import", FIXTURES / "odk_veille.csv")
    code, out, err = run(capsys, "--db", db, "import", FIXTURES / "odk_veille.csv")
    assert code == 0
    assert {k: last_json(out)[k] for k in ("read", "stored", "duplicates")} == {"read": 3, "stored": 0,
                                                                                "duplicates": 3}
    assert "déjà été importé" in err
    assert Store(db).count_reports() == 3


def test_import_with_column_options(capsys, db, tmp_path):
    path = tmp_path / "maison.csv"
    path.write_text("Quand;Quoi;Y;X;Ref;Texte\n"
                    f"02.03.2026 à 14h30;tags;{NORTH_POINT[0]};{NORTH_POINT[1]};R1;mur tagué\n"
                    f"03.03.2026 à 09h00;banc;{SOUTH_POINT[0]};{SOUTH_POINT[1]};R2;banc cassé\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 2 and "précisez --lat COLONNE --lon COLONNE --time COLONNE --category COLONNE" in err
    assert out == ""
    code, out, err = run(capsys, "--db", db, "import", path, "--lat", "Y", "--lon", "X", "--time", "Quand",
                         "--time-format", "%d.%m.%Y à %Hh%M", "--category", "Quoi", "--id", "Ref",
                         "--description", "Texte", "--source", "maison")
    assert code == 0, err
    assert last_json(out)["stored"] == 2
    report = Store(db).get_report("maison:R2")
    assert (report["category"], report["description"], report["neighbourhood"]) == ("mobilier", "banc cassé", "sud")


def test_import_with_category_map_and_rejects(capsys, db, tmp_path):
    mapping = tmp_path / "correspondance.csv"
    mapping.write_text("libellé;code\nchien_errant;personne_vulnerable\n", encoding="utf-8")
    path = tmp_path / "lignes.csv"
    path.write_text("date;categorie;latitude;longitude;description\n"
                    f"2026-03-02 10:00;chien_errant;{NORTH_POINT[0]};{NORTH_POINT[1]};ok\n"
                    f"2026-03-02 10:00;tags;=1+1;{NORTH_POINT[1]};-formule\n"
                    f"demain;tags;;{NORTH_POINT[1]};@cmd\n", encoding="utf-8")
    rejects = tmp_path / "rejets.csv"
    code, out, err = run(capsys, "--db", db, "import", path, "--category-map", mapping, "--rejects", rejects)
    assert code == 0, err
    summary = last_json(out)
    assert (summary["stored"], summary["quarantined"], summary["unknown_categories"]) == (1, 2, {})
    assert "2 ligne(s) en quarantaine, 3 motif(s) écrits" in err
    text = rejects.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [(r["ligne"], r["colonne"], r["valeur"]) for r in rows] == [
        ("3", "latitude", "'=1+1"), ("4", "latitude", ""), ("4", "date", "demain")]
    assert [r["motif"] for r in rows][:2] == ["latitude non numérique", "latitude manquante"]
    assert json.loads(rows[0]["ligne_brute"])["description"] == "-formule"  # inside JSON: harmless
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_swapped_coordinates_are_reported_on_stderr(capsys, db, tmp_path):
    path = tmp_path / "inverse.csv"
    path.write_text(f"date;categorie;latitude;longitude\n2026-03-02;tags;{NORTH_POINT[1]};{NORTH_POINT[0]}\n",
                    encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 0
    assert last_json(out)["swapped_coordinates"] == 1
    assert "attention : 1 ligne(s) avaient latitude et longitude inversées" in err


def test_crs_option_for_csv(capsys, db, tmp_path):
    path = tmp_path / "l93.csv"
    path.write_text("date;categorie;X;Y\n2026-03-02;tags;854019.63;6695286.36\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path, "--lat", "Y", "--lon", "X", "--crs", "2154")
    assert code == 0, err
    assert (last_json(out)["stored"], last_json(out)["outside_territory"]) == (1, 0)
    code, out, err = run(capsys, "--db", db, "import", path, "--lat", "Y", "--lon", "X", "--crs", "lambert")
    assert code == 2 and "--crs 'lambert'" in err


@pytest.mark.parametrize(("content", "message"), [
    (b"", "le fichier est vide"),
    (b"date;categorie;latitude;longitude\n2026-03-02;tags;47.3;5.04;\x81\xff\n", "encodage non reconnu"),
])
def test_bad_files_exit_2_with_a_message(capsys, db, tmp_path, content, message):
    path = tmp_path / "mauvais.csv"
    path.write_bytes(content)
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 2
    assert err.startswith("erreur : ") and message in err
    assert out == ""
    assert Store(db).list_batches().empty


def test_territory_command_reassigns_stored_reports(capsys, tmp_path, territory_file):
    db = f"sqlite:///{tmp_path / 'sans_territoire.sqlite'}"
    path = tmp_path / "r.csv"
    path.write_text("date;categorie;latitude;longitude\n"
                    f"2026-03-02;tags;{NORTH_POINT[0]};{NORTH_POINT[1]}\n"
                    f"2026-03-02;tags;{OUTSIDE_POINT[0]};{OUTSIDE_POINT[1]}\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert last_json(out)["outside_territory"] == 2
    assert "aucun territoire" in err
    code, out, err = run(capsys, "--db", db, "territory", territory_file, "--code", "code", "--name", "name",
                         "--population", "population", "--priority", "priority")
    assert code == 0, err
    assert last_json(out) == {"neighbourhoods": 2, "reports": 2, "changed": 1, "outside_territory": 1}
    assert Store(db).read_reports()["neighbourhood"].tolist()[0] == "nord"


def test_territory_command_refuses_a_projected_file_without_crs(capsys, db, tmp_path):
    path = tmp_path / "iris.shp"
    make_territory().to_crs(2154).to_file(path)
    path.with_suffix(".prj").unlink()
    code, out, err = run(capsys, "--db", db, "territory", path, "--code", "code", "--name", "name")
    assert code == 2
    assert "declares no CRS" in err and "--crs 2154" in err
    assert list(Store(db).load_territory()["code"]) == ["nord", "sud"]  # unchanged
    code, out, err = run(capsys, "--db", db, "territory", path, "--code", "code", "--name", "name", "--crs", "2154")
    assert code == 0, err
    assert last_json(out)["neighbourhoods"] == 2


@pytest.fixture
def filled_db(capsys, db, tmp_path) -> str:
    path = tmp_path / "r.csv"
    path.write_text("date;categorie;latitude;longitude\n"
                    f"02/03/2026 10:00;tags;{NORTH_POINT[0]};{NORTH_POINT[1]}\n"
                    f"03/03/2026 10:00;tags;{NORTH_POINT[0] + 0.001};{NORTH_POINT[1]}\n"
                    f"10/03/2026 10:00;rodeo;{SOUTH_POINT[0]};{SOUTH_POINT[1]}\n"
                    f"02/04/2026 10:00;tags;{OUTSIDE_POINT[0]};{OUTSIDE_POINT[1]}\n", encoding="utf-8")
    code, out, err = run(capsys, "--db", db, "import", path)
    assert code == 0, err
    assert last_json(out)["stored"] == 4
    return db


def test_aggregate_csv(capsys, filled_db):
    code, out, err = run(capsys, "--db", filled_db, "aggregate", "--by", "neighbourhood")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["neighbourhood"], r["count"], r["population"], r["rate_per_1000"]) for r in rows] == [
        ("hors_territoire", "1", "", ""), ("nord", "2", "2000", "1.0"), ("sud", "1", "500", "2.0")]


def test_aggregate_json_by_neighbourhood_category_week_with_dates(capsys, filled_db):
    code, out, err = run(capsys, "--db", filled_db, "aggregate", "--by", "neighbourhood,category,week",
                         "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert {r["neighbourhood"] for r in rows} == {"nord", "sud"}  # April's outside report is filtered out
    counts = {(r["neighbourhood"], r["category"], r["week"]): r["count"] for r in rows}
    assert counts[("nord", "tags", "2026-03-02")] == 2
    assert counts[("sud", "rodeo", "2026-03-09")] == 1
    assert counts[("nord", "rodeo", "2026-03-09")] == 0
    assert len(rows) == 2 * 2 * 2
    assert rows[0]["rate_per_1000"] is not None


def test_aggregate_by_month(capsys, filled_db):
    code, out, err = run(capsys, "--db", filled_db, "aggregate", "--by", "neighbourhood,month", "--format", "json")
    assert code == 0, err
    counts = {(r["neighbourhood"], r["month"]): r["count"] for r in json.loads(out)}
    assert counts == {("hors_territoire", "2026-03-01"): 0, ("hors_territoire", "2026-04-01"): 1,
                      ("nord", "2026-03-01"): 2, ("nord", "2026-04-01"): 0,
                      ("sud", "2026-03-01"): 1, ("sud", "2026-04-01"): 0}


def test_aggregate_by_registre_follows_the_current_taxonomy(capsys, filled_db, tmp_path, monkeypatch):
    def counts(by):
        code, out, err = run(capsys, "--db", filled_db, "aggregate", "--by", by, "--format", "json")
        assert code == 0, err
        return {r[by]: r["count"] for r in json.loads(out)}

    tags_reports = counts("category")["tags"]
    before = counts("registre")
    doc = json.loads((PROJECT_ROOT / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    tags = next(c for c in doc["categories"] if c["code"] == "tags")
    moved_from, tags["registre"] = tags["registre"], "concertation"  # a coordinator edits the taxonomy
    edited = tmp_path / "taxonomy.json"
    edited.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("VEILLE_TAXONOMY", str(edited))
    after = counts("registre")
    assert tags_reports > 0
    assert after["concertation"] == before.get("concertation", 0) + tags_reports  # stored "tags" reports moved
    assert after.get(moved_from, 0) == before[moved_from] - tags_reports


@pytest.mark.parametrize(("argv", "message"), [
    (["--by", "quartier"], "--by was 'quartier'"),
    (["--from", "2026-03-10", "--to", "2026-03-01"], "--to (2026-03-01)"),
])
def test_aggregate_refuses_bad_options(capsys, filled_db, argv, message):
    code, out, err = run(capsys, "--db", filled_db, "aggregate", *argv)
    assert code == 2 and message in err
    assert out == ""


def test_batches_lists_imports(capsys, filled_db):
    code, out, _ = run(capsys, "--db", filled_db, "batches")
    assert code == 0
    (batch,) = json.loads(out)
    assert (batch["source_name"], batch["stored"], batch["source_format"]) == ("r.csv", 4, "csv")


def test_python_m_geo_in_a_subprocess(tmp_path):
    db = f"sqlite:///{tmp_path / 'veille.sqlite'}"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [sys.executable, "-m", "geo", "--db", db, "import", str(FIXTURES / "open311_requests.json")]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["stored"], summary["quarantined"], summary["outside_territory"]) == (4, 3, 1, 3)
    assert summary["unknown_categories"] == {"Chien errant": 1}
    done = subprocess.run([*command[:5], "import", str(tmp_path / "absent.csv")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 2
    assert "fichier introuvable" in done.stderr


def test_demo_explains_outside_territory_before_its_summary(capsys, tmp_path):
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path / 'demo.sqlite'}", "demo", "--reports", "1500")
    assert code == 0
    summary = last_json(out)  # messages go to stderr, the summary last on stdout
    lines = err.strip().splitlines()
    assert lines[-1].startswith(f"outside_territory : {summary['outside_territory']} signalements placés exprès "
                                "juste à l'extérieur des quartiers de démonstration")
    assert summary["outside_territory"] > 0
