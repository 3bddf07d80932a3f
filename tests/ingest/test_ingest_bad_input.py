"""Bad input: a clear error (nothing stored) or the row quarantined with every reason; nothing is lost."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from geo.errors import InputError
from geo.ingest.importer import ImportOptions, import_file
from geo.ingest.provenance import raw_row
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT
from tests.ingest.test_ingest import HEADER, NOW, check_invariant, reports, write_csv

N_LAT, N_LON = NORTH_POINT
S_LAT, S_LON = SOUTH_POINT


def quarantine_reasons(store) -> dict[int, list[tuple[str, str, str]]]:
    """Return {row number: [(column, value, reason), ...]} of the quarantine."""
    table = store.read_quarantine()
    return {row.row_number: [(r["column"], r["value"], r["reason"]) for r in row.reasons]
            for row in table.itertuples()}


def assert_nothing_stored(store) -> None:
    assert store.count_reports() == 0
    assert store.list_batches().empty


# -- the file as a whole cannot be used: an error, nothing stored ----------------------------------

@pytest.mark.parametrize("case", [
    (b"", {}, "le fichier est vide"),
    ("date;categorie;latitude;longitude\n2026-03-02;tags;47.3;5.04;\x81\n".encode("latin-1"), {},
     "encodage non reconnu"),
    (b"\x00\x01\x02\x03\x04\x05\x06\x07binary\x00\x01\x02\x03\x04\x05\x06", {}, "encodage non reconnu"),
    (b"date;categorie;latitude;longitude\n", {"encoding": "ebcdic-martien"}, "encodage 'ebcdic-martien' inconnu"),
    ("date;catégorie;latitude;longitude\n".encode("cp1252"), {"encoding": "utf-8"}, "n'est pas en utf-8"),
    (b"date;categorie;latitude;longitude\n2026-03-02;tags;47,3;5,04\n", {"sep": ","},
     "séparateur ',' introuvable"),
    (b"date,categorie,latitude,longitude\n2026-03-02,tags,47,3,5,04\n", {}, "ligne mal formée"),
    (b"date,categorie,latitude,longitude\n2026-03-02,tags,47.3,5.04\n2026-03-02,tags,47,3,5,04\n", {},
     "ligne mal formée"),
    (b"quand;quoi;ou\n2026-03-02;tags;centre\n", {}, "colonnes non reconnues pour : lat, lon"),
], ids=["empty", "undecodable", "binary", "unknown-encoding-option", "wrong-encoding-option",
        "wrong-separator-option", "decimal-comma-in-comma-file-row-2", "decimal-comma-in-comma-file-row-3",
        "no-coordinates"])
def test_unusable_files_are_refused_and_nothing_is_stored(tmp_store, taxonomy, tmp_path, case):
    content, options, message = case
    path = tmp_path / "mauvais.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        import_file(tmp_store, path, taxonomy=taxonomy, options=ImportOptions(**options), now=NOW)
    assert_nothing_stored(tmp_store)


def test_header_only(tmp_store, taxonomy, tmp_path):
    summary = import_file(tmp_store, write_csv(tmp_path, []), taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (0, 0, 0, 0)
    assert any("qu'une ligne d'en-tête" in w for w in summary.warnings)
    assert tmp_store.count_reports() == 0


def test_header_only_workbook(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "vide.xlsx"
    pd.DataFrame(columns=["date", "categorie", "latitude", "longitude"]).to_excel(path, index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored, summary.quarantined) == (0, 0, 0)
    assert any("qu'une ligne d'en-tête" in w for w in summary.warnings)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_geographic_file_without_features(tmp_store, taxonomy, tmp_path, suffix):
    path = tmp_path / f"vide{suffix}"
    gpd.GeoDataFrame({"date": [], "categorie": []}, geometry=[], crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match="aucun objet"):
        import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert_nothing_stored(tmp_store)


# -- rows that cannot be stored: quarantined with every reason -------------------------------------

@pytest.mark.parametrize(("cells", "expected"), [
    (f";{N_LON}", [("latitude", "", "latitude manquante")]),
    (f"{N_LAT};", [("longitude", "", "longitude manquante")]),
    (";", [("latitude", "", "latitude manquante"), ("longitude", "", "longitude manquante")]),
    (f"47°20'N;{N_LON}", [("latitude", "47°20'N", "latitude non numérique")]),
    (f"{N_LAT};cinq", [("longitude", "cinq", "longitude non numérique")]),
    ("95.2;5.04", [("latitude", "95.2", "latitude hors de [-90, 90]")]),
    ("47.3;190", [("longitude", "190", "longitude hors de [-180, 180]")]),
    ("0;0", [("latitude", "0", "position (0, 0) : point GPS absent ?")]),
])
def test_bad_coordinates_are_quarantined_with_their_reasons(tmp_store, taxonomy, tmp_path, cells, expected):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{cells};x"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored, summary.quarantined) == (1, 0, 1)
    assert quarantine_reasons(tmp_store) == {2: expected}


@pytest.mark.parametrize(("value", "expected"), [
    ("47,34", 47.34), (" 47.34 ", 47.34), ("47\u00a0,34", 47.34), ("47.340", 47.34),
])
def test_decimal_comma_and_spaces_are_read(tmp_store, taxonomy, tmp_path, value, expected):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{value};5,04;x"])
    assert import_file(tmp_store, path, taxonomy=taxonomy, now=NOW).stored == 1
    assert reports(tmp_store)["lat"].iloc[0] == expected


def test_decimal_comma_in_a_comma_separated_file_when_quoted(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "virgules.csv"
    path.write_text('date,categorie,latitude,longitude\n2026-03-02 10:00,tags,"47,34","5,04"\n', encoding="utf-8")
    assert import_file(tmp_store, path, taxonomy=taxonomy, now=NOW).stored == 1
    assert (reports(tmp_store)["lat"].iloc[0], reports(tmp_store)["lon"].iloc[0]) == (47.34, 5.04)


def test_thousands_separator_is_not_a_decimal(tmp_store, taxonomy, tmp_path):
    # "1.234,5" is ambiguous for a coordinate: refused rather than guessed
    path = write_csv(tmp_path, ["2026-03-02 10:00;tags;1.234,5;5.04;x"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert summary.quarantined == 1
    assert quarantine_reasons(tmp_store)[2] == [("latitude", "1.234,5", "latitude non numérique")]


@pytest.mark.parametrize(("value", "reason"), [
    ("", "date manquante"),
    ("hier soir", "date illisible (attendu jj/mm/aaaa hh:mm ou ISO 8601)"),
    ("31/02/2026", "date illisible (attendu jj/mm/aaaa hh:mm ou ISO 8601)"),
    ("2026-13-01", "date illisible (attendu jj/mm/aaaa hh:mm ou ISO 8601)"),
    ("25/12/2026 10:00", "date dans le futur"),
    ("2027-01-01T00:00:00Z", "date dans le futur"),
    ("12/03/1999", "date antérieure à 2000"),
    # beyond what a nanosecond time holds (years 1678-2261): still one quarantined row, not a failed import
    ("31/12/2999 10:00", "date dans le futur"),
    ("2999-12-31T10:00:00+01:00", "date dans le futur"),
    ("01/01/1500", "date antérieure à 2000"),
    ("0001-01-01", "date antérieure à 2000"),
])
def test_bad_dates_are_quarantined(tmp_store, taxonomy, tmp_path, value, reason):
    path = write_csv(tmp_path, [f"{value};tags;{N_LAT};{N_LON};x"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=pd.Timestamp("2026-11-01T00:00:00Z"))
    assert (summary.stored, summary.quarantined) == (0, 1)
    assert quarantine_reasons(tmp_store) == {2: [("date", value, reason)]}


def test_dates_out_of_range_with_an_explicit_format_are_quarantined(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"31/12/2999 10:00;tags;{N_LAT};{N_LON};x", f"02/03/2026 10:00;tags;{N_LAT};{N_LON};y"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, options=ImportOptions(time_format="%d/%m/%Y %H:%M"),
                          now=NOW)
    assert (summary.stored, summary.quarantined) == (1, 1)
    assert quarantine_reasons(tmp_store) == {2: [("date", "31/12/2999 10:00", "date dans le futur")]}


def test_a_date_within_ten_minutes_of_now_is_not_future(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"2026-06-01T12:05:00Z;tags;{N_LAT};{N_LON};x"])
    assert import_file(tmp_store, path, taxonomy=taxonomy, now=NOW).stored == 1


def test_time_format_option(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"03-02-2026 10h15;tags;{N_LAT};{N_LON};x", f"nope;tags;{N_LAT};{N_LON};y"])
    options = ImportOptions(time_format="%m-%d-%Y %Hh%M")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, options=options, now=NOW)
    assert (summary.stored, summary.quarantined) == (1, 1)
    assert reports(tmp_store)["observed_at"].iloc[0] == pd.Timestamp("2026-03-02 10:15", tz="Europe/Paris")
    assert quarantine_reasons(tmp_store)[3] == [("date", "nope", "date illisible (attendu format %m-%d-%Y %Hh%M)")]


def test_every_reason_of_a_row_is_kept_with_the_raw_row(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, ["2026-03-02;tags;47.3;5.04;ok", "jamais;tags;abc;;tout faux"],
                     header=HEADER + ";gravite;colonne_en_plus")
    path.write_text(path.read_text().replace("tout faux\n", "tout faux;9;gardée\n").replace("ok\n", "ok;1;a\n"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.quarantined) == (1, 1)
    table = tmp_store.read_quarantine()
    row = table.iloc[0]
    assert row["row_number"] == 3
    assert row["raw"] == {"date": "jamais", "categorie": "tags", "latitude": "abc", "longitude": "",
                          "description": "tout faux", "gravite": "9", "colonne_en_plus": "gardée"}
    assert [(r["row"], r["column"], r["value"], r["reason"]) for r in row["reasons"]] == [
        (3, "latitude", "abc", "latitude non numérique"),
        (3, "longitude", "", "longitude manquante"),
        (3, "date", "jamais", "date illisible (attendu jj/mm/aaaa hh:mm ou ISO 8601)"),
        (3, "gravite", "9", "gravité inconnue (attendu 1, 2, 3 ou gêne / à traiter / danger)"),
    ]


def test_unknown_status_is_quarantined(tmp_store, taxonomy, tmp_path):
    lines = [f"2026-03-02;tags;{N_LAT};{N_LON};x;archivé", f"2026-03-02;tags;{N_LAT};{N_LON};y;Résolu"]
    path = write_csv(tmp_path, lines, header=HEADER + ";statut")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.quarantined) == (1, 1)
    assert reports(tmp_store)["status"].tolist() == ["resolu"]
    assert quarantine_reasons(tmp_store)[2][0][:2] == ("statut", "archivé")


# -- rows stored with a remark -----------------------------------------------------------------------

def test_swapped_latitude_and_longitude_are_corrected_and_flagged(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{N_LON};{N_LAT};inversé",
                                f"2026-03-02 11:00;tags;{N_LAT};{N_LON};correct",
                                f"2026-03-02 12:00;tags;{OUTSIDE_POINT[1]};{OUTSIDE_POINT[0]};ailleurs inversé"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.swapped_coordinates, summary.outside_territory) == (3, 1, 1)
    assert summary.counts()["swapped_coordinates"] == 1
    assert any("inversées" in w and "lat_lon_swapped" in w for w in summary.warnings)
    got = reports(tmp_store).set_index("description")
    assert (got.loc["inversé", "lat"], got.loc["inversé", "lon"]) == NORTH_POINT
    assert got.loc["inversé", "neighbourhood"] == "nord"
    assert json.loads(got.loc["inversé", "flags"]) == ["lat_lon_swapped"]
    assert raw_row(tmp_store, got.loc["inversé", "id"])["latitude"] == str(N_LON)  # the raw row is as given
    assert pd.isna(got.loc["correct", "flags"])
    # outside the territory either way: not swapped (nothing tells which is right), stored as given
    assert got.loc["ailleurs inversé", "lat"] == OUTSIDE_POINT[1]
    assert pd.isna(got.loc["ailleurs inversé", "flags"])


def test_no_swap_detection_without_territory(empty_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{N_LON};{N_LAT};inversé"])
    summary = import_file(empty_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.swapped_coordinates) == (1, 0)


def test_points_outside_the_territory_are_stored_and_counted(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{OUTSIDE_POINT[0]};{OUTSIDE_POINT[1]};Paris",
                                f"2026-03-02 10:00;tags;{SOUTH_POINT[0]};{SOUTH_POINT[1]};sud"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.outside_territory, summary.quarantined) == (2, 1, 0)
    got = reports(tmp_store).set_index("description")
    assert pd.isna(got.loc["Paris", "neighbourhood"])
    assert got.loc["sud", "neighbourhood"] == "sud"


def test_duplicate_rows_inside_one_file(tmp_store, taxonomy, tmp_path):
    line = f"2026-03-02 10:00;tags;{N_LAT};{N_LON};même ligne"
    near = f"2026-03-02 10:00;tags;{N_LAT};{N_LON};autre description"
    summary = import_file(tmp_store, write_csv(tmp_path, [line, line, near, line]), taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored, summary.duplicates) == (4, 2, 2)


def test_duplicate_source_ids_inside_one_file(tmp_store, taxonomy, tmp_path):
    lines = [f"A1;2026-03-02 10:00;tags;{N_LAT};{N_LON}", f"A1;2026-03-02 10:00;voirie;{N_LAT};{N_LON}",
             f"A2;2026-03-02 10:00;tags;{N_LAT};{N_LON}"]
    summary = import_file(tmp_store, write_csv(tmp_path, lines, header="id;date;categorie;latitude;longitude"),
                          taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.duplicates, summary.quarantined) == (2, 1, 0)  # same time and place
    got = reports(tmp_store)
    assert sorted(got["id"]) == ["import:A1", "import:A2"]
    assert got.set_index("id").loc["import:A1", "category"] == "tags"  # the first one wins


@pytest.mark.parametrize("chunk_rows", [100, 2], ids=["one-chunk", "across-chunks"])
def test_a_source_id_reused_in_one_file_for_another_report_is_quarantined(tmp_store, taxonomy, tmp_path,
                                                                         chunk_rows):
    lines = [f"A1;2026-03-02 10:00;tags;{N_LAT};{N_LON}", f"A2;2026-03-02 10:00;tags;{N_LAT};{N_LON}",
             f"A1;2026-03-03 10:00;voirie;{N_LAT};{N_LON}", f"A2;2026-03-02 10:00;tags;{S_LAT};{S_LON}"]
    summary = import_file(tmp_store, write_csv(tmp_path, lines, header="id;date;categorie;latitude;longitude"),
                          taxonomy=taxonomy, now=NOW, chunk_rows=chunk_rows)
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (4, 2, 0, 2)
    assert reports(tmp_store).set_index("id")["category"].to_dict() == {"import:A1": "tags", "import:A2": "tags"}
    reasons = quarantine_reasons(tmp_store)
    assert sorted(reasons) == [4, 5]
    assert [(column, value) for column, value, _ in reasons[4]] == [("id", "A1")]
    assert all("--source" in reason for rows in reasons.values() for _, _, reason in rows)
    raw = tmp_store.read_quarantine().set_index("row_number")["raw"]
    assert raw[4] == {"id": "A1", "date": "2026-03-03 10:00", "categorie": "voirie", "latitude": str(N_LAT),
                      "longitude": str(N_LON)}


def test_two_files_numbered_alike_do_not_hide_each_other(tmp_store, taxonomy, tmp_path):
    header = "N°;date;categorie;latitude;longitude"
    october = write_csv(tmp_path, [f"{n};0{n}/10/2026 10:00;tags;{N_LAT};{N_LON}" for n in (1, 2, 3)],
                        header=header, name="octobre.csv")
    november = write_csv(tmp_path, [f"{n};0{n}/11/2026 10:00;voirie;{S_LAT};{S_LON}" for n in (1, 2)]
                         + [f"3;03/10/2026 10:00;tags;{N_LAT};{N_LON}"], header=header, name="novembre.csv")
    now = pd.Timestamp("2026-11-20T00:00:00Z")
    import_file(tmp_store, october, taxonomy=taxonomy, now=now)
    second = import_file(tmp_store, november, taxonomy=taxonomy, now=now)
    assert (second.stored, second.duplicates, second.quarantined) == (0, 1, 2)  # row 3 is October's report 3
    reasons = quarantine_reasons(tmp_store)
    assert [value for _, value, _ in reasons[2]] == ["1"]
    assert "le signalement import:1 (lot 1)" in reasons[2][0][2] and "--source" in reasons[2][0][2]
    assert any("--source" in w for w in second.warnings)
    again = import_file(tmp_store, november, taxonomy=taxonomy, now=now, options=ImportOptions(source="novembre"))
    assert (again.stored, again.quarantined) == (3, 0)


def test_extra_columns_are_kept_in_the_raw_row(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"2026-03-02 10:00;tags;{N_LAT};{N_LON};x;Bât. C;06 12 34 56 78;"],
                     header=HEADER + ";Adresse précise;Téléphone;vide")
    import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    raw = raw_row(tmp_store, reports(tmp_store)["id"].iloc[0])
    assert raw == {"date": "2026-03-02 10:00", "categorie": "tags", "latitude": str(N_LAT),
                   "longitude": str(N_LON), "description": "x", "Adresse précise": "Bât. C",
                   "Téléphone": "06 12 34 56 78", "vide": ""}


def test_cells_with_line_separators_keep_rows_aligned(tmp_store, taxonomy, tmp_path):
    lines = [f"2026-03-02 10:00;tags;{N_LAT};{N_LON};\"deux\nlignes\u2028et\x85plus\"",
             f"2026-03-02 11:00;voirie;{N_LAT};{N_LON};simple"]
    summary = import_file(tmp_store, write_csv(tmp_path, lines), taxonomy=taxonomy, now=NOW)
    assert summary.stored == 2
    got = reports(tmp_store)
    assert [raw_row(tmp_store, i)["description"] for i in got["id"]] == ["deux\nlignes\u2028et\x85plus", "simple"]
