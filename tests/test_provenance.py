import pandas as pd

from geo.entry import FieldEntry, record_report
from geo.ingest import import_file
from geo.provenance import raw_row, restore_file
from tests.conftest import NORTH_POINT

NOW = pd.Timestamp("2026-11-25 10:00", tz="Europe/Paris")


def test_imported_file_is_kept_byte_for_byte(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "export.csv"
    body = "date;latitude;longitude;categorie;Téléphone\n" + "".join(
        f"0{d}/10/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags;06 00 00 00 0{d}\n" for d in range(1, 8))
    path.write_bytes(body.encode("cp1252"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW, chunk_rows=3)
    (tmp_path / "out").mkdir()
    restored = restore_file(tmp_store, summary.batch_id, tmp_path / "out")
    assert restored.read_bytes() == path.read_bytes()


def test_raw_row_is_read_back_from_the_kept_file(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("date;latitude;longitude;categorie;extra\n"
                    + "".join(f"0{d}/10/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags;valeur {d}\n"
                              for d in range(1, 6)), encoding="utf-8")
    import_file(tmp_store, path, taxonomy=taxonomy, now=NOW, chunk_rows=2)
    reports = tmp_store.read_reports(columns=("id", "observed_at", "row_number")).sort_values("observed_at")
    assert reports["row_number"].tolist() == [2, 3, 4, 5, 6]
    fourth = raw_row(tmp_store, reports["id"].iloc[3])
    assert fourth == {"date": "04/10/2026 10:00", "latitude": str(NORTH_POINT[0]), "longitude": str(NORTH_POINT[1]),
                      "categorie": "tags", "extra": "valeur 4"}


def test_raw_row_of_a_field_entry_is_the_form(tmp_store, taxonomy):
    result = record_report(tmp_store, FieldEntry(lat=NORTH_POINT[0], lon=NORTH_POINT[1], category="tags",
                                                 observed_at=NOW, description="tag"), taxonomy=taxonomy, now=NOW)
    assert raw_row(tmp_store, result.report_id)["categorie"] == "tags"
    assert raw_row(tmp_store, "nope") is None
