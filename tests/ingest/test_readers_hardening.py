"""Files as teams bring them: archives, several sheets or layers, headers below a title, mixed encodings.

Every file here is either imported with ``read == stored + duplicates + quarantined`` or refused with a
French message; no traceback ever reaches the user.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.cli.main import main
from geo.errors import InputError
from geo.ingest.headers import find_header
from geo.ingest.importer import ImportOptions, import_file
from geo.ingest.parts import PART_ROW_STRIDE
from geo.ingest.preview import preview_file
from geo.ingest.provenance import raw_row
from geo.ingest.readers import list_parts, open_source
from geo.settings import PROJECT_ROOT
from geo.store.database import Store
from tests.commandline import last_json
from tests.conftest import NORTH_POINT, SOUTH_POINT
from tests.ingest.test_ingest import NOW, check_invariant

N_LAT, N_LON = NORTH_POINT
S_LAT, S_LON = SOUTH_POINT
HEADER = "date;categorie;latitude;longitude;description"


def row(day: int, text: str = "x", lat: float = N_LAT) -> str:
    return f"2026-03-{day:02d} 10:00;tags;{lat};{N_LON};{text}"


def reports_frame(n: int = 3, *, first_day: int = 1) -> pd.DataFrame:
    return pd.DataFrame({
        "date": [f"2026-03-{first_day + i:02d} 10:00" for i in range(n)],
        "categorie": ["tags"] * n,
        "latitude": [N_LAT] * n,
        "longitude": [N_LON] * n,
        "description": [f"r{first_day + i}" for i in range(n)],
    })


def points(n: int = 2, *, first_day: int = 1) -> gpd.GeoDataFrame:
    frame = reports_frame(n, first_day=first_day).drop(columns=["latitude", "longitude"])
    return gpd.GeoDataFrame(frame, geometry=[Point(N_LON, N_LAT)] * n, crs="EPSG:4326")


def descriptions(store: Store) -> list[str]:
    return sorted(store.read_reports(columns=["description"])["description"].tolist())


def run_cli(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def zip_of(path: Path, members: dict[str, bytes | Path]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            if isinstance(content, Path):
                archive.write(content, name)
            else:
                archive.writestr(name, content)
    return path


def csv_bytes(lines: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


# -- 1. archives and attribute tables: no crash ---------------------------------------------------------

@pytest.mark.parametrize("member", ["export/signalements.csv", "signalements.xlsx", "signalements.geojson",
                                    "signalements.gpkg"])
def test_a_zip_holding_one_table_is_opened(tmp_store, taxonomy, tmp_path, member):
    inner = tmp_path / Path(member).name
    if inner.suffix == ".csv":
        inner.write_bytes(csv_bytes([row(1, "r1"), row(2, "r2"), row(3, "r3")]))
    elif inner.suffix == ".xlsx":
        reports_frame(3).to_excel(inner, index=False)
    else:
        points(3).to_file(inner)
    path = zip_of(tmp_path / "envoi.zip", {member: inner, "__MACOSX/._x": b"junk", "LISEZMOI.txt.md": b"notes"})
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored) == (3, 3)
    assert descriptions(tmp_store) == ["r1", "r2", "r3"]
    batch = tmp_store.list_batches().iloc[0]
    assert batch["source_name"] == "envoi.zip"


def test_a_zipped_csv_keeps_its_raw_rows(tmp_store, taxonomy, tmp_path):
    inner = tmp_path / "s.csv"
    inner.write_bytes(csv_bytes([row(1, "premier"), "", row(2, "second")]))
    summary = import_file(tmp_store, zip_of(tmp_path / "a.zip", {"s.csv": inner}), taxonomy=taxonomy, now=NOW)
    assert summary.stored == 2
    ids = tmp_store.read_reports(columns=["id", "description"]).set_index("description")["id"]
    assert raw_row(tmp_store, ids["second"])["description"] == "second"


def test_a_zip_with_several_tables_is_refused_listing_them_or_read_as_chosen(tmp_store, taxonomy, tmp_path):
    a, b = tmp_path / "mars.csv", tmp_path / "avril.xlsx"
    a.write_bytes(csv_bytes([row(1)]))
    reports_frame(2, first_day=5).to_excel(b, index=False)
    path = zip_of(tmp_path / "deux.zip", {"mars.csv": a, "avril.xlsx": b})
    with pytest.raises(InputError, match="plusieurs fichiers de données") as caught:
        import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert "mars.csv" in str(caught.value) and "avril.xlsx" in str(caught.value)
    assert tmp_store.list_batches().empty
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW, options=ImportOptions(layer="avril.xlsx"))
    assert (summary.read, summary.stored) == (2, 2)
    assert any("avril.xlsx" in w for w in summary.warnings)
    assert list_parts(path) == ("member", [("mars.csv", 0), ("avril.xlsx", 0)])


def test_a_zip_without_any_table_is_refused(tmp_path):
    path = zip_of(tmp_path / "photos.zip", {"a.jpg": b"\xff\xd8\xff", "notes.md": b"x"})
    with pytest.raises(InputError, match="aucun fichier lisible"):
        open_source(path)


def test_a_zipped_shapefile_is_read(tmp_store, taxonomy, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    points(2).to_file(folder / "points.shp")
    path = zip_of(tmp_path / "points.zip", {f.name: f for f in folder.iterdir()})
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored) == (2, 2)


def test_a_geopackage_attribute_table_with_coordinate_columns_is_read_as_a_table(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(reports_frame(3), path, layer="signalements")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored) == (3, 3)


def test_a_geopackage_attribute_table_without_coordinates_is_refused_saying_so(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(reports_frame(2).drop(columns=["latitude", "longitude"]), path, layer="liste")
    with pytest.raises(InputError, match=r"n'a pas de géométrie.*ni de colonne de coordonnées"):
        import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert tmp_store.list_batches().empty


# -- 2. several sheets, several layers -------------------------------------------------------------------

def test_reports_on_sheet_two_are_read_and_the_notes_sheet_is_named(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "classeur.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Notice": ["Export de la veille", "mars 2026"]}).to_excel(writer, sheet_name="Lisez-moi",
                                                                                index=False)
        reports_frame(4).to_excel(writer, sheet_name="Signalements", index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored) == (4, 4)
    assert any("Lisez-moi" in w and "ignorée" in w for w in summary.warnings)


def test_sheets_with_the_same_header_are_all_read_and_the_summary_says_so(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "mois.xlsx"
    april = reports_frame(2, first_day=10).astype(object)
    april.loc[1, "latitude"] = "nord"  # a bad row on the second sheet, excel row 3
    with pd.ExcelWriter(path) as writer:
        reports_frame(3).to_excel(writer, sheet_name="Mars", index=False)
        april.to_excel(writer, sheet_name="Avril", index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored, summary.quarantined) == (5, 4, 1)
    assert any("2 feuilles de même en-tête lues ensemble" in w and "Mars" in w and "Avril" in w
               for w in summary.warnings)
    assert tmp_store.read_quarantine()["row_number"].tolist() == [PART_ROW_STRIDE + 3]


def test_sheets_with_different_headers_are_refused_listing_them_then_chosen(capsys, tmp_store, tmp_path):
    path = tmp_path / "melange.xlsx"
    with pd.ExcelWriter(path) as writer:
        reports_frame(3).to_excel(writer, sheet_name="Signalements", index=False)
        pd.DataFrame({"quartier": ["nord", "sud"], "population": [1200, 800]}).to_excel(
            writer, sheet_name="Quartiers", index=False)
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path)
    assert code == 2 and out == ""
    assert "« Signalements » (3 lignes)" in err and "« Quartiers » (2 lignes)" in err and "--sheet" in err
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path, "--sheet", "Signalements")
    assert code == 0, err
    assert last_json(out)["stored"] == 3
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path, "--sheet", "9")
    assert code == 2 and "feuille « 9 » introuvable" in err


def test_sheet_chosen_by_number(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "deux.xlsx"
    with pd.ExcelWriter(path) as writer:
        reports_frame(1).to_excel(writer, sheet_name="A", index=False)
        reports_frame(2, first_day=5).rename(columns={"description": "commentaire"}).to_excel(
            writer, sheet_name="B", index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW, options=ImportOptions(sheet="2"))
    assert summary.stored == 2
    assert list_parts(path) == ("sheet", [("A", 1), ("B", 2)])


def test_geopackage_with_two_point_layers(capsys, tmp_store, tmp_path):
    path = tmp_path / "couches.gpkg"
    points(2).to_file(path, layer="mars")
    points(3, first_day=10).to_file(path, layer="avril")
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path)
    assert code == 0, err
    summary = last_json(out)
    assert (summary["read"], summary["stored"]) == (5, 5)
    assert "2 couches de même en-tête lues ensemble" in err


def test_geopackage_layers_with_different_fields_are_refused_then_chosen(capsys, tmp_store, tmp_path):
    path = tmp_path / "couches.gpkg"
    points(2).to_file(path, layer="mars")
    points(3, first_day=10).rename(columns={"description": "note"}).to_file(path, layer="avril")
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path)
    assert code == 2
    assert "« mars » (2 lignes)" in err and "« avril » (3 lignes)" in err and "--layer" in err
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path, "--layer", "avril")
    assert code == 0, err
    assert last_json(out)["stored"] == 3
    assert list_parts(path) == ("layer", [("mars", 2), ("avril", 3)])


def test_preview_reads_the_chosen_sheet_and_carries_warnings(taxonomy, tmp_path):
    path = tmp_path / "deux.xlsx"
    with pd.ExcelWriter(path) as writer:
        reports_frame(1).to_excel(writer, sheet_name="A", index=False, startrow=2)
        pd.DataFrame({"x": [1], "y": [2]}).to_excel(writer, sheet_name="B", index=False)
    with pytest.raises(InputError, match="plusieurs feuilles"):
        preview_file(path, taxonomy=taxonomy, territory=gpd.GeoDataFrame())
    found = preview_file(path, taxonomy=taxonomy, territory=gpd.GeoDataFrame(), options=ImportOptions(sheet="A"))
    assert found.details["sheet"] == "A"
    assert found.rows["ligne"].tolist() == [4]
    assert any("l'en-tête est à la ligne 3" in w for w in found.warnings)


# -- 3. the header is not on the first line --------------------------------------------------------------

def test_excel_sep_line_is_honoured(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "excel.csv"
    # commas in the values would make a guess hesitate: the sep= line decides
    lines = ["sep=;", HEADER, row(1, "tags, gros, partout"), row(2, "a, b, c, d")]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored) == (2, 2)
    assert descriptions(tmp_store) == ["a, b, c, d", "tags, gros, partout"]


def test_sep_line_with_another_separator(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("sep=,\n" + HEADER.replace(";", ",") + "\n" + row(1).replace(";", ",") + "\n", encoding="utf-8")
    assert import_file(tmp_store, path, taxonomy=taxonomy, now=NOW).stored == 1


def test_title_lines_above_the_header_are_skipped_and_said(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "titre.csv"
    path.write_bytes(csv_bytes([row(1), "2026-03-02 10:00;tags;nord;5.04;mauvaise"],
                               header=f"Signalements de la veille;;;;\nExporté le 03/03/2026;;;;\n\n{HEADER}"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored, summary.quarantined) == (2, 1, 1)
    assert any("l'en-tête est à la ligne 4" in w for w in summary.warnings)
    assert tmp_store.read_quarantine()["row_number"].tolist() == [6]


def test_header_on_row_three_of_a_sheet(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "rapport.xlsx"
    with pd.ExcelWriter(path) as writer:
        reports_frame(2).to_excel(writer, sheet_name="Rapport", index=False, startrow=2)
        writer.sheets["Rapport"]["A1"] = "Rapport mensuel de la veille"
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored) == (2, 2)
    assert any("ligne 3" in w for w in summary.warnings)


def test_trailing_separators_make_no_columns(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "points_virgules.csv"
    path.write_bytes(csv_bytes([row(1) + ";;;", row(2) + ";;;"], header=HEADER + ";;;"))
    source = open_source(path)
    assert source.columns == HEADER.split(";")
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored) == (2, 2)


def test_a_value_under_an_unnamed_column_is_kept_not_lost(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "en_trop.csv"
    path.write_bytes(csv_bytes([row(1, "un") + ";;", row(2, "deux") + ";;note perdue ?"], header=HEADER + ";;"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert summary.stored == 2
    ids = tmp_store.read_reports(columns=["id", "description"]).set_index("description")["id"]
    assert raw_row(tmp_store, ids["deux"])["colonne_7"] == "note perdue ?"
    assert raw_row(tmp_store, ids["un"]).get("colonne_7", "") == ""


# -- 4. encodings ------------------------------------------------------------------------------------------

def test_utf8_and_cp1252_lines_pasted_together(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "colles.csv"
    first = (HEADER + "\n" + row(1, "Fenêtre cassée") + "\n").encode("utf-8")
    second = (row(2, "Fenêtre cassée") + "\n" + row(3, "Dégradation à l’école") + "\n").encode("cp1252")
    path.write_bytes(first + second)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert summary.stored == 3
    assert descriptions(tmp_store) == ["Dégradation à l’école", "Fenêtre cassée", "Fenêtre cassée"]
    assert any("mélange des lignes en UTF-8" in w for w in summary.warnings)


def test_iso_8859_15_stores_oe(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "latin9.csv"
    path.write_bytes(csv_bytes([]).decode().encode() + (row(1, "Un cœur tagué, Œuvre abîmée, 5 €") + "\n")
                     .encode("iso-8859-15"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert summary.stored == 1
    assert descriptions(tmp_store) == ["Un cœur tagué, Œuvre abîmée, 5 €"]


def test_pure_cp1252_keeps_its_fractions(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes(csv_bytes([]) + (row(1, "Trou de ½ m, l’été") + "\n").encode("cp1252"))
    import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert descriptions(tmp_store) == ["Trou de ½ m, l’été"]


@pytest.mark.parametrize(("content", "options"), [
    (csv_bytes([row(1, "FenÃªtre cassÃ©e")]), {}),  # UTF-8 text that was once decoded as cp1252
    ((HEADER + "\n" + row(1, "l’été") + "\n").encode("cp1252"), {"encoding": "latin-1"}),  # C1 characters
])
def test_implausible_characters_are_flagged(tmp_store, taxonomy, tmp_path, content, options):
    path = tmp_path / "mojibake.csv"
    path.write_bytes(content)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW, options=ImportOptions(**options))
    assert summary.stored == 1
    assert any("texte probablement mal décodé" in w and "ligne 2" in w for w in summary.warnings)


def test_implausible_characters_in_a_workbook_are_flagged(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "moji.xlsx"
    reports_frame(1).assign(description="Ã©tÃ©").to_excel(path, index=False)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert any("mal décodé" in w for w in summary.warnings)


def test_clean_files_have_no_encoding_warning(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "propre.csv"
    path.write_bytes(csv_bytes([row(1, "Fenêtre cassée — « urgent »")]))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert not summary.warnings or all("territoire" in w for w in summary.warnings)


# -- 5. clearer messages -----------------------------------------------------------------------------------

def test_a_folder_is_not_a_file(capsys, tmp_store, tmp_path):
    code, _, err = run_cli(capsys, "--db", tmp_store.url, "import", tmp_path)
    assert code == 2
    assert "est un dossier, pas un fichier" in err


@pytest.mark.parametrize("where", ["header", "first-row", "far-down", "padding-at-the-end"])
def test_nul_bytes_are_removed_the_same_wherever_they_are(tmp_store, taxonomy, tmp_path, where):
    lines = [row(1 + d % 28, f"r{d}") for d in range(1, 400)]
    header = HEADER
    if where == "header":
        header = "da\x00te;categorie;latitude;longitude;description"
    elif where == "first-row":
        lines[0] = lines[0].replace("r1", "r\x001")
    elif where == "far-down":
        lines[350] = lines[350].replace("r351", "r\x00351")
    path = tmp_path / "nul.csv"
    path.write_bytes(csv_bytes(lines, header=header) + (b"\x00" * 5000 if where == "padding-at-the-end" else b""))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored) == (399, 399)
    assert any("octet(s) nul(s)" in w for w in summary.warnings)
    assert not any("\x00" in d for d in descriptions(tmp_store))


def test_an_unterminated_quote_names_its_line_and_the_fix(capsys, tmp_store, tmp_path):
    path = tmp_path / "guillemet.csv"
    path.write_bytes(csv_bytes([row(1), "", row(2, '"Tag sur la porte'), row(3), row(4)]))
    code, _, err = run_cli(capsys, "--db", tmp_store.url, "import", path)
    assert code == 2
    assert "guillemet non fermé" in err and "ligne 4" in err and "guillemet fermant" in err
    assert "virgule" not in err  # no unrelated hint
    assert Store(tmp_store.url).list_batches().empty


def test_quarantine_and_rejects_use_the_file_line_numbers(capsys, tmp_store, tmp_path):
    path = tmp_path / "trous.csv"
    lines = [row(1), "", "", "2026-03-02 10:00;tags;nord;5.04;mauvaise", "", row(3)]
    path.write_bytes(csv_bytes(lines))
    rejects = tmp_path / "rejets.csv"
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path, "--rejects", rejects)
    assert code == 0, err
    summary = last_json(out)
    assert (summary["read"], summary["stored"], summary["quarantined"]) == (3, 2, 1)
    assert Store(tmp_store.url).read_quarantine()["row_number"].tolist() == [5]
    table = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [r["ligne"] for r in table] == ["5"]


def test_raw_rows_follow_the_file_line_numbers(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "trous.csv"
    path.write_bytes(csv_bytes(["", row(1, "un"), "", row(2, "deux")], header=f"sep=;\n{HEADER}"))
    import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    found = tmp_store.read_reports(columns=["id", "description", "row_number"]).set_index("description")
    assert found.loc["deux", "row_number"] == 5  # the sep= line is hidden by Excel: the header is row 1
    assert raw_row(tmp_store, found.loc["deux", "id"])["description"] == "deux"


def test_extra_fields_name_the_line(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "champs.csv"
    path.write_bytes(csv_bytes([row(1), "", row(2) + ";en trop;encore"]))
    with pytest.raises(InputError, match="la ligne 4 a 7 champs pour 5 colonnes") as caught:
        import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert "virgule décimale" not in str(caught.value)


# -- 6. the same class of problem, beyond the examples: through the command line ---------------------------

def _xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "f.xlsx"
    reports_frame(2).to_excel(path, index=False)
    return path


def _ods(tmp_path: Path) -> Path:
    path = tmp_path / "f.ods"
    reports_frame(2).to_excel(path, index=False, engine="odf")
    return path


def _renamed(source: Callable[[Path], Path], name: str) -> Callable[[Path], Path]:
    def build(tmp_path: Path) -> Path:
        path = source(tmp_path)
        return path.rename(tmp_path / name)
    return build


def _bytes(name: str, content: bytes) -> Callable[[Path], Path]:
    def build(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path
    return build


def _geojson_with_null_geometries(tmp_path: Path) -> Path:
    path = tmp_path / "nulls.geojson"
    feature = {"type": "Feature", "properties": {"date": "2026-03-02 10:00", "categorie": "tags"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {**feature, "geometry": None},
        {**feature, "geometry": {"type": "Point", "coordinates": [N_LON, N_LAT]}},
    ]}), encoding="utf-8")
    return path


def _gpkg_attribute_only(tmp_path: Path) -> Path:
    path = tmp_path / "attributs.gpkg"
    pyogrio.write_dataframe(reports_frame(1).drop(columns=["latitude", "longitude"]), path, layer="t")
    return path


def _zip_csv(tmp_path: Path) -> Path:
    inner = tmp_path / "in.csv"
    inner.write_bytes(csv_bytes([row(1), row(2)]))
    return zip_of(tmp_path / "in.zip", {"in.csv": inner})


BAD_FILES = {
    "empty": _bytes("vide.csv", b""),
    "blank-lines-only": _bytes("blanc.csv", b"\n\r\n  \n"),
    "header-only": _bytes("entete.csv", HEADER.encode() + b"\n"),
    "one-column": _bytes("une.csv", b"description\nTag\nDepot\n"),
    "bom-and-sep-line": _bytes("bom.csv", b"\xef\xbb\xbfsep=;\r\n" + csv_bytes([row(1)]).replace(b"\n", b"\r\n")),
    "crlf": _bytes("crlf.csv", csv_bytes([row(1), row(2)]).replace(b"\n", b"\r\n")),
    "cr-only": _bytes("cr.csv", csv_bytes([row(1), row(2)]).replace(b"\n", b"\r")),
    "utf16-with-bom": _bytes("u16.csv", ("\ufeff" + HEADER.replace(";", "\t") + "\r\n" + row(1).replace(";", "\t")
                                         + "\r\n").encode("utf-16-le")),
    "utf16-without-bom": _bytes("u16n.csv", (HEADER + "\n" + row(1) + "\n").encode("utf-16-le")),
    "mixed-encodings": _bytes("mix.csv", csv_bytes([row(1, "é")]) + (row(2, "é") + "\n").encode("cp1252")),
    "nul-at-start": _bytes("nul.csv", b"\x00" + csv_bytes([row(1)])),
    "nul-padding-small-file": _bytes("pad.csv", csv_bytes([row(1)]) + b"\x00" * 3000),
    "unterminated-quote": _bytes("q.csv", csv_bytes([row(1), '2026-03-02;"tags;1;2;3'])),
    "binary-as-csv": _bytes("img.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(32)) * 8),
    "pdf": _bytes("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    "old-xls": _bytes("vieux.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
    "xls-that-is-text": _bytes("export.xls", csv_bytes([row(1)]).replace(b";", b"\t")),
    "xlsx-named-csv": _renamed(_xlsx, "classeur.csv"),
    "csv-named-xlsx": _bytes("texte.xlsx", csv_bytes([row(1)])),
    "ods": _ods,
    "broken-xlsx": _bytes("casse.xlsx", b"PK\x03\x04" + b"\x00" * 40),
    "geojson-null-geometries": _geojson_with_null_geometries,
    "geojson-empty": _bytes("vide.geojson", b'{"type": "FeatureCollection", "features": []}'),
    "json-garbage": _bytes("x.json", b"{not json"),
    "gpkg-attribute-table-no-coordinates": _gpkg_attribute_only,
    "gpkg-that-is-text": _bytes("faux.gpkg", b"not a geopackage"),
    "zip-of-csv": _zip_csv,
    "zip-empty": _bytes("vide.zip", b"PK\x05\x06" + b"\x00" * 18),
    "zip-broken": _bytes("casse.zip", b"PK\x03\x04garbage"),
    "duplicate-columns": _bytes("dup.csv", b"lat;lat;lon\n1;2;3\n"),
    "only-numbers": _bytes("nombres.csv", b"1;2;3\n4;5;6\n"),
    "title-and-trailing-separators": _bytes("t.csv", b"Titre;;;;;;\n" + csv_bytes([row(1) + ";;"], HEADER + ";;")),
    "undefined-cp1252-byte": _bytes("u.csv", csv_bytes([row(1, "x")]) + b"2026-03-02;tags;1;2;\x81\x8d\n"),
    "gzip-named-csv": _bytes("z.csv", b"\x1f\x8b\x08\x00" + bytes(range(1, 200))),
    "sep-line-that-lies": _bytes("sep.csv", b"sep=,\n" + csv_bytes([row(1)])),
    "zip-in-zip": lambda tmp_path: zip_of(tmp_path / "zz.zip", {"inner.zip": _zip_csv(tmp_path)}),
    "header-repeated": _bytes("rep.csv", csv_bytes([row(1), HEADER, row(2)])),
    "quoted-header-and-cells": _bytes("qq.csv", b'"date";"categorie";"latitude";"longitude"\n"2026-03-02 10:00";"tags";'
                                      b'"47,34";"5,04"\n'),
    "lines-of-separators-only": _bytes("sepsonly.csv", csv_bytes([";;;;", row(1), ";;;;"])),
    "very-long-line": _bytes("long.csv", csv_bytes([row(1), "x" * 300_000, row(2)])),
    "quoted-newlines": _bytes("nl.csv", csv_bytes([row(1, '"ligne un\nligne deux"'), row(2)])),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_every_bad_file_imports_or_is_refused_without_traceback(capsys, tmp_store, tmp_path, name):
    path = BAD_FILES[name](tmp_path)
    code, out, err = run_cli(capsys, "--db", tmp_store.url, "import", path)
    assert code in (0, 2), err
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert err.startswith("erreur : ") and out == ""
        assert Store(tmp_store.url).list_batches().empty
    else:
        summary = last_json(out)
        assert summary["read"] == summary["stored"] + summary["duplicates"] + summary["quarantined"]
        assert Store(tmp_store.url).count_reports() == summary["stored"]


def test_bad_files_through_python_m_geo(tmp_path):
    """The same files in a real process: exit 0 or 2, never a traceback on stderr."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    db = f"sqlite:///{tmp_path / 'v.sqlite'}"
    for name in ("zip-of-csv", "gpkg-attribute-table-no-coordinates", "unterminated-quote", "old-xls"):
        folder = tmp_path / name
        folder.mkdir()
        path = BAD_FILES[name](folder)
        done = subprocess.run([sys.executable, "-m", "geo", "--db", db, "import", str(path)], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        assert done.returncode in (0, 2), done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("rows", "expected"), [
    ([["date", "categorie", "lat"], ["2026-03-01", "tags", "47.3"]], 0),
    ([["Signalements de mars", "", ""], ["date", "categorie", "lat"], ["2026-03-01", "tags", "47.3"]], 1),
    ([["Rapport", "Dijon", "mars"], [], ["a", "b", "c", "d", "e", "f"], ["1", "2", "3", "4", "5", "6"]], 2),
    ([["Export du 03/03/2026", "Commune", "Équipe"], ["a", "b", "c", "d", "e"], ["1", "2", "3", "4", "5"]], 1),
    ([["a", "b", "2025"], ["1", "2", "3"]], 0),  # one numeric name does not make a header a data row
    ([["a", "b", "c"], ["1", "2", "3", "4", "5"]], 0),  # a data row with extra fields: refused later
    ([["1", "2", "3"], ["4", "5", "6"]], 0),  # no header at all: the mapping will say so
    ([[], ["", " "], ["seule"], ["valeur"]], 2),
    ([[], [""]], None),
])
def test_find_header(rows, expected):
    assert find_header(rows) == expected


