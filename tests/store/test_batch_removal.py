"""Undoing an import batch: the store is left exactly as it was without that batch, and the file can come back."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.batches import batch_table, remove_batch
from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import ImportOptions, import_file
from geo.store import schema
from geo.store.database import Store
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT

NOW = pd.Timestamp("2026-12-31T12:00Z")


def write(path, rows):
    path.write_text("ref;date;latitude;longitude;categorie\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path):
    first = write(tmp_path / "premier.csv", [
        f"A1;02/03/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags",
        f"A2;03/03/2026 10:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};voirie",
        f"A3;demain;{SOUTH_POINT[0]};{SOUTH_POINT[1]};voirie",  # quarantined
    ])
    # exported month first, imported with the wrong format: three rows quarantined, one mis-dated
    second = write(tmp_path / "second.csv", [
        f"B1;03/25/2026 09:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags",
        f"B2;04/02/2026 09:00;{OUTSIDE_POINT[0]};{OUTSIDE_POINT[1]};proprete",
        f"B3;04/26/2026 09:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};tags",
        f"A1;03/02/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags",  # the first file's A1 (2 March)
    ])
    return first, second


def snapshot(store: Store) -> dict[str, list[dict]]:
    """Every row of every table of the store."""
    with store.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {name: [dict(r) for r in conn.execute(sa.text(f'SELECT * FROM "{name}"')).mappings()]
                for name in names}


def test_the_store_is_unchanged_apart_from_the_removed_batch(tmp_store, taxonomy, files):
    first, second = files
    options = ImportOptions(columns={"id": "ref"}, source="t", time_format="%d/%m/%Y %H:%M")
    kept = import_file(tmp_store, first, taxonomy=taxonomy, now=NOW, options=options)
    field = record_report(tmp_store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="eclairage",
                                                observed_at=NOW - pd.Timedelta(days=1), author="Samia"),
                          taxonomy=taxonomy, now=NOW)
    wrong = import_file(tmp_store, second, taxonomy=taxonomy, now=NOW, options=options)
    assert (wrong.stored, wrong.quarantined, wrong.duplicates) == (1, 3, 0)
    wrong_ids = [r for r in tmp_store.read_reports(columns=("id",))["id"] if r.startswith("t:B")]
    with tmp_store.transaction() as conn:  # a status change on a report of each file (a later capability)
        conn.execute(schema.status_history.insert(), [
            {"report_id": wrong_ids[0], "changed_at": 1, "to_status": "transmis"},
            {"report_id": "t:A2", "changed_at": 2, "to_status": "transmis"}])
    before = snapshot(tmp_store)

    removal = remove_batch(tmp_store, wrong.batch_id, removed_by="Camille", now=1_800_000_000)

    assert (removal.removed_reports, removal.removed_quarantine, removal.removed_source_parts) == (1, 3, 1)
    assert removal.linked == {"status_history": 1}
    after = snapshot(tmp_store)
    assert set(after) == set(before)
    for name, rows in before.items():
        if name == "batches":
            expected = [r if r["id"] != wrong.batch_id else
                        {**r, "removed_at": 1_800_000_000, "removed_by": "Camille", "removed_reports": 1,
                         "removed_quarantine": 3} for r in rows]
        elif name in ("reports", "quarantine", "source_files"):
            expected = [r for r in rows if r["batch_id"] != wrong.batch_id]
        elif name == "status_history":
            expected = [r for r in rows if r["report_id"] not in wrong_ids]
        elif name == "report_changes":  # SQLite's change log (geo.store.changes_schema): the deletions, no more
            expected = rows + [{"seq": len(rows) + k + 1, "report_id": rid, "deleted": 1}
                               for k, rid in enumerate(wrong_ids)]
        elif name == "meta":
            expected = [r if r["key"] != "data_version" else {**r, "value": str(int(r["value"]) + 1)} for r in rows]
        else:
            expected = rows
        assert after[name] == expected, name
    assert tmp_store.get_report(field.report_id) is not None
    assert tmp_store.get_report("t:A1")["batch_id"] == kept.batch_id

    # the same file again, with the right format: stored as new, not "already imported"
    again = import_file(tmp_store, second, taxonomy=taxonomy, now=NOW,
                        options=ImportOptions(columns={"id": "ref"}, source="t", time_format="%m/%d/%Y %H:%M"))
    assert (again.stored, again.quarantined, again.duplicates) == (3, 0, 1)
    assert not any("déjà été importé" in w for w in again.warnings)
    assert pd.Timestamp(tmp_store.get_report("t:B3")["observed_at"], unit="s", tz="UTC").month == 4
    assert tmp_store.count_reports() == 2 + 1 + 3


def test_the_importing_of_the_same_file_is_still_noticed_while_a_batch_stands(tmp_store, taxonomy, files):
    first, _ = files
    one = import_file(tmp_store, first, taxonomy=taxonomy, now=NOW)
    two = import_file(tmp_store, first, taxonomy=taxonomy, now=NOW)
    assert any(f"lot {one.batch_id}" in w for w in two.warnings)
    remove_batch(tmp_store, one.batch_id)
    three = import_file(tmp_store, first, taxonomy=taxonomy, now=NOW)
    assert [w for w in three.warnings if "déjà été importé" in w] == [
        f"ce fichier a déjà été importé (lot {two.batch_id}) : ses lignes déjà enregistrées sont comptées comme "
        "doublons"]


def test_a_field_report_is_never_removed(tmp_store, taxonomy):
    field = record_report(tmp_store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="eclairage",
                                                observed_at=NOW - pd.Timedelta(days=1)), taxonomy=taxonomy, now=NOW)
    batch_id = int(tmp_store.list_batches()["id"].iloc[0])
    before = snapshot(tmp_store)
    with pytest.raises(InputError, match="saisi sur le terrain"):
        remove_batch(tmp_store, batch_id, removed_by="Camille")
    assert snapshot(tmp_store) == before
    assert tmp_store.get_report(field.report_id) is not None


def test_unknown_and_already_removed_batches_are_refused(tmp_store, taxonomy, files):
    with pytest.raises(InputError, match="lot 99 introuvable"):
        remove_batch(tmp_store, 99)
    batch = import_file(tmp_store, files[0], taxonomy=taxonomy, now=NOW).batch_id
    remove_batch(tmp_store, batch, removed_by="Camille", now=1_800_000_000)
    with pytest.raises(InputError, match=r"déjà annulé le 15/01/2027 08:00 UTC par Camille"):
        remove_batch(tmp_store, batch)


def test_the_batch_table_for_the_import_page(tmp_store, taxonomy, files):
    first, second = files
    one = import_file(tmp_store, first, taxonomy=taxonomy, now=NOW, imported_by="Léa")
    record_report(tmp_store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="eclairage",
                                        observed_at=NOW - pd.Timedelta(days=1)), taxonomy=taxonomy, now=NOW)
    two = import_file(tmp_store, second, taxonomy=taxonomy, now=NOW)
    remove_batch(tmp_store, one.batch_id, removed_by="Camille", now=1_800_000_000)
    table = batch_table(tmp_store)
    assert table["lot"].tolist() == [two.batch_id, one.batch_id]  # newest first; the form's batch left out
    removed = table.set_index("lot").loc[one.batch_id]
    assert (removed["fichier"], removed["par"], removed["lues"], removed["enregistrées"]) == ("premier.csv", "Léa",
                                                                                            3, 2)
    assert (removed["annulé le"], removed["annulé par"], removed["annulable"]) == ("15/01/2027 09:00", "Camille",
                                                                                  False)
    assert bool(table.set_index("lot").loc[two.batch_id, "annulable"])
    assert len(batch_table(tmp_store, include_form=True)) == 3


def test_an_older_store_gets_the_removal_columns(db_url):
    store = Store(db_url)
    with store.engine.begin() as conn:
        for column in ("removed_at", "removed_by", "removed_reports", "removed_quarantine"):
            conn.exec_driver_sql(f"ALTER TABLE batches DROP COLUMN {column}")
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="2"))
    migrated = Store(db_url)
    assert migrated.schema_version() == schema.SCHEMA_VERSION
    columns = {c["name"] for c in sa.inspect(migrated.engine).get_columns("batches")}
    assert {"removed_at", "removed_by", "removed_reports", "removed_quarantine"} <= columns
