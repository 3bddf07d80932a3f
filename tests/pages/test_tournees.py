"""The Tournées page: targets from waiting reports, solve, look, save, reopen, mark done, coverage."""

from __future__ import annotations

import sqlalchemy as sa

from geo.store.database import Store
from geo.store.patrol_schema import patrol_plans


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def button(at, key):
    return next(b for b in at.button if b.key == key)


def test_page_renders_on_empty_store(app, db_url):
    at = app("pages/tournees.py", db=db_url)
    no_exception(at)
    assert at.title[0].value == "Tournées"
    assert any("Aucun plan enregistré" in i.value for i in at.info)


def test_plan_rounds_from_waiting_reports_save_and_mark_done(app, demo_copy):
    at = app("pages/tournees.py", db=demo_copy)
    no_exception(at)
    at.checkbox(key="tournees_attente").check()
    at.number_input(key="tournees_nb_attente").set_value(12)
    button(at, "tournees_charger").click().run()
    no_exception(at)
    assert any("12 cibles" in c.value for c in at.caption)
    at.number_input(key="tournees_limite").set_value(1.0)
    at.number_input(key="tournees_duree").set_value(240)
    button(at, "tournees_calculer").click().run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Équipes"]) == 2
    assert int(metrics["Arrêts"]) + int(metrics["Écartées"]) == 12
    assert int(metrics["Arrêts"]) >= 1
    assert any(d.label.endswith("feuille de tournée (PDF)") for d in at.get("download_button"))

    at.text_input(key="tournees_nom").input("Tournée test")
    button(at, "tournees_enregistrer").click().run()
    no_exception(at)
    assert any("Tournée test" in s.value for s in at.success)
    store = Store(demo_copy)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(patrol_plans.c.id, patrol_plans.c.name, patrol_plans.c.status)).all()
    assert [(r.name, r.status) for r in rows] == [("Tournée test", "planned")]

    button(at, "tournees_fait").click().run()
    no_exception(at)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(patrol_plans.c.status)).scalar() == "done"

    button(at, "tournees_rouvrir").click().run()
    no_exception(at)
    assert any("Ajustement du plan enregistré" in i.value for i in at.info)


def test_hot_spots_are_offered_as_targets(app):
    at = app("pages/tournees.py")
    at.checkbox(key="tournees_chauds").check()
    button(at, "tournees_charger").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert any(c.value.endswith("cibles. Décochez celles à ignorer ; changez les priorités au besoin.")
               for c in at.caption)


def test_start_point_defaults_to_the_territory_even_when_its_session_value_is_gone(app):
    at = app("pages/tournees.py")
    no_exception(at)
    lat, lon = at.number_input(key="tournees_lat").value, at.number_input(key="tournees_lon").value
    assert 46.0 < lat < 48.5 and 4.0 < lon < 6.0, (lat, lon)  # the demo territory (Dijon), never 0, 0
    # Streamlit drops a keyed widget's session value when a rerun interrupts the run before the widget
    # (streamlit#4247): the inputs then show their own default, which must be the territory, not zero.
    defaults = [at.number_input(key=key).proto.default for key in ("tournees_lat", "tournees_lon")]
    assert defaults == [lat, lon]
