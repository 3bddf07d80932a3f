"""``python -m geo`` with several structures in one database (PostgreSQL), and with one (never named)."""

from __future__ import annotations

import io
import re

import pytest

from tests.commandline import last_json, run
from tests.conftest import FIXTURES
from tests.two_structures import EXTRA, SECRET, build

WORD = re.compile(r"structures?\b", re.IGNORECASE)


@pytest.fixture
def two(db_url, backend, taxonomy, tmp_path):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    return build(db_url, tmp_path, taxonomy)


def _aggregate(capsys, *scope) -> dict:
    code, out, err = run(capsys, *scope, "aggregate", "--by", "neighbourhood,category", "--format", "json")
    assert code == 0, err
    return {(r["neighbourhood"], r["category"]): r["count"] for r in last_json(out) if r["count"]}


def test_each_structure_reads_only_its_own_reports(capsys, two, tmp_path):
    db = two.url
    own = _aggregate(capsys, "--db", db)
    assert own == {("nord", "tags"): 5, ("sud", "rodeo"): 1}
    # the option before or after the command, or the URL naming the structure: the same scope
    for scope in (("--db", db, "--structure", "quetigny"), ("--db", two.second_url)):
        assert _aggregate(capsys, *scope) == {**own, ("sud", "tags"): 1}
    code, out, err = run(capsys, "aggregate", "--db", db, "--structure", "quetigny", "--format", "json")
    assert code == 0 and sum(r["count"] for r in last_json(out)) == 7

    lists = {}
    for name, scope in (("dijon", ()), ("quetigny", ("--structure", "quetigny"))):
        code, out, err = run(capsys, "--db", db, *scope, "reports", "--format", "json", "--limit", "100")
        assert code == 0, err
        lists[name] = last_json(out)
    assert len(lists["dijon"]) == 6 and len(lists["quetigny"]) == 7
    # the same file gave each structure the same ids, and the field entry exists in the second one only
    ids = {name: {r["id"] for r in rows} for name, rows in lists.items()}
    assert ids["dijon"] < ids["quetigny"]

    for name, scope, expected in (("dijon", (), 6), ("quetigny", ("--structure", "quetigny"), 7)):
        out_file = tmp_path / f"{name}.csv"
        code, out, err = run(capsys, "--db", db, *scope, "export", "--role", "coordinateur", "--format", "csv",
                             "--out", out_file)
        assert code == 0, err
        assert last_json(out)["reports"] == expected
        assert (EXTRA in out_file.read_text(encoding="utf-8-sig")) == (name == "quetigny")

    code, out, _ = run(capsys, "--db", db, "batches")
    assert [b["source_name"] for b in last_json(out)] == ["veille.csv"]
    code, out, _ = run(capsys, "--db", db, "--structure", "quetigny", "batches")
    assert sorted(b["source_name"] for b in last_json(out))[-1] == "veille.csv" and len(last_json(out)) == 2

    code, out, _ = run(capsys, "--db", db, "users", "list")
    assert last_json(out) == {"users": 2}
    code, out, err = run(capsys, "--db", db, "--structure", "quetigny", "users", "list")
    assert last_json(out) == {"users": 1} and "cheffe.quetigny" in err and "cheffe.dijon" not in err

    # the bilan's PDF title option keeps its meaning beside the global option
    code, out, err = run(capsys, "--db", db, "--structure", "quetigny", "report", "--from", "2026-03-01",
                         "--to", "2026-03-31", "--format", "json")
    assert code == 0, err


