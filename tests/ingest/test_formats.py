"""Recognition of file layouts (geo.ingest.formats) and opening of files (geo.ingest.readers)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import InputError
from geo.ingest.formats import detect_mapping
from geo.ingest.readers import GEOMETRY_COLUMNS, open_source
from tests.conftest import FIXTURES


def header(path: Path, encoding: str = "utf-8") -> list[str]:
    return open_source(path, encoding=encoding).columns


# -- detect_mapping ---------------------------------------------------------------------------------

def test_kobo_export_is_recognised_with_group_headers():
    mapping = detect_mapping(header(FIXTURES / "kobo_veille.csv"))
    assert mapping.profile == "kobo"
    assert (mapping.lat, mapping.lon) == ("grp_obs/_point_latitude", "grp_obs/_point_longitude")
    assert mapping.id == "_uuid"
    assert mapping.author == "_submitted_by"
    assert mapping.category == "grp_obs/categorie"
    assert mapping.description == "grp_obs/description"
    assert mapping.id_prefix == "kobo"


def test_kobo_metadata_columns_are_never_guessed_as_report_fields():
    # `_status` holds "submitted_via_web", `_id` a number, `__version__` a form version: none is a report field
    columns = ["categorie", "_point_latitude", "_point_longitude", "_id", "_uuid", "_submission_time",
               "_validation_status", "_status", "__version__", "_index"]
    mapping = detect_mapping(columns)
    assert mapping.status is None
    assert mapping.id == "_uuid"


def test_kobo_without_a_date_question_uses_submission_time_as_utc():
    mapping = detect_mapping(["categorie", "_gps_latitude", "_gps_longitude", "_uuid", "_submission_time"])
    assert mapping.time == "_submission_time"
    assert mapping.time_is_utc


def test_kobo_date_question_wins_over_submission_time():
    mapping = detect_mapping(["date_observation", "categorie", "_gps_latitude", "_gps_longitude", "_uuid",
                              "_submission_time"])
    assert mapping.time == "date_observation"
    assert not mapping.time_is_utc


def test_odk_central_export_is_recognised_with_dash_group_paths():
    mapping = detect_mapping(header(FIXTURES / "odk_veille.csv"))
    assert mapping.profile == "odk"
    assert (mapping.lat, mapping.lon) == ("obs-lieu-Latitude", "obs-lieu-Longitude")
    assert mapping.time == "SubmissionDate"
    assert mapping.id == "KEY"
    assert mapping.author == "SubmitterName"
    assert mapping.category == "obs-categorie"
    assert mapping.severity == "obs-gravite"
    assert mapping.status is None  # ODK's own "Status" column is export metadata


def test_open311_is_recognised():
    source = open_source(FIXTURES / "open311_requests.json")
    assert source.format == "open311"
    mapping = detect_mapping(source.columns)
    assert mapping.profile == "open311"
    assert (mapping.lat, mapping.lon, mapping.time) == ("lat", "long", "requested_datetime")
    assert (mapping.id, mapping.category, mapping.status) == ("service_request_id", "service_name", "status")


def test_fixmystreet_export_is_recognised():
    columns = ["Report ID", "Title", "Detail", "Category", "Created", "Confirmed", "Fixed", "Closed", "Status",
               "Latitude", "Longitude", "Ward", "Easting", "Northing"]
    mapping = detect_mapping(columns)
    assert mapping.profile == "fixmystreet"
    assert (mapping.id, mapping.time, mapping.category, mapping.description) == (
        "Report ID", "Created", "Category", "Detail")
    assert (mapping.lat, mapping.lon) == ("Latitude", "Longitude")


def test_french_headers_are_recognised_without_accents_or_case():
    mapping = detect_mapping(["Date observation", "Catégorie", "LATITUDE", "Longitude", "Commentaire", "Équipe",
                              "Gravité"])
    assert (mapping.profile, mapping.time, mapping.category) == ("table", "Date observation", "Catégorie")
    assert (mapping.lat, mapping.lon) == ("LATITUDE", "Longitude")
    assert (mapping.description, mapping.team, mapping.severity) == ("Commentaire", "Équipe", "Gravité")


def test_options_win_over_recognition():
    mapping = detect_mapping(["Y", "X", "Quand", "Quoi", "Latitude"],
                             overrides={"lat": "Y", "lon": "X", "time": "Quand", "category": "Quoi",
                                        "time_format": "%d/%m/%Y"})
    assert (mapping.lat, mapping.lon, mapping.time, mapping.category) == ("Y", "X", "Quand", "Quoi")
    assert mapping.time_format == "%d/%m/%Y"


def test_missing_columns_are_named_with_the_options_to_give():
    with pytest.raises(InputError) as err:
        detect_mapping(["Y", "X", "date", "type"])
    message = str(err.value)
    assert "--lat COLONNE" in message and "--lon COLONNE" in message
    assert "--time" not in message and "'Y'" in message


def test_an_option_naming_a_missing_column_is_refused():
    with pytest.raises(InputError, match="'Lat' \\(--lat\\) n'existe pas"):
        detect_mapping(["latitude", "longitude", "date", "type"], overrides={"lat": "Lat"})


def test_source_option_sets_the_id_namespace():
    mapping = detect_mapping(header(FIXTURES / "odk_veille.csv"), source="mairie")
    assert mapping.id_prefix == "mairie"


# -- readers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "expected"), [("cp1252", "cp1252"), ("utf-8-sig", "utf-8-sig"),
                                                    ("utf-8", "utf-8")])
def test_csv_encoding_is_detected(tmp_path, encoding, expected):
    text = (FIXTURES / "excel_fr_cp1252.csv").read_bytes().decode("cp1252")
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    source = open_source(path)
    assert source.details == {"encoding": expected, "separator": ";"}
    assert source.columns[1] == "Catégorie"
    chunk = next(source.chunks)
    assert chunk.iloc[0]["Commentaire"] == "Encombrants rue d’Auxonne"
    assert list(chunk.index) == [2, 3, 4]


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_csv_separator_is_detected(tmp_path, sep):
    path = tmp_path / "sep.csv"
    path.write_text(sep.join(["date", "categorie", "latitude", "longitude"]) + "\n"
                    + sep.join(["2026-03-02", "tags", "47.3", "5.04"]) + "\n", encoding="utf-8")
    source = open_source(path)
    assert source.details["separator"] == sep
    assert source.columns == ["date", "categorie", "latitude", "longitude"]


def test_csv_chunks_are_numbered_by_file_row(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a;b\n" + "".join(f"{i};x\n" for i in range(7)), encoding="utf-8")
    chunks = list(open_source(path, chunk_rows=3).chunks)
    assert [len(c) for c in chunks] == [3, 3, 1]
    assert [list(c.index) for c in chunks] == [[2, 3, 4], [5, 6, 7], [8]]
    assert all(c.map(type).eq(str).all().all() for c in chunks)  # cells stay text


def test_xlsx_cells_become_text(tmp_path):
    path = tmp_path / "classeur.xlsx"
    pd.DataFrame({"date": [pd.Timestamp("2026-03-02 14:30")], "latitude": [47.34], "n": [3]}).to_excel(
        path, index=False)
    source = open_source(path)
    assert source.format == "xlsx"
    row = next(source.chunks).iloc[0]
    assert (row["date"], row["latitude"], row["n"]) == ("2026-03-02T14:30:00", "47.34", "3")


def test_geojson_adds_point_columns(tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"k": "v"}, '
                    '"geometry": {"type": "Point", "coordinates": [5.04, 47.34, 245.0]}}]}', encoding="utf-8")
    source = open_source(path)
    assert source.format == "geojson"
    assert set(GEOMETRY_COLUMNS) <= set(source.columns)
    row = next(source.chunks).iloc[0]
    assert (float(row["__lon__"]), float(row["__lat__"]), row["__geometry_type__"]) == (5.04, 47.34, "Point")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("vide.csv", b"", "vide"),
    ("blanc.csv", b"\n\n \n", "que des lignes vides"),
    ("binaire.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06",
     "encodage non reconnu"),
    ("inconnu.csv", b"lat;lon;texte\n1;2;\x81\x8d\xc3\n", "encodage non reconnu"),
    ("doublons.csv", b"lat;lat;lon\n1;2;3\n", "colonnes en double"),
    ("table.ods", b"PK\x03\x04whatever", "illisible"),
    ("notes.pdf", b"%PDF-1.4", "extension '.pdf' non prise en charge"),
    ("liste.json", b'{"foo": 1}', "JSON non reconnu"),
    ("casse.json", b'[{"a": ', "JSON invalide"),
])
def test_unreadable_files_are_refused_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        open_source(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="fichier introuvable"):
        open_source(tmp_path / "absent.csv")


def test_unknown_encoding_option_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("lat;lon\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError, match="encodage 'klingon' inconnu"):
        open_source(path, encoding="klingon")


@pytest.mark.parametrize("text", ["catégorie;lat\néclairage;47,3\n", "categorie;lat\néclairage;47,3\n"])
def test_wrong_encoding_option_is_an_input_error(tmp_path, text):
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(InputError, match="n'est pas en utf-8"):
        list(open_source(path, encoding="utf-8").chunks)


def test_wrong_separator_option_is_refused_with_the_one_found(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("date;categorie;latitude;longitude\n2026-03-02;tags;47,3;5,04\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"séparateur ',' introuvable.*séparé par ';'"):
        open_source(path, sep=",")


def test_bom_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "Date;Catégorie\n02/03/2026;tags\n".encode())
    assert open_source(path).columns == ["Date", "Catégorie"]
