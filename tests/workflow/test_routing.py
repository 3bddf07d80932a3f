"""Partners registry and routing: loading files, routing at ingest and on category change, missing routes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.cli.main import main
from geo.demo.build import DEMO_PARTNERS, DEMO_ROUTING
from geo.demo.territory import build_demo_territory
from geo.errors import InputError
from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import import_file
from geo.ingest.recategorize import apply_category_map
from geo.ingest.territory import install_territory
from geo.store import schema
from geo.store.database import Store
from geo.workflow.partners import read_partners, read_partners_csv
from geo.workflow.routing import (
    OUTSIDE_TERRITORY,
    change_category,
    load_registry,
    load_registry_files,
    missing_routes,
    read_routing,
    routable_categories,
    route,
    route_many,
)
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, SOUTH_POINT

PARTNERS = """id;name;type;emails;target_days
ville;Ville – Services techniques;ville;tech@ville.example, astreinte@ville.example;7
bailleur;Bailleur social;bailleur;contact@bailleur.example;10
police;Police municipale;police_municipale;pm@ville.example;
"""
ROUTING = """category;neighbourhood;partner
eclairage;nord;ville
eclairage;Quartier Sud;bailleur
parties_communes;*;bailleur
tags;*;ville
tags;sud;police
"""


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def partners_of(store: Store) -> dict[str, str | None]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.reports.c.id, schema.reports.c.partner)).all()
    return dict(rows)


@pytest.fixture
def registry(tmp_store, taxonomy, tmp_path):
    load_registry_files(tmp_store, write(tmp_path / "p.csv", PARTNERS), write(tmp_path / "r.csv", ROUTING),
                        taxonomy=taxonomy)
    return tmp_store


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_partners_file_is_read_in_excel_french(tmp_path, encoding):
    partners = read_partners_csv(write(tmp_path / "p.csv", PARTNERS.replace("\n", "\r\n"), encoding))
    assert [p.id for p in partners] == ["ville", "bailleur", "police"]
    assert partners[0].name == "Ville – Services techniques"
    assert partners[0].emails == ("tech@ville.example", "astreinte@ville.example")
    assert [p.target_days for p in partners] == [7, 10, None]


def test_cli_loads_registry_and_prints_summary_last(capsys, tmp_store, tmp_path):
    code = main(["--db", tmp_store.url, "partners", "load", str(write(tmp_path / "p.csv", PARTNERS)),
                 "--routing", str(write(tmp_path / "r.csv", ROUTING))])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["partners"] == 3 and summary["routes"] == 5
    # routable categories other than eclairage, parties_communes and tags have no route: 3 places each;
    # eclairage has no default, so reports outside the territory have no partner
    assert summary["missing_routes"] == 3 * (len(routable_categories_()) - 3) + 1
    assert "sans partenaire" in err
    assert {p.id: p.target_days for p in read_partners(tmp_store)} == {"bailleur": 10, "police": None, "ville": 7}
    routes = read_routing(tmp_store)
    # a quartier given by its name is stored by its code
    assert ("eclairage", "sud", "bailleur") in set(map(tuple, routes.to_numpy().tolist()))


def routable_categories_():
    from geo.settings import DATA_DIR
    from geo.taxonomy import load_taxonomy
    return routable_categories(load_taxonomy(DATA_DIR / "taxonomy.json"))


@pytest.mark.parametrize(("routing", "message"), [
    ("category;neighbourhood;partner\neclairage;nord;inconnu\n", "partenaire inconnu 'inconnu'"),
    ("category;neighbourhood;partner\nlampe;nord;ville\n", "catégorie inconnue 'lampe'"),
    ("category;neighbourhood;partner\neclairage;ailleurs;ville\n", "quartier inconnu 'ailleurs'"),
    ("category;neighbourhood;partner\neclairage;nord;ville\neclairage;nord;police\n", "déjà routé ligne 2"),
    ("categorie;quartier;partner\neclairage;nord;ville\n", "colonnes manquantes"),
])
def test_bad_routing_file_is_refused_and_nothing_changes(capsys, registry, tmp_path, routing, message):
    before = read_routing(registry)
    code = main(["--db", registry.url, "partners", "load", str(write(tmp_path / "p2.csv", PARTNERS)),
                 "--routing", str(write(tmp_path / "bad.csv", routing))])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err
    pd.testing.assert_frame_equal(read_routing(registry), before)


@pytest.mark.parametrize(("line", "message"), [
    ("ville;Autre;ville;x@y.example;3", "identifiant 'ville' en double"),
    ("pm2;Police;police_municipale;pas-une-adresse;3", "adresse(s) e-mail invalide(s)"),
    ("pm2;Police;police_municipale;pm@y.example;trois", "délai cible 'trois'"),
    ("pm2;;police_municipale;pm@y.example;3", "nom manquant"),
])
def test_bad_partners_file_is_refused(tmp_path, line, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_partners_csv(write(tmp_path / "p.csv", PARTNERS + line + "\n"))


def test_removing_a_partner_still_routed_to_is_refused(registry, taxonomy):
    kept = [p for p in read_partners(registry) if p.id != "police"]
    with pytest.raises(InputError, match="partenaire inconnu 'police'"):
        load_registry(registry, kept, read_routing(registry), taxonomy=taxonomy)
    assert len(read_partners(registry)) == 3


def test_exact_route_wins_over_default_and_outside_gets_default(registry):
    assert route(registry, "tags", "sud") == "police"
    assert route(registry, "tags", "nord") == "ville"
    assert route(registry, "tags", None) == "ville"
    assert route(registry, "eclairage", "sud") == "bailleur"
    assert route(registry, "eclairage", None) is None  # no default for eclairage
    assert route(registry, "rodeo", "nord") is None


def test_route_many_agrees_with_route(registry):
    cats = pd.Series(["tags", "tags", "eclairage", "eclairage", "rodeo", "tags"], index=[5, 6, 7, 8, 9, 10])
    places = pd.Series(["sud", "nord", "nord", None, "nord", None], index=cats.index)
    got = route_many(registry, cats, places)
    assert list(got.index) == list(cats.index)
    assert got.tolist() == [route(registry, c, n) for c, n in zip(cats, places, strict=True)]


def test_missing_routes_are_listed_with_their_open_reports(registry, taxonomy):
    record_report(registry, FieldEntry(lat=OUTSIDE_POINT[0], lon=OUTSIDE_POINT[1], category="eclairage",
                                       observed_at=pd.Timestamp("2026-03-01T10:00", tz="Europe/Paris")),
                  taxonomy=taxonomy)
    missing = missing_routes(registry, taxonomy)
    eclairage = missing[missing["category"] == "eclairage"]
    assert eclairage[["neighbourhood", "open_reports"]].to_numpy().tolist() == [[OUTSIDE_TERRITORY, 1]]
    assert not (missing["category"] == "tags").any()
    rodeo = missing[missing["category"] == "rodeo"]
    assert sorted(rodeo["neighbourhood"]) == sorted(["nord", "sud", OUTSIDE_TERRITORY])
    assert "information" not in set(missing["category"])  # actions are not routed


def test_demo_registry_routes_every_category_and_quartier_to_one_partner(empty_store, taxonomy):
    territory = build_demo_territory()
    install_territory(empty_store, territory, source_name="demo")
    load_registry_files(empty_store, DEMO_PARTNERS, DEMO_ROUTING, taxonomy=taxonomy)
    assert missing_routes(empty_store, taxonomy).empty
    ids = {p.id for p in read_partners(empty_store)}
    types = {p.id: p.type for p in read_partners(empty_store)}
    for category in routable_categories(taxonomy):
        for place in [*territory["code"], None]:
            partner = route(empty_store, category, place)
            assert partner in ids, (category, place)
            # the partner is of the type the taxonomy expects for the category
            assert types[partner] == taxonomy.categories[category].partner_type, (category, place, partner)
    routes = read_routing(empty_store)
    assert not routes.duplicated(["category", "neighbourhood"]).any()


def test_reports_are_routed_at_import_and_by_the_field_form(registry, taxonomy, tmp_path):
    path = write(tmp_path / "s.csv", "date;latitude;longitude;categorie\n"
                 f"01/10/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags\n"
                 f"01/10/2026 11:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};tags\n"
                 f"01/10/2026 12:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};rodeo\n")
    import_file(registry, path, taxonomy=taxonomy)
    entry = record_report(registry, FieldEntry(lat=SOUTH_POINT[0], lon=SOUTH_POINT[1], category="eclairage",
                                               observed_at=pd.Timestamp("2026-03-01T10:00", tz="Europe/Paris")),
                          taxonomy=taxonomy)
    got = registry.read_reports(columns=("id", "category", "neighbourhood"))
    routed = partners_of(registry)
    by_place = {(r.category, r.neighbourhood): routed[r.id] for r in got.itertuples()}
    assert by_place == {("tags", "nord"): "ville", ("tags", "sud"): "police", ("rodeo", "sud"): None,
                        ("eclairage", "sud"): "bailleur"}
    assert routed[entry.report_id] == "bailleur"


@pytest.mark.parametrize("case_routes", [400, 1], ids=["routes-in-statement", "routes-looked-up"])
def test_both_routing_statements_agree(registry, taxonomy, tmp_path, monkeypatch, case_routes):
    from geo.store import workflow_schema

    monkeypatch.setattr(workflow_schema, "_CASE_ROUTES", case_routes)
    lines = ["date;latitude;longitude;categorie"] + [
        f"01/10/2026 {10 + i}:00;{lat};{lon};{cat}" for i, (cat, (lat, lon)) in enumerate(
            [(c, p) for c in ("tags", "eclairage", "parties_communes", "rodeo") for p in (NORTH_POINT, SOUTH_POINT,
                                                                                        OUTSIDE_POINT)])]
    import_file(registry, write(tmp_path / "s.csv", "\n".join(lines) + "\n"), taxonomy=taxonomy)
    got = registry.read_reports(columns=("id", "category", "neighbourhood"))
    routed = partners_of(registry)
    assert len(got) == 12
    for r in got.itertuples():
        assert routed[r.id] == route(registry, r.category, r.neighbourhood), (r.category, r.neighbourhood)


@pytest.mark.parametrize("case_routes", [400, 1], ids=["routes-in-statement", "routes-looked-up"])
def test_imported_batch_is_routed_as_the_same_reports_typed_one_by_one(registry, taxonomy, tmp_path, monkeypatch,
                                                                       case_routes):
    """The bulk load routes in its INSERT … SELECT; the field form routes each report after storing it."""
    from geo.store import workflow_schema

    monkeypatch.setattr(workflow_schema, "_CASE_ROUTES", case_routes)
    cases = [(category, point) for category in ("tags", "eclairage", "parties_communes", "rodeo", "voirie")
             for point in (NORTH_POINT, SOUTH_POINT, OUTSIDE_POINT)]
    lines = ["date;latitude;longitude;categorie"] + [
        f"0{1 + i // 10}/10/2026 {10 + i % 10}:00;{lat};{lon};{category}" for i, (category, (lat, lon)) in
        enumerate(cases)]
    summary = import_file(registry, write(tmp_path / "s.csv", "\n".join(lines) + "\n"), taxonomy=taxonomy,
                          chunk_rows=4, workers=0)  # several staged chunks, each loaded by its own statement
    assert summary.stored == len(cases)
    start = pd.Timestamp("2026-09-01T08:00", tz="Europe/Paris")
    for i, (category, (lat, lon)) in enumerate(cases):
        typed = record_report(registry, FieldEntry(lat=lat, lon=lon, category=category,
                                                   observed_at=start + pd.Timedelta(minutes=i)), taxonomy=taxonomy)
        assert typed.ok, typed.errors
    reports = registry.read_reports(columns=("id", "batch_id", "category", "neighbourhood"))
    routed = partners_of(registry)
    place = {r.id: None if pd.isna(r.neighbourhood) else r.neighbourhood for r in reports.itertuples()}
    imported = {(r.category, place[r.id]): routed[r.id] for r in reports.itertuples()
                if r.batch_id == summary.batch_id}
    typed_one_by_one = {(r.category, place[r.id]): routed[r.id] for r in reports.itertuples()
                        if r.batch_id != summary.batch_id}
    assert len(imported) == len(cases) and len(reports) == 2 * len(cases)
    assert imported == typed_one_by_one
    # every kind of route is exercised: exact quartier, category default, outside the territory, none
    assert imported[("eclairage", "nord")] == "ville" and imported[("tags", "sud")] == "police"
    assert imported[("tags", None)] == "ville" and imported[("parties_communes", "nord")] == "bailleur"
    assert imported[("rodeo", "sud")] is None and imported[("eclairage", None)] is None


def test_changing_category_reroutes(registry, taxonomy, tmp_path):
    path = write(tmp_path / "c.csv", "date;latitude;longitude;categorie\n"
                 f"01/10/2026 10:00;{SOUTH_POINT[0]};{SOUTH_POINT[1]};Lampe cassée\n")
    import_file(registry, path, taxonomy=taxonomy)
    assert list(partners_of(registry).values()) == [None]
    apply_category_map(registry, {"Lampe cassée": "eclairage"}, taxonomy=taxonomy)
    assert list(partners_of(registry).values()) == ["bailleur"]
    [rid] = partners_of(registry)
    assert change_category(registry, [rid], "tags", taxonomy=taxonomy) == 1
    assert partners_of(registry) == {rid: "police"}
    assert registry.get_report(rid)["registre"] == "veille_technique"
    with pytest.raises(InputError, match="catégorie inconnue"):
        change_category(registry, [rid], "lampe", taxonomy=taxonomy)


def test_reloading_reroutes_new_reports_but_not_relayed_ones(registry, taxonomy, tmp_path):
    path = write(tmp_path / "s.csv", "date;latitude;longitude;categorie;statut\n"
                 f"01/10/2026 10:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags;nouveau\n"
                 f"01/10/2026 11:00;{NORTH_POINT[0]};{NORTH_POINT[1]};tags;transmis\n")
    import_file(registry, path, taxonomy=taxonomy)
    routes = read_routing(registry)
    routes.loc[(routes["category"] == "tags") & (routes["neighbourhood"] == "*"), "partner"] = "police"
    load_registry(registry, read_partners(registry), routes, taxonomy=taxonomy)
    got = registry.read_reports(columns=("id", "status"))
    routed = partners_of(registry)
    assert {s: routed[i] for i, s in zip(got["id"], got["status"], strict=True)} == {"nouveau": "police",
                                                                                     "transmis": "ville"}


def test_old_store_gains_partner_column(tmp_path, taxonomy):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a version-2 store: reports without the workflow columns
        conn.exec_driver_sql("CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO meta VALUES ('schema_version', '2'), ('data_version', '0')")
        conn.exec_driver_sql("CREATE TABLE batches (id INTEGER PRIMARY KEY, source_name TEXT)")
        conn.exec_driver_sql("CREATE TABLE reports (id VARCHAR(96) PRIMARY KEY, category VARCHAR(64), "
                             "neighbourhood VARCHAR(64), status VARCHAR(32), row_number INTEGER)")
        conn.exec_driver_sql("CREATE TABLE status_history (id INTEGER PRIMARY KEY, report_id VARCHAR(96), "
                             "changed_at BIGINT, changed_by TEXT, from_status VARCHAR(32), to_status VARCHAR(32), "
                             "note TEXT)")
    engine.dispose()
    store = Store(url)
    Store(url)  # a second opening changes nothing
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("reports")}
    assert {"partner", "duplicate_of"} <= columns
    assert {"recorded_at", "origin"} <= {c["name"] for c in sa.inspect(store.engine).get_columns("status_history")}
    assert {"partners", "routing", "photos"} <= set(sa.inspect(store.engine).get_table_names())
