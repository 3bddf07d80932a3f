"""Every page renders on the demo store and on an empty store; filters change what pages show."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

PAGES = ["pages/accueil.py", "pages/carte.py", "pages/saisie.py", "pages/import_donnees.py"]


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_store(app, page):
    at = app(page)
    no_exception(at)
    assert at.title, "each page has a title"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_store(app, page, db_url):
    at = app(page, db=db_url)
    no_exception(at)
    if page in ("pages/accueil.py", "pages/carte.py"):
        text = " ".join(i.value for i in at.info)
        assert "Aucun signalement" in text and "python -m geo demo" in text


def metric(at, label: str) -> int:
    return int(next(m for m in at.metric if m.label == label).value)


def test_home_figures_follow_the_sidebar_filters(app):
    at = app("pages/accueil.py")
    total = metric(at, "Signalements")
    assert total > 0
    at.sidebar.multiselect(key="filtre_categories").select("eclairage").run()
    no_exception(at)
    assert 0 <= metric(at, "Signalements") < total
    assert at.session_state["filtre_courant"].categories == ("eclairage",)


def direct_counts(db: str, first: dt.date, last: dt.date) -> tuple[int, int, int]:
    """Reports observed on the days first..last, the same number of days before, and 364 days earlier."""
    from geo.store.database import Store

    times = Store(db).read_reports(columns=("observed_at",), timezone="Europe/Paris")["observed_at"]
    start = pd.Timestamp(first).tz_localize("Europe/Paris")
    end = pd.Timestamp(last + dt.timedelta(days=1)).tz_localize("Europe/Paris")
    length, year = end - start, pd.Timedelta(days=364)

    def count(a, b):
        return int(((times >= a) & (times < b)).sum())

    return count(start, end), count(start - length, start), count(start - year, end - year)


def cards(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("period", ["7 derniers jours", "4 dernières semaines", "12 derniers mois"])
def test_home_figures_all_follow_the_chosen_period(app, demo_db, period):
    at = app("pages/accueil.py")
    at.sidebar.selectbox(key="filtre_periode").set_value(period).run()
    no_exception(at)
    days = {"7 derniers jours": 7, "4 dernières semaines": 28, "12 derniers mois": 365}[period]
    today = dt.date.today()
    this, before, year = direct_counts(demo_db, today - dt.timedelta(days=days - 1), today)
    assert int(cards(at)["Signalements"]) == this
    captions = " ".join(c.value for c in at.caption)
    assert f"{days} jours d'avant : {before} · un an plus tôt : {year}" in captions
    assert "entre parenthèses" not in captions and "7 derniers jours" not in captions.replace(period, "")
    assert f"comparé aux {days} jours d'avant" in captions


def test_home_chosen_dates_compare_with_last_year_too(app, demo_db):
    at = app("pages/accueil.py")
    at.sidebar.selectbox(key="filtre_periode").set_value("Dates choisies").run()
    first, last = dt.date.today() - dt.timedelta(days=60), dt.date.today() - dt.timedelta(days=31)
    at.sidebar.date_input(key="filtre_dates").set_value((first, last)).run()
    no_exception(at)
    this, before, year = direct_counts(demo_db, first, last)
    assert year > 0, "the demo store holds the same dates a year earlier"
    assert int(cards(at)["Signalements"]) == this
    assert f"30 jours d'avant : {before} · un an plus tôt : {year}" in " ".join(c.value for c in at.caption)


def test_home_tables_give_the_quartier_column_room(app):
    at = app("pages/accueil.py")
    at.sidebar.selectbox(key="filtre_periode").set_value("12 dernières semaines").run()
    assert len(at.dataframe) == 2
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns)
        widths = {c.get("label") or name: c.get("width") for name, c in config.items()}
        assert widths.get("Quartier") in ("large", "medium") or (widths.get("Quartier") or 0) >= 200, widths


def test_filters_keep_their_values_from_page_to_page(app):
    at = app("pages/accueil.py")
    at.sidebar.multiselect(key="filtre_registres").select("veille_technique").run()
    at.switch_page("pages/carte.py").run()
    no_exception(at)
    assert at.sidebar.multiselect(key="filtre_registres").value == ["veille_technique"]
    assert at.session_state["filtre_courant"].registres == ("veille_technique",)
    caption = " ".join(c.value for c in at.caption)
    before = app("pages/carte.py")
    assert caption != " ".join(c.value for c in before.caption), "the map page counts only the filtered reports"


def map_component(at):
    comps = [c for c in at.get("component_instance")]
    assert comps, "the map component is on the page"
    return comps[0]


def map_html(at) -> str:
    return json.dumps(json.loads(map_component(at).proto.json_args))


def test_map_receives_the_chosen_layers(app):
    at = app("pages/carte.py")
    html = map_html(at)
    assert "Quartiers" in html and "Signalements" in html
    assert "Chaleur" not in html
    at.radio(key="carte_couleur").set_value("heat").run()
    no_exception(at)
    html = map_html(at)
    assert "Chaleur" in html and "Signalements par quartier" not in html, "one coloured layer at a time"
    assert "Limites des quartiers" in html, "the quartier outlines stay under the heat"
    at.radio(key="carte_couleur").set_value("hexagons").run()
    at.toggle(key="carte_points").set_value(False).run()
    no_exception(at)
    html = map_html(at)
    assert "Hexagones" in html and "Chaleur" not in html
    assert "markerClusterGroup" not in html and "Signalements : gravit" not in html


def test_map_scale_is_metric_only(app):
    html = map_html(app("pages/carte.py"))
    assert "imperial: false" in html and "control.scale()" not in html


def test_map_uses_no_cdn(app):
    at = app("pages/carte.py")
    html = map_html(at)
    for cdn in ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "code.jquery.com", "netdna.bootstrapcdn"):
        assert cdn not in html
    assert "leaflet.js" in html


def test_map_with_no_basemap_has_no_tile_url(app):
    at = app("pages/carte.py")
    at.selectbox(key="carte_fond").set_value("none").run()
    no_exception(at)
    html = map_html(at)
    assert "tile.openstreetmap.org" not in html and "data.geopf.fr" not in html


def test_quartier_panel_shows_counts_series_and_open_reports(app):
    at = app("pages/carte.py")
    assert any("Cliquez sur un quartier" in i.value for i in at.info)
    at.session_state["carte_quartier"] = "gresilles"  # what a click on the quartier stores
    at.run()
    no_exception(at)
    assert [s.value for s in at.subheader] == ["Grésilles"]
    assert int(next(m for m in at.metric if m.label.startswith("Signalements")).value) > 0
    assert len(at.dataframe) == 2  # by category, open reports


def fill_entry(at, *, lat=47.3220, lon=5.0415, category="eclairage", text="<b>Lampadaire</b> éteint") -> None:
    at.number_input(key="saisie_lat").set_value(lat)
    at.number_input(key="saisie_lon").set_value(lon)
    at.selectbox(key="saisie_categorie").set_value(category)
    at.radio(key="saisie_gravite").set_value(2)
    at.text_area(key="saisie_description").input(text)


def stored_count(db: str) -> int:
    from geo.store.database import Store

    return len(Store(db).read_reports(columns=("id",)))


def test_field_entry_is_stored_and_shown_on_the_map(app, demo_copy):
    at = app("pages/saisie.py", db=demo_copy)
    no_exception(at)
    assert "[47.322, 5.0415]" not in map_html(at)
    fill_entry(at)
    at.button[0].click().run()
    no_exception(at)
    assert not at.error
    # the form is empty again (no chosen point drawn), and the new report is one of the latest reports' dots
    assert map_html(at).count("[47.322, 5.0415]") == 1
    message = " ".join(s.value for s in at.success)
    # what, where and when, in words; never the report's internal id
    assert "Signalement enregistré : Éclairage public en panne, Centre-ville, aujourd'hui à" in message
    from geo.store.database import Store

    ids = Store(demo_copy).read_reports(columns=("id",))["id"]
    assert not any(i in message for i in ids)


def test_field_entry_twice_in_a_row_empties_the_form_and_confirms_each_once(app, demo_copy):
    at = app("pages/saisie.py", db=demo_copy)
    start = stored_count(demo_copy)
    at.text_input(key="saisie_equipe").input("Équipe Centre")
    fill_entry(at, text="premier")
    at.button[0].click().run()
    assert len(at.success) == 1 and stored_count(demo_copy) == start + 1
    # the form is empty again for the next report (the team stays)
    assert at.number_input(key="saisie_lat").value is None and at.number_input(key="saisie_lon").value is None
    assert at.selectbox(key="saisie_categorie").value is None and at.radio(key="saisie_gravite").value is None
    assert at.text_area(key="saisie_description").value == ""
    assert at.text_input(key="saisie_equipe").value == "Équipe Centre"
    at.run()  # any later run (a map tap, a filter) does not confirm the same report again
    assert not at.success
    at.button[0].click().run()  # "Enregistrer" on the empty form: errors, no second success, nothing stored
    assert not at.success and at.error and stored_count(demo_copy) == start + 1
    fill_entry(at, lat=47.3301, lon=5.0602, category="tags", text="second")
    at.button[0].click().run()
    no_exception(at)
    assert len(at.success) == 1 and "Tags" in at.success[0].value
    assert stored_count(demo_copy) == start + 2


def test_field_entry_errors_are_shown_next_to_fields_and_go_once_fixed(app, demo_copy):
    at = app("pages/saisie.py", db=demo_copy)
    at.button[0].click().run()
    no_exception(at)
    messages = " ".join(e.value for e in at.error)
    assert "Choisissez une catégorie." in messages and "touchez la carte" in messages
    assert "inconnue" not in messages and "''" not in messages
    # a tap on the map fills the coordinates (what ui.entry_form.take_click does): their message goes
    at.session_state["saisie_lat"], at.session_state["saisie_lon"] = 47.3220, 5.0415
    at.run()
    messages = " ".join(e.value for e in at.error)
    assert "touchez la carte" not in messages and "Choisissez une catégorie." in messages


def test_field_entry_placeholders_are_not_coordinates(app):
    at = app("pages/saisie.py")
    for key in ("saisie_lat", "saisie_lon"):
        placeholder = at.number_input(key=key).proto.placeholder
        assert placeholder and not any(ch.isdigit() for ch in placeholder)


@pytest.mark.parametrize(("page", "shown"), [("pages/accueil.py", True), ("pages/carte.py", True),
                                             ("pages/saisie.py", False), ("pages/import_donnees.py", False)])
def test_filters_are_shown_only_where_they_act(app, page, shown):
    at = app(page)
    no_exception(at)
    keys = {w.key for w in [*at.sidebar.selectbox, *at.sidebar.multiselect]}
    assert ({"filtre_periode", "filtre_categories"} <= keys) is shown
    assert bool(keys) is shown


def test_filters_survive_a_page_without_them(app):
    at = app("pages/accueil.py")
    at.sidebar.multiselect(key="filtre_registres").select("veille_technique").run()
    at.switch_page("pages/saisie.py").run()
    at.switch_page("pages/carte.py").run()
    no_exception(at)
    assert at.sidebar.multiselect(key="filtre_registres").value == ["veille_technique"]


def test_french_script_is_injected_once_per_run(app):
    at = app("pages/import_donnees.py")
    bodies = [h.proto.body for h in at.get("html")]
    assert sum("__veilleFrench" in b for b in bodies) == 1
    assert sum("__veilleSidebar" in b for b in bodies) == 1


def test_empty_store_offers_the_demo_and_loads_it(app, db_url):
    at = app("pages/accueil.py", db=db_url)
    at.button(key="vide_demo").click().run()
    no_exception(at)
    assert metric(at, "Signalements") >= 0
    assert not any("Aucun signalement n'est encore" in i.value for i in at.info)


def test_carte_follows_a_write_made_by_another_process(app, demo_copy):
    """A report stored by someone else (here the store itself, as the CLI or another instance would) shows on
    Carte once the data version is re-read (at most a second later), without any cache being cleared by hand."""
    import time

    from geo.ingest.entry import FieldEntry, record_report
    from geo.settings import DATA_DIR
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    def shown(at) -> int:
        caption = next(c.value for c in at.caption if "signalements dans la sélection" in c.value)
        return int(caption.split(" signalements")[0].replace("\u202f", ""))

    at = app("pages/carte.py", db=demo_copy)
    before = shown(at)
    assert before == stored_count(demo_copy)
    result = record_report(Store(demo_copy), FieldEntry(lat=47.3220, lon=5.0415, category="eclairage",
                                                        observed_at=pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)),
                           taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"))
    assert not result.errors
    time.sleep(1.1)  # the data version is re-read at most once a second
    at.run()
    no_exception(at)
    assert shown(at) == before + 1


def test_accueil_lists_a_newest_report_outside_the_territory(app, demo_copy):
    """A report outside every quartier among the latest ones is listed as « Hors territoire » (the quartier
    column is categorical: filling its gaps with a new label used to raise, depending on which reports were newest)."""
    from geo.ingest.entry import FieldEntry, record_report
    from geo.settings import DATA_DIR
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    now = pd.Timestamp.now(tz="Europe/Paris")
    result = record_report(Store(demo_copy), FieldEntry(lat=47.20, lon=4.80, category="eclairage", observed_at=now,
                                                        author="Léa"),
                           taxonomy=load_taxonomy(DATA_DIR / "taxonomy.json"), now=now)
    assert not result.errors, result.errors
    at = app("pages/accueil.py", db=demo_copy)
    no_exception(at)
    latest = next(d.value for d in at.dataframe if "Quartier" in d.value.columns)
    assert latest["Quartier"].iloc[0] == "Hors territoire"
