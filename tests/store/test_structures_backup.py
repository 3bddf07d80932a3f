"""A restore leaves a database of several structures exactly as backed up: a structure added after the backup
is gone cleanly (register row and schema), one the backup holds comes back whole (reports, accounts, kept files,
photos), and a failed restore changes nothing."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.cli.main import main
from geo.errors import StoreError
from geo.ingest.importer import import_file
from geo.ingest.provenance import raw_row
from geo.ingest.territory import install_territory
from geo.sharing import accounts
from geo.store.backup import backup_store, restore_store
from geo.store.database import Store
from geo.store.snapshot import ensure_snapshot, load_reports
from geo.store.structures import add_structure, list_structures, login_structure, scoped_url
from geo.workflow.photos import add_photo, list_photos
from tests.conftest import FIXTURES, make_territory
from tests.store.test_backup import _field_report, _jpeg
from tests.two_structures import PASSWORD, build

NOW = pd.Timestamp("2026-03-20 12:00", tz="Europe/Paris")


@pytest.fixture
def two(db_url, backend, taxonomy, tmp_path):
    if backend != "postgresql":
        pytest.skip("several structures share a PostgreSQL database only")
    return build(db_url, tmp_path, taxonomy)


def _schemas(url: str) -> list[str]:
    with Store(url).engine.connect() as conn:
        return sorted(conn.exec_driver_sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'veille%%'")
                      .scalars())


def _chenove(url: str, taxonomy) -> tuple[Store, str, str]:
    """Add ``chenove`` with its territory, an imported file, a field report with a photo and a coordinator."""
    add_structure(url, "chenove", name="Pimms Chenôve")
    store = Store(url, structure="chenove")
    install_territory(store, make_territory(), source_name="test")
    summary = import_file(store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW, workers=0)
    imported = store.read_reports(columns=["id", "batch_id"])
    imported_id = imported.loc[imported["batch_id"] == summary.batch_id, "id"].iloc[0]
    field_id = _field_report(store, taxonomy, "propre à Chenôve")
    add_photo(store, field_id, _jpeg(), filename="tag.jpg")
    accounts.create_user(store, "cheffe.chenove", PASSWORD, role="coordinateur")
    return store, imported_id, field_id


def test_structure_added_after_the_backup_is_gone_cleanly(two, taxonomy, tmp_path, capsys):
    backup = tmp_path / "avant.dump"
    backup_store(Store(two.url), backup)
    chenove, _, _ = _chenove(two.url, taxonomy)
    seen = len(load_reports(chenove, columns=["id"]))
    assert seen > 0 and _schemas(two.url) == ["veille_chenove", "veille_quetigny"]
    old_version = chenove.data_version()
    chenove.engine.dispose()

    restore_store(Store(two.url), backup)
    assert [s.code for s in list_structures(two.url)] == ["principale", "quetigny"]
    assert _schemas(two.url) == ["veille_quetigny"]  # no schema left without its register row
    assert login_structure(two.url, "cheffe.chenove") is None
    assert (Store(two.url).count_reports(), Store(two.second_url).count_reports()) == (6, 7)

    # the same code can be added again: an empty structure, never the former one's rows or snapshot
    code = main(["--db", two.url, "structures", "add", "chenove", "--name", "Pimms Chenôve"])
    assert code == 0, capsys.readouterr().err
    again = Store(two.url, structure="chenove")
    assert again.count_reports() == 0 and accounts.list_users(again) == []
    assert again.data_version() > old_version
    assert len(load_reports(again, columns=["id"])) == 0
    assert accounts.count_users(Store(two.url)) == 2  # the default structure's accounts, as backed up


def test_structure_in_the_backup_comes_back_whole(two, taxonomy, tmp_path):
    older = tmp_path / "sans-chenove.dump"
    backup_store(Store(two.url), older)
    chenove, imported_id, field_id = _chenove(two.url, taxonomy)
    kept_row = raw_row(chenove, imported_id)
    reports = chenove.read_reports(columns=["id", "status", "neighbourhood"]).sort_values("id").reset_index(drop=True)
    newer = tmp_path / "avec-chenove.dump"
    backup_store(Store(two.url), newer)
    # chenove lives on after that backup: a report more, and a snapshot of that content
    _field_report(chenove, taxonomy, "après la sauvegarde")
    later = ensure_snapshot(chenove)
    chenove.engine.dispose()

    restore_store(Store(two.url), older)  # chenove removed…
    assert [s.code for s in list_structures(two.url)] == ["principale", "quetigny"]
    restore_store(Store(two.url), newer)  # …and brought back as backed up
    assert [(s.code, s.name) for s in list_structures(two.url)] == \
        [("principale", "Pimms Médiation Dijon"), ("quetigny", "Pimms Quetigny"), ("chenove", "Pimms Chenôve")]
    assert _schemas(two.url) == ["veille_chenove", "veille_quetigny"]
    back = Store(scoped_url(two.url, "chenove"))
    after = back.read_reports(columns=["id", "status", "neighbourhood"]).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(after, reports)
    assert raw_row(back, imported_id) == kept_row  # its kept source file
    assert len(list_photos(back, field_id)) == 1  # and its photo
    assert login_structure(two.url, "cheffe.chenove") == "chenove"
    assert accounts.authenticate(back, "cheffe.chenove", PASSWORD, settings=_sharing()).role == "coordinateur"
    # never the snapshot of the content it had after the backup
    assert ensure_snapshot(back) != later and len(load_reports(back, columns=["id"])) == len(reports)
    assert (Store(two.url).count_reports(), Store(two.second_url).count_reports()) == (6, 7)


def test_failed_restore_changes_nothing(two, taxonomy, tmp_path):
    whole = tmp_path / "base.dump"
    backup_store(Store(two.url), whole)
    _chenove(two.url, taxonomy)[0].engine.dispose()
    truncated = tmp_path / "tronquee.dump"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(StoreError, match=r"illisible.*la base n'a pas changé"):
        restore_store(Store(two.url), truncated)
    # a readable archive whose replay fails past the drops of the structures' schemas: a view someone added on
    # the reports keeps them from being replaced; the drops are undone with the rest
    with Store(two.url).engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW public.vue_externe AS SELECT id FROM public.reports")
    with pytest.raises(StoreError, match=r"la restauration a échoué.*la base n'a pas changé"):
        restore_store(Store(two.url), whole)
    assert [s.code for s in list_structures(two.url)] == ["principale", "quetigny", "chenove"]
    assert _schemas(two.url) == ["veille_chenove", "veille_quetigny"]
    assert Store(two.url, structure="chenove").count_reports() > 0
    with Store(two.url).engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM public.reports")).scalar() == 6


def _sharing():
    from geo.sharing.config import load_sharing_settings

    return load_sharing_settings()
