"""The Alertes page: open alerts in a table and on a map, the series chart, actions, digest preview."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.alerts.registry import AlertDraft, get_subscription, list_alerts, record
from geo.store.database import Store


@pytest.fixture
def with_alert(demo_copy: str) -> Store:
    store = Store(demo_copy)
    reports = store.read_reports(columns=("id", "observed_at", "category", "neighbourhood"))
    mine = reports[(reports["neighbourhood"] == "fontaine-d-ouche") & (reports["category"] == "parties_communes")]
    last = mine.sort_values("observed_at").tail(6)
    monday = (last["observed_at"].max().normalize() - pd.Timedelta(days=last["observed_at"].max().day_of_week))
    record(store, [AlertDraft("stat|fontaine-d-ouche|parties_communes", "statistique", "fontaine-d-ouche",
                              "parties_communes", monday.date().isoformat(), 6, 1.2, 4.0, "farrington", "orvitis",
                              last["id"].tolist())], as_of=pd.Timestamp.now().date().isoformat())
    return store


def test_alertes_page_shows_and_acknowledges_an_alert(app, demo_copy, with_alert):
    at = app("pages/alertes.py", db=demo_copy)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Alertes"
    tables = [df.value for df in at.dataframe]
    assert any("Fontaine d'Ouche" in set(t.get("Quartier", [])) for t in tables)
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart"), "the series chart is drawn"
    assert any("Quartiers en alerte" in c for img in at.image for c in img.captions), "the static map is drawn"
    assert any("Orvitis" in sb.options for sb in at.selectbox), "digest preview per partner"
    next(b for b in at.button if b.label == "Acquitter").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [alert] = list_alerts(with_alert)
    assert alert["status"] == "acquittee"


def test_alertes_page_without_alerts(app, demo_copy):
    at = app("pages/alertes.py", db=demo_copy)
    assert not at.exception, [e.value for e in at.exception]
    assert any("Aucune alerte ouverte" in i.value for i in at.info)


def test_partner_subscription_is_edited_on_the_page(app, demo_copy):
    at = app("pages/alertes.py", db=demo_copy)
    at.selectbox(key="alertes_partner").set_value("grand-dijon-habitat").run()
    next(r for r in at.radio if r.label == "Envoi").set_value("immediate")
    next(n for n in at.number_input if n.label == "N signalements").set_value(7)
    next(b for b in at.button if b.label == "Enregistrer").click().run()
    assert not at.exception, [e.value for e in at.exception]
    saved = get_subscription(Store(demo_copy), "grand-dijon-habitat")
    assert saved.mode == "immediate" and saved.cluster_n == 7
