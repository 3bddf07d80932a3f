"""Importing files of reports: every format, the count invariant, idempotency, the one-transaction batch."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from geo.errors import InputError
from geo.ingest.formats import detect_mapping
from geo.ingest.importer import ImportOptions, import_file, prepare_rows, read_category_map, write_rejects
from geo.ingest.provenance import raw_row
from geo.store import schema
from geo.store.database import Store
from tests.conftest import FIXTURES, NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT

NOW = pd.Timestamp("2026-06-01T12:00:00Z")
HEADER = "date;categorie;latitude;longitude;description"


def write_csv(tmp_path: Path, lines: list[str], *, header: str = HEADER, name: str = "signalements.csv",
              encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def check_invariant(summary) -> None:
    assert summary.read == summary.stored + summary.duplicates + summary.quarantined


def reports(store: Store) -> pd.DataFrame:
    return store.read_reports(columns=["id", "source_id", "observed_at", "lat", "lon", "category", "category_label",
                                       "registre", "severity", "status", "description", "team", "author",
                                       "neighbourhood", "flags", "raw"]).sort_values("observed_at",
                                                                                     ignore_index=True)


def table_count(store: Store, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar())


# -- formats ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_excel_french_csv(tmp_store, taxonomy, tmp_path, encoding):
    text = (FIXTURES / "excel_fr_cp1252.csv").read_bytes().decode("cp1252")
    path = tmp_path / "export_excel.csv"
    path.write_bytes(text.encode(encoding))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored, summary.quarantined, summary.profile) == (3, 3, 0, "table")
    got = reports(tmp_store)
    assert list(got["category"]) == ["proprete", "tags", "voirie"]
    assert list(got["category_label"]) == ["Dépôt sauvage", "Tags", "Nid-de-poule"]
    assert list(got["lat"]) == [47.34, 47.30, 47.3012]  # decimal comma read
    assert list(got["lon"]) == [5.04, 5.04, 5.0433]
    assert list(got["neighbourhood"]) == ["nord", "sud", "sud"]
    assert list(got["severity"]) == [2, 1, 2]  # "à traiter" is 2
    assert got["team"].iloc[0] == "Équipe Nord"
    assert got["description"].iloc[0] == "Encombrants rue d’Auxonne"
    # dd/mm/yyyy hh:mm is local time (Paris, UTC+1 in March)
    assert got["observed_at"].iloc[0] == pd.Timestamp("2026-03-02 14:30", tz="Europe/Paris")
    assert raw_row(tmp_store, got["id"].iloc[1])["Latitude"] == "47,30"


def test_kobo_export(tmp_store, taxonomy):
    summary = import_file(tmp_store, FIXTURES / "kobo_veille.csv", taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.profile, summary.read, summary.stored, summary.quarantined) == ("kobo", 4, 3, 1)
    assert summary.unknown_categories == {"chien_errant": 1}
    got = reports(tmp_store)
    assert list(got["id"]) == [f"kobo:6f1c2a9e-3b1d-4c55-9a0e-1d2f3a4b5c0{i}" for i in (1, 2, 3)]
    assert list(got["category"]) == ["eclairage", "proprete", "autre"]
    assert list(got["author"]) == ["mediatrice_nord", "mediatrice_sud", "mediatrice_sud"]
    assert list(got["status"]) == ["nouveau"] * 3
    assert got["observed_at"].iloc[0] == pd.Timestamp("2026-03-02T14:25:12+01:00")
    raw = raw_row(tmp_store, got["id"].iloc[0])
    assert raw["__version__"] == "vUh4sQxK" and raw["_status"] == "submitted_via_web"  # metadata kept
    (reasons,) = tmp_store.read_quarantine()["reasons"]
    assert {r["reason"] for r in reasons} == {"latitude manquante", "longitude manquante"}


def test_kobo_submission_time_is_utc(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, [f"tags;{NORTH_POINT[0]};{NORTH_POINT[1]};u-1;2026-03-02T13:30:02"],
                     header="categorie;_gps_latitude;_gps_longitude;_uuid;_submission_time")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.profile, summary.stored) == ("kobo", 1)
    assert reports(tmp_store)["observed_at"].iloc[0] == pd.Timestamp("2026-03-02T13:30:02Z")


def test_odk_central_export(tmp_store, taxonomy):
    summary = import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    assert (summary.profile, summary.read, summary.stored) == ("odk", 3, 3)
    got = reports(tmp_store)
    assert list(got["id"]) == [f"odk:uuid:0b9f3c1e-8a61-4f0e-9d55-aa0{i}" for i in (1, 2, 3)]
    assert list(got["category"]) == ["nuisance_sonore", "rodeo", "personne_vulnerable"]
    assert list(got["severity"]) == [1, 3, 3]
    assert list(got["author"]) == ["Binôme A", "Binôme A", "Binôme B"]
    assert list(got["neighbourhood"]) == ["nord", "sud", "sud"]
    assert got["observed_at"].iloc[0] == pd.Timestamp("2026-03-04T08:15:42Z")
    assert got["description"].iloc[0] == "Musique forte la nuit, 3e étage"


def test_open311_requests(tmp_store, taxonomy):
    summary = import_file(tmp_store, FIXTURES / "open311_requests.json", taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.format, summary.read, summary.stored, summary.quarantined) == ("open311", 4, 3, 1)
    got = reports(tmp_store)
    assert list(got["id"]) == ["open311:638344", "open311:638345", "open311:638346"]
    assert list(got["category"]) == ["eclairage", "voirie", "autre"]
    assert list(got["status"]) == ["resolu", "nouveau", "nouveau"]
    assert got["observed_at"].iloc[0] == pd.Timestamp("2026-02-10T16:42:00Z")
    assert summary.unknown_categories == {"Chien errant": 1}


def test_xlsx(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "fiches.xlsx"
    pd.DataFrame({
        "Date": [pd.Timestamp("2026-03-02 14:30"), pd.Timestamp("2026-03-03 09:00")],
        "Catégorie": ["Tags", "Banc"],
        "Latitude": [NORTH_POINT[0], SOUTH_POINT[0]], "Longitude": [NORTH_POINT[1], SOUTH_POINT[1]],
        "Observations": ["Tag sur le mur", "Banc cassé"],
    }).to_excel(path, index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.format, summary.stored) == ("xlsx", 2)
    got = reports(tmp_store)
    assert list(got["category"]) == ["tags", "mobilier"]
    assert list(got["neighbourhood"]) == ["nord", "sud"]
    assert got["observed_at"].iloc[0] == pd.Timestamp("2026-03-02 14:30", tz="Europe/Paris")


def points_frame(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"date": ["2026-03-02T14:30:00", "2026-03-03T09:00:00"], "categorie": ["tags", "eclairage"]},
        geometry=[Point(NORTH_POINT[1], NORTH_POINT[0]), Point(SOUTH_POINT[1], SOUTH_POINT[0])], crs="EPSG:4326",
    )
    return gdf.to_crs(crs)


@pytest.mark.parametrize(("suffix", "crs"), [(".geojson", "EPSG:4326"), (".gpkg", "EPSG:4326"),
                                             (".geojson", "EPSG:2154"), (".gpkg", "EPSG:2154")])
def test_geojson_and_geopackage_points_are_reprojected_to_wgs84(tmp_store, taxonomy, tmp_path, suffix, crs):
    path = tmp_path / f"points{suffix}"
    points_frame(crs).to_file(path)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.format, summary.profile, summary.stored) == (suffix.lstrip("."), "geo", 2)
    got = reports(tmp_store)
    assert list(got["neighbourhood"]) == ["nord", "sud"]
    assert got["lat"].tolist() == pytest.approx([NORTH_POINT[0], SOUTH_POINT[0]], abs=1e-7)
    assert got["lon"].tolist() == pytest.approx([NORTH_POINT[1], SOUTH_POINT[1]], abs=1e-7)
    assert "geometry" in raw_row(tmp_store, got["id"].iloc[0])


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_crs_option_on_a_geographic_file_is_its_crs(tmp_store, taxonomy, tmp_path, suffix):
    path = tmp_path / f"l93{suffix}"
    frame = points_frame("EPSG:2154")
    if suffix == ".geojson":  # a GeoJSON with no "crs" member is WGS84 by definition: --crs corrects that
        doc = json.loads(frame.to_json())
        doc.pop("crs", None)
        path.write_text(json.dumps(doc), encoding="utf-8")
    else:  # a GeoPackage that declares its CRS: --crs 2154 agrees with it and must not reproject twice
        frame.to_file(path)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, options=ImportOptions(crs="2154"), now=NOW)
    assert (summary.stored, summary.outside_territory) == (2, 0)
    got = reports(tmp_store)
    assert got["lat"].tolist() == pytest.approx([NORTH_POINT[0], SOUTH_POINT[0]], abs=1e-7)


def test_geojson_non_point_geometries_are_quarantined(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "mixte.geojson"
    gdf = points_frame()
    gdf.loc[1, "geometry"] = Point(5.04, 47.30).buffer(0.001)
    gdf.loc[2] = ["2026-03-04T10:00:00", "voirie", None]
    gdf.to_file(path)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored, summary.quarantined) == (3, 1, 2)
    quarantine = tmp_store.read_quarantine()
    reasons = {row.row_number: {r["reason"] for r in row.reasons} for row in quarantine.itertuples()}
    assert "géométrie non ponctuelle : un point est attendu" in reasons[2]
    assert quarantine.loc[quarantine.row_number == 2, "raw"].iloc[0]["geometry"].startswith("POLYGON")
    assert 3 in reasons


def test_csv_in_lambert93_with_crs_option(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, ["2026-03-02 14:30;tags;6695286.36;854019.63;x"], header="date;categorie;y;x;d")
    options = ImportOptions(columns={"lat": "y", "lon": "x"}, crs="2154")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, options=options, now=NOW)
    assert summary.stored == 1
    got = reports(tmp_store)
    assert (got["lat"].iloc[0], got["lon"].iloc[0]) == pytest.approx(NORTH_POINT, abs=1e-6)
    assert got["neighbourhood"].iloc[0] == "nord"


def test_lambert93_without_crs_option_is_quarantined_not_stored(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, ["2026-03-02 14:30;tags;6695286.36;854019.63;x"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.quarantined) == (0, 1)
    (reasons,) = tmp_store.read_quarantine()["reasons"]
    assert {r["reason"] for r in reasons} == {"latitude hors de [-90, 90]", "longitude hors de [-180, 180]"}


def test_bad_crs_option_is_an_input_error(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, ["2026-03-02 14:30;tags;47.3;5.04;x"])
    with pytest.raises(InputError, match="--crs"):
        import_file(tmp_store, path, taxonomy=taxonomy, options=ImportOptions(crs="EPSG:99999"), now=NOW)
    assert tmp_store.count_reports() == 0


# -- counts, categories, idempotency ---------------------------------------------------------------

def mixed_lines() -> list[str]:
    n, s, o = NORTH_POINT, SOUTH_POINT, OUTSIDE_POINT
    return [
        f"02/03/2026 10:00;tags;{n[0]};{n[1]};un",
        f"02/03/2026 11:00;Chien errant;{s[0]};{s[1]};deux",
        f"02/03/2026 12:00;eclairage;{o[0]};{o[1]};trois",  # outside the territory
        f"02/03/2026 12:00;eclairage;{o[0]};{o[1]};trois",  # the same row again
        f"31/02/2026 12:00;tags;{n[0]};{n[1]};date impossible",
        f"02/03/2026 13:00;tags;;{n[1]};sans latitude",
        f"02/03/2026 14:00;Poubelle qui déborde;{n[0]};{n[1]};quatre",
        f"02/03/2026 15:00;chien errant;{n[0]};{n[1]};cinq",
    ]


def test_count_invariant_and_unknown_categories(tmp_store, taxonomy, tmp_path):
    summary = import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW)
    counts = summary.counts()
    assert {k: counts[k] for k in ("read", "stored", "duplicates", "quarantined", "outside_territory")} == {
        "read": 8, "stored": 5, "duplicates": 1, "quarantined": 2, "outside_territory": 1}
    assert counts["read"] == counts["stored"] + counts["duplicates"] + counts["quarantined"]
    assert counts["unknown_categories"] == {"Chien errant": 1, "Poubelle qui déborde": 1, "chien errant": 1}
    got = reports(tmp_store)
    unknown = got[got["category"] == "autre"]
    assert sorted(unknown["category_label"]) == ["Chien errant", "Poubelle qui déborde", "chien errant"]
    assert set(unknown["registre"]) == {taxonomy.registre_of("autre")}
    batch = tmp_store.list_batches().iloc[0]
    assert (batch["read"], batch["stored"], batch["duplicates"], batch["quarantined"]) == (8, 5, 1, 2)


def test_category_map_is_applied_before_the_taxonomy(tmp_store, taxonomy, tmp_path):
    options = ImportOptions(category_map={"Chien errant": "personne_vulnerable", "tags": "proprete"})
    summary = import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, options=options,
                          now=NOW)
    assert summary.unknown_categories == {"Poubelle qui déborde": 1}  # "chien errant" matches case-insensitively
    got = reports(tmp_store).set_index("description")
    assert got.loc["deux", "category"] == "personne_vulnerable"
    assert got.loc["cinq", "category"] == "personne_vulnerable"
    assert got.loc["un", "category"] == "proprete"


def test_category_map_to_an_unknown_code_is_refused(tmp_store, taxonomy, tmp_path):
    options = ImportOptions(category_map={"Chien errant": "chiens"})
    with pytest.raises(InputError, match="'chiens', which is not a category code"):
        import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, options=options, now=NOW)
    assert tmp_store.count_reports() == 0
    assert tmp_store.list_batches().empty


@pytest.mark.parametrize(("name", "content"), [
    ("map.json", '{"Chien errant": "personne_vulnerable", "Poubelle": "proprete"}'),
    ("map.csv", "libellé;code\nChien errant;personne_vulnerable\nPoubelle;proprete\n"),
    ("map2.csv", "Chien errant,personne_vulnerable\nPoubelle,proprete\n"),
])
def test_read_category_map(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert read_category_map(path) == {"Chien errant": "personne_vulnerable", "Poubelle": "proprete"}


def test_read_category_map_refuses_a_one_column_line(tmp_path):
    path = tmp_path / "map.csv"
    path.write_text("Chien errant;personne_vulnerable\nPoubelle\n", encoding="utf-8")
    with pytest.raises(InputError, match="deux colonnes"):
        read_category_map(path)


@pytest.mark.parametrize("source", ["kobo_veille.csv", "odk_veille.csv", "open311_requests.json",
                                    "excel_fr_cp1252.csv"])
def test_importing_the_same_file_twice_stores_nothing_new(tmp_store, taxonomy, source):
    first = import_file(tmp_store, FIXTURES / source, taxonomy=taxonomy, now=NOW)
    before = tmp_store.read_reports(columns=["id", "category", "neighbourhood"])
    second = import_file(tmp_store, FIXTURES / source, taxonomy=taxonomy, now=NOW)
    check_invariant(second)
    assert second.read == first.read
    assert (second.stored, second.duplicates) == (0, first.stored)
    assert tmp_store.count_reports() == first.stored
    pd.testing.assert_frame_equal(tmp_store.read_reports(columns=["id", "category", "neighbourhood"]), before)
    assert any("déjà été importé" in w for w in second.warnings)


def test_rows_without_source_id_are_recognised_when_imported_again(tmp_store, taxonomy, tmp_path):
    first = import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW)
    # the same rows in another order, in another file, one of them new
    lines = [*reversed(mixed_lines()), f"03/03/2026 10:00;tags;{NORTH_POINT[0]};{NORTH_POINT[1]};nouveau"]
    second = import_file(tmp_store, write_csv(tmp_path, lines, name="autre.csv"), taxonomy=taxonomy, now=NOW)
    assert (second.stored, second.duplicates, second.quarantined) == (1, first.stored + 1, 2)
    assert tmp_store.count_reports() == first.stored + 1


def test_chunked_import_gives_the_same_result(tmp_store, taxonomy, tmp_path):
    summary = import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW,
                          chunk_rows=3)
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (8, 5, 1, 2)
    assert sorted(tmp_store.read_quarantine()["row_number"]) == [6, 7]


def test_progress_is_reported_per_chunk(tmp_store, taxonomy, tmp_path):
    calls = []
    import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW, chunk_rows=3,
                on_progress=lambda done, total: calls.append(done))
    assert calls == [3, 6, 8]


def test_the_store_takes_other_writes_while_a_file_is_being_validated(tmp_store, taxonomy, tmp_path):
    other = Store(tmp_store.url)  # another writer, e.g. a field report from the Saisie page

    def write_meanwhile(done, total):
        if done == 3:
            with other.transaction() as conn:  # waits on no lock: the import holds none yet
                other.begin_batch(conn, source_name="saisie", content_hash="s", source_format="form")

    summary = import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW, chunk_rows=3,
                          on_progress=write_meanwhile)
    assert summary.stored > 0
    assert tmp_store.list_batches()["source_name"].tolist() == ["signalements.csv", "saisie"]  # newest first


def test_a_batch_that_fails_half_way_leaves_the_store_unchanged(tmp_store, taxonomy, tmp_path, monkeypatch):
    import_file(tmp_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    before = {t.name: table_count(tmp_store, t) for t in (schema.reports, schema.batches, schema.quarantine)}
    version = tmp_store.data_version()
    loaded = []
    load = Store.load_staged

    def failing_load(self, conn, chunk, **kwargs):
        if loaded:
            raise RuntimeError("disque plein")
        loaded.append(load(self, conn, chunk, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(Store, "load_staged", failing_load)
    with pytest.raises(RuntimeError, match="disque plein"):
        import_file(tmp_store, write_csv(tmp_path, mixed_lines()), taxonomy=taxonomy, now=NOW, chunk_rows=3)
    assert loaded and loaded[0].inside + loaded[0].outside > 0  # the first chunk was written, then the second failed
    after = {t.name: table_count(tmp_store, t) for t in (schema.reports, schema.batches, schema.quarantine)}
    assert after == before
    assert tmp_store.data_version() == version
    scratch = Path(tmp_store.scratch_dir or tempfile.gettempdir())  # beside an SQLite file, else the system's
    assert not list(scratch.glob(f".veille-import-{os.getpid()}-*"))  # scratch files are gone


def test_an_unreadable_file_stores_no_batch(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path, ["2026-03-02;tags;47.3;5.04;x", "2026-03-02;tags;47.3;5.04;x;y;z"],
                     header="date,categorie,latitude,longitude,description")
    path.write_text(path.read_text().replace(";", ","))
    with pytest.raises(InputError, match="ligne mal formée"):
        import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert tmp_store.list_batches().empty


def test_no_territory_counts_everything_outside_and_warns(empty_store, taxonomy):
    summary = import_file(empty_store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW)
    assert (summary.stored, summary.outside_territory) == (3, 3)
    assert any("aucun territoire" in w for w in summary.warnings)


def test_prepare_rows_is_independent_of_the_store(taxonomy):
    from tests.conftest import make_territory

    chunk = pd.DataFrame({"date": ["2026-03-02 10:00"], "categorie": ["tags"], "latitude": ["47,34"],
                          "longitude": ["5,04"], "description": [""]}, index=[2])
    mapping = detect_mapping(list(chunk.columns))
    prepared = prepare_rows(chunk, mapping, taxonomy=taxonomy, territory=make_territory(), now=NOW)
    assert prepared.rejected == []
    row = prepared.valid.iloc[0]
    assert (row["neighbourhood"], row["category"], row["lat"], row["description"]) == ("nord", "tags", 47.34, None)


def test_write_rejects_neutralises_formulas(tmp_store, taxonomy, tmp_path):
    lines = ["=HYPERLINK(\"http://x\");tags;47.3;5.04;a", "02/03/2026;tags;+47.3x;5.04;b",
             "02/03/2026;tags;-91;5.04;c", "02/03/2026;tags;47.3;@SUM(1);d"]
    summary = import_file(tmp_store, write_csv(tmp_path, lines), taxonomy=taxonomy, now=NOW)
    assert (summary.quarantined, summary.stored) == (4, 0)
    out = tmp_path / "rejets.csv"
    written = write_rejects(tmp_store.read_quarantine(batch_id=summary.batch_id), out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert len(table) == written
    assert list(table.columns) == ["ligne", "colonne", "valeur", "motif", "ligne_brute"]
    for column in table.columns:
        assert not table[column].str.match(r"^[=+\-@]").any(), column
    assert "'=HYPERLINK(\"http://x\")" in set(table["valeur"])
    assert "'-91" in set(table["valeur"])
    assert "'+47.3x" in set(table["valeur"])
    assert "'@SUM(1)" in set(table["valeur"])


def test_fixmystreet_csv(tmp_store, taxonomy, tmp_path):
    header = ("Report ID,Title,Detail,Category,Created,Confirmed,Fixed,Closed,Status,Latitude,Longitude,Ward,"
              "Easting,Northing")
    lines = [
        f"1201,Lampadaire,Éteint depuis lundi,Street lighting,2026-03-02T10:00:00,2026-03-02T10:05:00,,,confirmed,"
        f"{NORTH_POINT[0]},{NORTH_POINT[1]},Nord,854019,6695286",
        f"1202,Trou,Nid de poule profond,Potholes,2026-03-03T09:00:00,2026-03-03T09:01:00,2026-03-05T11:00:00,,"
        f"fixed - council,{SOUTH_POINT[0]},{SOUTH_POINT[1]},Sud,854134,6690844",
        f"1203,Tags,Sur le mur,Graffiti,2026-03-04T09:00:00,,,,investigating,{SOUTH_POINT[0]},{SOUTH_POINT[1]},"
        "Sud,854134,6690844",
        f"1204,Épave,Voiture brûlée,Abandoned vehicles,2026-03-04T10:00:00,,,2026-03-06T10:00:00,"
        f"not responsible,{SOUTH_POINT[0]},{SOUTH_POINT[1]},Sud,854134,6690844",
    ]
    path = tmp_path / "fms.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.profile, summary.stored, summary.quarantined) == ("fixmystreet", 4, 0)
    got = reports(tmp_store)
    assert list(got["id"]) == ["fms:1201", "fms:1202", "fms:1203", "fms:1204"]
    assert list(got["status"]) == ["nouveau", "resolu", "pris_en_charge", "clos_sans_suite"]
    assert list(got["category_label"]) == ["Street lighting", "Potholes", "Graffiti", "Abandoned vehicles"]
    assert got["category"].iloc[2] == "tags"
    assert list(got["description"]) == ["Éteint depuis lundi", "Nid de poule profond", "Sur le mur", "Voiture brûlée"]
