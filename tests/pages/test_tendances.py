"""The Tendances page, the hot spot layers of Carte and the strongest rises on Accueil (AppTest)."""

from __future__ import annotations

import json


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def dataframes(at) -> list:
    return [d.value for d in at.dataframe]


def test_tendances_renders_every_block(app):
    at = app("pages/tendances.py")
    no_exception(at)
    assert at.title[0].value == "Tendances"
    assert [s.value for s in at.subheader] == ["Séries et tendance", "Tendances, de la plus forte à la plus faible",
                                                "Comparaisons de périodes", "Jour de la semaine × heure"]
    trends, comparisons, hours = dataframes(at)
    assert {"Série", "Sens", "tau", "p corrigé (FDR)", "Pente de Sen (par période)"} <= set(trends.columns)
    # sorted by strength: the significant ones first, then by |tau|
    significant = trends["Significative"].tolist()
    assert significant == sorted(significant, reverse=True)
    assert {"4 dernières semaines", "4 semaines avant", "p (4 semaines)", "Mois en cours"} <= set(comparisons.columns)
    assert hours.shape == (7, 24) and int(hours.to_numpy().sum()) > 0
    captions = " ".join(c.value for c in at.caption)
    assert "Mann-Kendall" in captions and "fausses découvertes" in captions and "Poisson" in captions
    assert len(at.get("download_button")) == 3
    assert len(at.get("vega_lite_chart")) == 2  # the series and the weekday × hour heat table


def test_tendances_follows_the_shared_filters(app):
    at = app("pages/tendances.py")
    total = int(dataframes(at)[2].to_numpy().sum())
    at.sidebar.multiselect(key="filtre_categories").select("tags").run()
    no_exception(at)
    trends, _, hours = dataframes(at)
    assert 0 < int(hours.to_numpy().sum()) < total
    assert trends["Série"].str.contains("Tags").all()


def test_tendances_groupings_and_period(app):
    at = app("pages/tendances.py")
    at.radio(key="tendances_groupes").set_value("neighbourhood").run()
    at.radio(key="tendances_pas").set_value("month").run()
    no_exception(at)
    trends = dataframes(at)[0]
    names = set(at.session_state["filtre_courant"].neighbourhoods) or None
    assert names is None and len(trends) >= 11  # one row per quartier (and the outside ring)
    assert "Centre-ville" in set(trends["Série"])


def test_tendances_on_an_empty_store(app, db_url):
    at = app("pages/tendances.py", db=db_url)
    no_exception(at)
    assert any("Aucun signalement" in i.value for i in at.info)


def _map_json(at) -> str:
    comps = list(at.get("component_instance"))
    return json.dumps(json.loads(comps[0].proto.json_args), ensure_ascii=False)


def test_carte_hot_spot_layers_with_french_legends(app):
    at = app("pages/carte.py")
    assert "Point chaud (99 %)" not in _map_json(at)  # no analysis until asked for
    at.radio(key="carte_points_chauds").set_value("hotspots").run()
    no_exception(at)
    html = _map_json(at)
    assert "Points chauds (Gi*)" in html and "Point chaud (99 %)" in html and "Point froid (99 %)" in html
    assert "#b2182b" in html  # RdBu, colour-blind safe
    captions = " ".join(c.value for c in at.caption)
    assert "point chaud à 95 %" in captions and "fausses découvertes" in captions
    at.radio(key="carte_points_chauds").set_value("emerging").run()
    no_exception(at)
    assert "mergents" in _map_json(at) and "Points chauds (Gi*)" not in _map_json(at)  # é escaped by folium
    assert "période après période" in " ".join(c.value for c in at.caption)


def test_accueil_shows_the_strongest_rises(app):
    at = app("pages/accueil.py")
    no_exception(at)
    assert "Plus fortes hausses" in [s.value for s in at.subheader]


def test_a_click_on_a_hot_spot_cell_shows_its_series(app, monkeypatch):
    import folium
    import streamlit_folium

    clicked: dict = {}

    def fake_st_folium(fmap, **kwargs):  # what the component returns after a click on the first hot cell
        for child in fmap._children.values():
            for grand in getattr(child, "_children", {}).values():
                if isinstance(grand, folium.GeoJson) and "features" in grand.data:
                    hot = [f for f in grand.data["features"] if f["properties"].get("class", "").startswith("hot")]
                    if hot:
                        clicked["cell"] = hot[0]["properties"]["cell"]
                        return {"last_active_drawing": {"properties": hot[0]["properties"]}}
        return {"last_active_drawing": None}

    monkeypatch.setattr(streamlit_folium, "st_folium", fake_st_folium)
    at = app("pages/carte.py")
    at.radio(key="carte_points_chauds").set_value("hotspots").run()
    no_exception(at)
    assert clicked, "the hot spot layer has at least one hot cell on the demo data"
    assert f"Cellule {clicked['cell']}" in [s.value for s in at.subheader]
    assert len(at.get("vega_lite_chart")) == 1  # its series per month


def test_numba_warm_up_starts_only_once_a_hot_spot_layer_is_asked_for(app, monkeypatch):
    """Pages that show no hot spots never start the permutation worker (seconds of CPU, numba's memory)."""
    import threading

    import ui.hotspots
    from geo.analysis import permutation_worker

    fresh = permutation_worker.PermutationWorker()  # as in a fresh process: no worker yet
    started: list[bool] = []
    monkeypatch.setattr(fresh, "start", lambda: started.append(True))
    monkeypatch.setattr(permutation_worker, "_SHARED", fresh)
    monkeypatch.setattr(ui.hotspots, "_ASKED", threading.Event())  # as in a fresh process
    at = app("pages/carte.py")
    for page in ("pages/accueil.py", "pages/tendances.py", "pages/carte.py"):
        at.switch_page(page).run()
        no_exception(at)
    assert started == []
    at.radio(key="carte_points_chauds").set_value("hotspots").run()
    no_exception(at)
    assert started == [True]
