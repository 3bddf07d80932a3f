from geo.ingest.importer import import_file
from geo.ingest.preview import preview_file
from geo.ingest.recategorize import apply_category_map, unknown_labels


def write_csv(path, rows):
    path.write_text("date;latitude;longitude;categorie\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def test_preview_lists_problems_of_first_rows_and_stores_nothing(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["01/10/2026 10:00;47,34;5,04;tags", "pas une date;47,34;5,04;tags"])
    preview = preview_file(path, taxonomy=taxonomy, territory=tmp_store.load_territory())
    assert preview.mapping is not None and preview.mapping.time == "date"
    assert preview.rows["problèmes"].tolist()[0] == ""
    assert "date illisible" in preview.rows["problèmes"].tolist()[1]
    assert tmp_store.count_reports() == 0


def test_preview_says_which_columns_are_missing(tmp_store, taxonomy, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("quand;y;x;quoi\n01/10/2026;47,34;5,04;tags\n", encoding="utf-8")
    preview = preview_file(path, taxonomy=taxonomy, territory=tmp_store.load_territory())
    assert preview.mapping is None
    assert "--lat" in preview.problem and "--time" in preview.problem
    assert preview.columns == ["quand", "y", "x", "quoi"]


def test_unknown_labels_can_be_mapped_after_import(tmp_store, taxonomy, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["01/10/2026 10:00;47,34;5,04;Lampe cassée",
                                          "02/10/2026 10:00;47,34;5,04;Lampe cassée",
                                          "03/10/2026 10:00;47,34;5,04;Chose"])
    summary = import_file(tmp_store, path, taxonomy=taxonomy)
    assert summary.unknown_categories == {"Lampe cassée": 2, "Chose": 1}
    assert unknown_labels(tmp_store) == {"Lampe cassée": 2, "Chose": 1}
    changed = apply_category_map(tmp_store, {"Lampe cassée": "eclairage"}, taxonomy=taxonomy)
    assert changed == 2
    cats = tmp_store.read_reports(columns=("category", "registre"))
    assert sorted(cats["category"]) == ["autre", "eclairage", "eclairage"]
    assert set(cats.loc[cats["category"] == "eclairage", "registre"]) == {"veille_technique"}
    assert unknown_labels(tmp_store) == {"Chose": 1}