def test_structures_commands(capsys, two, monkeypatch):
    code, out, err = run(capsys, "--db", two.url, "structures", "list")
    assert code == 0 and last_json(out)["codes"] == ["principale", "quetigny"]
    code, out, err = run(capsys, "--db", two.url, "structures", "add", "chenove", "--name", "Pimms Chenôve")
    assert code == 0, err
    assert last_json(out)["structure"] == "chenove" and last_json(out)["id"] == 3
    code, out, err = run(capsys, "--db", two.url, "structures", "add", "chenove", "--name", "Autre")
    assert code == 2 and "existe déjà" in err
    code, out, err = run(capsys, "--db", two.url, "--structure", "inconnue", "aggregate")
    assert code == 2 and "structure inconnue" in err
    code, out, err = run(capsys, "--db", two.url, "structures", "figures", "--format", "json")
    assert code == 0, err
    summary = last_json(out)
    assert summary["structures"] == 3 and summary["masked"] > 0
    assert SECRET not in out and EXTRA not in out
    assert {r["structure"] for r in summary["data"]} == {"Pimms Médiation Dijon", "Pimms Quetigny"}
    # a réseau account: created like the others; its login is then taken in every structure
    monkeypatch.setattr("sys.stdin", io.StringIO("un-mot-de-passe-assez-long\n"))
    code, out, err = run(capsys, "--db", two.url, "--structure", "chenove", "users", "add", "reseau.chenove",
                         "--role", "reseau", "--password-stdin")
    assert code == 0, err
    assert last_json(out) == {"login": "reseau.chenove", "role": "reseau", "partner": None}
    monkeypatch.setattr("sys.stdin", io.StringIO("un-mot-de-passe-assez-long\n"))
    code, out, err = run(capsys, "--db", two.url, "users", "add", "reseau.chenove", "--role", "equipe",
                         "--password-stdin")
    assert code == 2 and "existe déjà (structure 'chenove')" in err


def test_demo_in_a_structure(capsys, db_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    code, out, err = run(capsys, "--db", db_url, "structures", "add", "chenove", "--name", "Pimms Chenôve")
    assert code == 0, err
    code, out, err = run(capsys, "--db", db_url, "--structure", "chenove", "demo", "--reports", "400")
    assert code == 0, err
    assert last_json(out)["accounts"] == ["coordination.chenove", "terrain.chenove", "mairie.chenove"]
    code, out, err = run(capsys, "--db", db_url, "--structure", "chenove", "aggregate", "--format", "json")
    assert sum(r["count"] for r in last_json(out)) == 400
    code, out, err = run(capsys, "--db", db_url, "aggregate", "--format", "json")
    assert sum(r["count"] for r in last_json(out)) == 0  # the default structure has none of them
    code, out, err = run(capsys, "--db", db_url, "--structure", "chenove", "hotspots", "--permutations", "99",
                         "--out", tmp_path / "chauds.geojson")
    assert code == 0, err
    inside = last_json(out)["reports"]
    assert 0 < inside <= 400


def test_one_structure_is_never_named(capsys, tmp_store, monkeypatch):
    db = tmp_store.url
    outputs = []
    for argv in (("import", FIXTURES / "odk_veille.csv"), ("aggregate", "--format", "json"), ("batches",),
                 ("reports", "--format", "json"), ("users", "list"),
                 ("report", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json")):
        code, out, err = run(capsys, "--db", db, *argv)
        assert code == 0, err
        outputs.append(out + err)
    assert not WORD.search("\n".join(outputs))


@pytest.mark.parametrize("argv", [None, ["partners", "load", "p.csv"]])
def test_structure_option_leaves_every_command_parsing_as_before(argv):
    """The option is known before and after any command; ``report --structure NOM`` keeps naming the title."""
    from geo.cli.main import build_parser

    parser = build_parser(argv)
    args = parser.parse_args(["--db", "sqlite:///x", "partners", "load", "p.csv", "--routing", "r.csv"])
    assert (args.partners_command, str(args.path), str(args.routing), args.structure_code) == \
        ("load", "p.csv", "r.csv", None)
    args = parser.parse_args(["partners", "load", "p.csv", "--structure", "quetigny"])
    assert args.structure_code == "quetigny"
    if argv is None:  # every command registered
        args = parser.parse_args(["--structure", "quetigny", "report", "--from", "2026-01-01", "--to", "2026-01-31",
                                  "--structure", "Pimms Quetigny"])
        assert (args.structure_code, args.structure) == ("quetigny", "Pimms Quetigny")
        args = parser.parse_args(["aggregate", "--by", "neighbourhood", "--structure", "b2"])
        assert args.structure_code == "b2"