def test_blank_sheet_rows_count_in_the_row_numbers(tmp_store, taxonomy, tmp_path):
    import openpyxl  # only this test writes cells one by one

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "categorie", "latitude", "longitude"])
    sheet.append(["2026-03-01 10:00", "tags", N_LAT, N_LON])
    sheet.append([])
    sheet.append([])
    sheet.append(["2026-03-02 10:00", "tags", "nord", N_LON])
    path = tmp_path / "trous.xlsx"
    book.save(path)
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert (summary.read, summary.stored, summary.quarantined) == (2, 1, 1)
    assert tmp_store.read_quarantine()["row_number"].tolist() == [5]


def test_fractions_inside_words_of_a_cp1252_file_are_flagged(tmp_store, taxonomy, tmp_path):
    # ISO-8859-15 "cœur" with a cp1252-only character elsewhere: read as cp1252, but said
    path = tmp_path / "doute.csv"
    path.write_bytes(csv_bytes([]) + (row(1, "c") + "\xbdur, l\x92\xe9t\xe9\n").encode("latin-1"))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    assert summary.stored == 1
    assert any("ISO-8859-15" in w for w in summary.warnings)


def test_a_header_repeated_in_the_middle_is_dropped_and_said(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "bout_a_bout.csv"
    path.write_bytes(csv_bytes([row(1), row(2), HEADER, row(3)]))
    summary = import_file(tmp_store, path, taxonomy=taxonomy, now=NOW)
    check_invariant(summary)
    assert (summary.read, summary.stored, summary.quarantined) == (3, 3, 0)
    assert any("répètent la ligne d'en-tête" in w and "ligne(s) 4" in w for w in summary.warnings)
