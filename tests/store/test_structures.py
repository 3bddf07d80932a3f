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


def test_logins_are_unique_across_structures(db_url: str, backend: str, taxonomy, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    from geo.sharing import accounts
    from geo.store.structures import login_structure
    from tests.two_structures import PASSWORD, build

    two = build(db_url, tmp_path, taxonomy)
    assert login_structure(db_url, "cheffe.quetigny") == "quetigny"
    assert login_structure(db_url, "cheffe.dijon") == "principale"
    assert login_structure(db_url, "personne") is None
    with pytest.raises(InputError, match="existe déjà"):
        accounts.create_user(Store(two.second_url), "cheffe.dijon", PASSWORD, role="equipe")
    # each structure lists only its own accounts
    assert [u["login"] for u in accounts.list_users(Store(two.second_url))] == ["cheffe.quetigny"]
    assert Store(two.second_url).count_reports() == Store(db_url).count_reports() + 1


def test_network_figures_are_masked_and_hold_no_text(db_url: str, backend: str, taxonomy, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    from geo.sharing.network_view import NETWORK_COLUMNS, network_figures
    from tests.two_structures import EXTRA, SECRET, build

    build(db_url, tmp_path, taxonomy)
    figures = network_figures(db_url, taxonomy=taxonomy)
    table = figures.table
    assert list(table.columns) == list(NETWORK_COLUMNS)
    rows = {tuple(r) for r in table.itertuples(index=False)}
    tags, rodeo = taxonomy.categories["tags"].label, taxonomy.categories["rodeo"].label
    for name in ("Pimms Médiation Dijon", "Pimms Quetigny"):
        assert (name, "Quartier Nord", tags, "2026-03", "5") in rows  # 5 reports: shown
        assert (name, "Quartier Sud", rodeo, "2026-03", "< 3") in rows  # 1 report: masked
    assert ("Pimms Quetigny", "Quartier Sud", tags, "2026-03", "< 3") in rows  # the extra one, masked
    assert ("Pimms Médiation Dijon", "Quartier Sud", tags, "2026-03", "< 3") not in rows
    text = table.to_csv() + figures.quartiers.drop(columns=["geometry"]).to_csv()
    assert SECRET not in text and EXTRA not in text and "1" not in set(table["signalements"])
    totals = {(q.structure, q.quartier): q.signalements for q in figures.quartiers.itertuples()}
    assert totals[("Pimms Quetigny", "Quartier Sud")] == "masqué"  # 1 + 1 masked reports: no total
    assert totals[("Pimms Médiation Dijon", "Quartier Nord")] == "5"
    # no total minus the published cells of its quartier gives a masked cell back: a total is exact only
    # where the quartier has no masked cell
    for (structure, quartier), total in totals.items():
        cells = table[(table["structure"] == structure) & (table["quartier"] == quartier)]["signalements"]
        if (cells == "< 3").any():
            assert total == "masqué" or total.startswith("≥ "), (structure, quartier, total)
            if total.startswith("≥ "):
                assert int(total[2:]) == sum(int(c) for c in cells if c != "< 3")


def test_quartier_totals_never_give_a_masked_cell_back() -> None:
    from geo.sharing.network_view import _quartier_total

    assert _quartier_total(pd.Series([5, 1]), min_count=3) == ("≥ 5", "3 à 9")  # not 6: 6 - 5 = 1
    assert _quartier_total(pd.Series([8, 2]), min_count=3) == ("≥ 8", "3 à 9")  # class of 8, not of 10
    assert _quartier_total(pd.Series([1, 1]), min_count=3) == ("masqué", "masqué")
    assert _quartier_total(pd.Series([4, 6]), min_count=3) == ("10", "10 à 29")  # nothing masked: exact
    assert _quartier_total(pd.Series([], dtype="int64"), min_count=3) == ("0", "0")


def test_a_store_without_the_register_keeps_every_row_in_the_default_structure(db_url: str, taxonomy) -> None:
    """A store written before structures existed: the register is added, its rows stay the default structure's."""
    from geo.sharing import accounts
    from geo.store import schema
    from geo.store.structures_schema import migrate as add_register
    from geo.store.structures_schema import structures

    store = Store(db_url)
    install_territory(store, make_territory(), source_name="test")
    stored = import_file(store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW).stored
    accounts.create_user(store, "cheffe", "un-mot-de-passe-assez-long", role="coordinateur")
    with store.engine.begin() as conn:  # back to the schema version before the register
        structures.drop(conn)
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version")
                     .values(value=str(schema.MIGRATIONS.index(add_register))))
    store.engine.dispose()
    migrated = Store(db_url)
    assert migrated.schema_version() == schema.SCHEMA_VERSION
    assert [(s.id, s.code, s.schema_name) for s in list_structures(migrated)] == [(1, "principale", None)]
    with migrated.engine.connect() as conn:
        assert conn.execute(sa.select(structures.c.code)).scalars().all() == ["principale"]
    assert migrated.structure is None and migrated.count_reports() == stored > 0
    assert len(load_reports(migrated, columns=["id"])) == stored
    assert [u["login"] for u in accounts.list_users(migrated)] == ["cheffe"]
    assert Store(db_url, structure="principale").count_reports() == stored  # the default structure, named


def test_backup_and_restore_keep_every_structure(db_url: str, backend: str, taxonomy, tmp_path) -> None:
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    from geo.errors import StoreError
    from geo.ingest.entry import FieldEntry, record_report
    from geo.store.backup import backup_store, restore_store
    from tests.two_structures import build

    two = build(db_url, tmp_path, taxonomy)
    second = Store(two.second_url)
    with pytest.raises(StoreError, match="sans --structure"):
        backup_store(second, tmp_path / "une.dump")
    backup_store(Store(db_url), tmp_path / "base.dump")
    seen = ensure_snapshot(second)
    assert len(load_reports(second, columns=["id"])) == 7
    for day in range(1, 7):
        entry = FieldEntry(lat=47.34, lon=5.04, category="tags", observed_at=pd.Timestamp(f"2026-03-0{day} 08:00",
                                                                                          tz="Europe/Paris"))
        assert record_report(second, entry, taxonomy=taxonomy, now=NOW).ok
    assert len(load_reports(second, columns=["id"])) == 13
    restore_store(Store(db_url), tmp_path / "base.dump")
    second = Store(two.second_url)
    assert second.count_reports() == 7 and Store(db_url).count_reports() == 6
    # the restored structure's snapshot is rebuilt, never one of the replaced content
    assert len(load_reports(second, columns=["id"])) == 7 and ensure_snapshot(second) != seen
