"""Several structures in one database: each sees and writes only its own tables; SQLite keeps one structure."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.importer import import_file
from geo.ingest.territory import install_territory
from geo.store.database import Store
from geo.store.snapshot import ensure_snapshot, load_reports, snapshot_dir
from geo.store.structures import add_structure, list_structures, scoped_url, split_url
from tests.conftest import FIXTURES, make_territory

NOW = pd.Timestamp("2026-03-15 12:00", tz="Europe/Paris")


def test_url_names_the_structure() -> None:
    url = "postgresql+psycopg://u:p@127.0.0.1:5432/veille"
    scoped = scoped_url(url, "quetigny")
    assert split_url(scoped) == (url, "quetigny")
    assert scoped_url(scoped, None) == url
    assert scoped_url(url, "principale") == url  # the default structure is the database's own tables
    with pytest.raises(InputError, match="code de structure"):
        scoped_url(url, "Bad Code!")


def test_sqlite_has_one_structure(db_url: str, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite only")
    store = Store(db_url)
    assert [s.code for s in list_structures(store)] == ["principale"]
    with pytest.raises(InputError, match="SQLite sert une seule structure"):
        add_structure(db_url, "quetigny", name="Pimms Quetigny")
    with pytest.raises(InputError, match="structure"):
        Store(db_url, structure="quetigny")


@pytest.fixture
def two_structures(db_url: str, backend: str, taxonomy) -> tuple[Store, Store]:
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    first = Store(db_url)
    add_structure(db_url, "quetigny", name="Pimms Quetigny")
    second = Store(db_url, structure="quetigny")
    for store in (first, second):
        install_territory(store, make_territory(), source_name="test")
    return first, second


def test_same_file_in_two_structures(two_structures: tuple[Store, Store], taxonomy) -> None:
    first, second = two_structures
    one = import_file(first, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    assert second.count_reports() == 0  # nothing of the first structure shows in the second
    assert len(load_reports(second, columns=["id"])) == 0
    two = import_file(second, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    # the same source ids in two structures are two sets of reports, neither a duplicate of the other
    assert two.stored == one.stored > 0 and two.duplicates == one.duplicates
    assert first.count_reports() == second.count_reports() == one.stored
    assert sorted(load_reports(first, columns=["id"])["id"]) == sorted(load_reports(second, columns=["id"])["id"])
    assert snapshot_dir(first) != snapshot_dir(second)
    assert ensure_snapshot(first) != ensure_snapshot(second)
    # the second structure's rows live in its own schema, never in the database's own tables
    with first.engine.connect() as conn:
        in_default = conn.execute(sa.text("SELECT count(*) FROM public.reports")).scalar()
        in_second = conn.execute(sa.text("SELECT count(*) FROM veille_quetigny.reports")).scalar()
    assert in_default == in_second == one.stored
    # a third import of the same file into the second structure stores nothing new
    again = import_file(second, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    assert again.stored == 0 and second.count_reports() == one.stored


def test_structures_register(two_structures: tuple[Store, Store], db_url: str) -> None:
    codes = [(s.id, s.code, s.name) for s in list_structures(db_url)]
    assert codes == [(1, "principale", "Pimms Médiation Dijon"), (2, "quetigny", "Pimms Quetigny")]
    with pytest.raises(InputError, match="existe déjà"):
        add_structure(db_url, "quetigny", name="Autre nom")
    with pytest.raises(InputError, match="structure inconnue"):
        Store(db_url, structure="chenove")
    assert Store(scoped_url(db_url, "quetigny")).structure == "quetigny"
