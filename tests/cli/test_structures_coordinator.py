"""A structure added on the command line gets its first coordinator: ``structures add --coordinator LOGIN``
(or ``--structure CODE users add``); a refusal leaves no structure behind."""

from __future__ import annotations

import io

import pytest

from geo.sharing import accounts
from geo.sharing.config import load_sharing_settings
from geo.store.database import Store
from geo.store.structures import list_structures, login_structure, scoped_url
from tests.commandline import last_json
from tests.commandline import run as run_command

PASSWORD = "un-mot-de-passe-assez-long"


def run(capsys, monkeypatch, *argv, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return run_command(capsys, *argv)


@pytest.fixture
def pg_url(db_url, backend):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    accounts.create_user(Store(db_url), "cheffe.dijon", PASSWORD, role="coordinateur")
    return db_url


def _codes(url: str) -> list[str]:
    return [s.code for s in list_structures(url)]


def test_structure_added_with_its_coordinator(capsys, monkeypatch, pg_url):
    code, out, err = run(capsys, monkeypatch, "--db", pg_url, "structures", "add", "chenove", "--name",
                         "Pimms Chenôve", "--coordinator", "Cheffe.Chenove", "--coordinator-name", "Cheffe de Chenôve",
                         "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    summary = last_json(out)
    assert (summary["structure"], summary["coordinator"]) == ("chenove", "cheffe.chenove")
    assert "cheffe.chenove" in err and "--structure chenove" in err
    second = Store(pg_url, structure="chenove")
    assert [(u["login"], u["role"], u["display_name"]) for u in accounts.list_users(second)] == \
        [("cheffe.chenove", "coordinateur", "Cheffe de Chenôve")]
    assert [u["login"] for u in accounts.list_users(Store(pg_url))] == ["cheffe.dijon"]  # not in the default one
    # the account signs in where sign-in looks for it: its own structure
    assert login_structure(pg_url, "cheffe.chenove") == "chenove"
    user = accounts.authenticate(Store(scoped_url(pg_url, "chenove")), "cheffe.chenove", PASSWORD,
                                 settings=load_sharing_settings())
    assert user.role == "coordinateur"
    # it then creates the structure's other accounts, as the command line does too
    code, out, err = run(capsys, monkeypatch, "--db", pg_url, "--structure", "chenove", "users", "add", "terrain",
                         "--role", "equipe", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    code, out, err = run(capsys, monkeypatch, "--db", pg_url, "--structure", "chenove", "users", "list")
    assert last_json(out) == {"users": 2}


@pytest.mark.parametrize("case", [
    ("Cheffe.Dijon", PASSWORD, "l'identifiant 'cheffe.dijon' existe déjà"),  # taken in the default one
    ("x", PASSWORD, "identifiant attendu"),
    ("cheffe.talant", "court", "mot de passe trop court"),
    ("cheffe.talant", "", "aucun mot de passe lu"),
])
def test_refused_coordinator_leaves_no_structure(capsys, monkeypatch, pg_url, case):
    login, password, message = case
    code, _, err = run(capsys, monkeypatch, "--db", pg_url, "structures", "add", "talant", "--name",
                         "Pimms Talant", "--coordinator", login, "--password-stdin", stdin=password + "\n")
    assert code == 2 and message in err and "Traceback" not in err
    assert _codes(pg_url) == ["principale"]
    code, _, err = run(capsys, monkeypatch, "--db", pg_url, "structures", "add", "talant", "--name",
                         "Pimms Talant", "--coordinator", "cheffe.talant", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert _codes(pg_url) == ["principale", "talant"]


def test_failure_after_the_structure_is_made_undoes_it(capsys, monkeypatch, pg_url):
    """Should the account's insert fail (the database refuses it), the structure just made is removed too."""
    from geo.errors import InputError

    def refuse(*args, **kwargs):
        raise InputError("refusé par la base")

    monkeypatch.setattr(accounts, "create_user", refuse)
    code, _, err = run(capsys, monkeypatch, "--db", pg_url, "structures", "add", "talant", "--name",
                         "Pimms Talant", "--coordinator", "cheffe.talant", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "refusé par la base" in err
    assert _codes(pg_url) == ["principale"]
    with Store(pg_url).engine.connect() as conn:
        schemas = conn.exec_driver_sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'veille_%%'").scalars()
        assert list(schemas) == []


def test_sqlite_refuses_before_asking_for_a_password(capsys, monkeypatch, db_url, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    code, _, err = run(capsys, monkeypatch, "--db", db_url, "structures", "add", "talant", "--name", "Talant",
                         "--coordinator", "cheffe.talant", "--password-stdin", stdin="")
    assert code == 2 and "SQLite sert une seule structure" in err and "mot de passe" not in err
