"""The partner's page and the Partage page offer fixed calendar periods only, in French; the full export keeps dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.errors import InputError
from geo.sharing.periods import MONTHS_FR, month_period, parse_period, period_from_dates
from tests.pages.conftest import navigation_only  # noqa: F401 - autouse fixture: run as the server does
from tests.sharing.conftest import PARTNER, PASSWORD
from tests.sharing.test_app_auth import auth_on, log_in, no_exception, start  # noqa: F401 - auth_on: autouse

TZ = "Europe/Paris"


def _last_closed_month(now: pd.Timestamp) -> pd.Timestamp:
    return now.floor("D") - pd.Timedelta(days=now.day)


def test_the_partner_chooses_among_completed_calendar_periods_only(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    log_in(at, "mairie", PASSWORD)
    no_exception(at)
    assert not at.get("date_input")  # no free dates for a partner
    now = pd.Timestamp.now(tz=TZ)
    last = _last_closed_month(now)
    kind = at.selectbox(key="partenaire_type_periode")
    assert kind.options == ["Mois", "Trimestre", "Année", "Depuis le début"]
    period = at.selectbox(key="partenaire_periode_mois")
    label = f"{MONTHS_FR[last.month - 1]} {last.year}"
    assert period.value == f"{last:%Y-%m}" and period.options[0].endswith(label)  # the last closed month first
    current = month_period(now.year, now.month, timezone=TZ).label.capitalize()
    assert current not in period.options and len(period.options) >= 12  # the current month is not over
    expected = month_period(last.year, last.month, timezone=TZ).label
    assert expected.startswith("mois d") and expected.endswith(label)
    assert any(m.value == f"**Période : {expected}**" for m in at.markdown)
    shown = at.dataframe[0].value
    # a quarter: the view is derived from its months, with the same quartiers
    kind.set_value("trimestre").run()
    no_exception(at)
    quarter = at.selectbox(key="partenaire_periode_trimestre")
    assert all("trimestre" in option for option in quarter.options)
    assert f"{now.year}-T{(now.month - 1) // 3 + 1}" not in quarter.value  # the current quarter is not over
    assert any("Période : " in m.value and "trimestre" in m.value for m in at.markdown)
    assert list(at.dataframe[0].value["Quartier"]) == list(shown["Quartier"])
    at.selectbox(key="partenaire_type_periode").set_value("tout").run()
    no_exception(at)
    assert any("Période : depuis le début (jusqu'au " in m.value for m in at.markdown)
    # the partner's download is made for the same fixed period
    at.radio(key="partenaire_format").set_value("csv").run()
    at.button(key="partenaire_preparer").click().run()
    no_exception(at)
    labels = [d.label for d in at.get("download_button")]
    assert labels == [f"Télécharger veille-{PARTNER}-tout.csv"]
    data = at.session_state["partenaire_fichier"][1].decode("utf-8-sig")
    assert data.split("\r\n\r\n")[0].splitlines()[0] == "Quartier;Signalements;Ouverts;Ouverts depuis plus de 10 jours"


def test_the_partage_page_previews_fixed_periods_and_keeps_free_dates_for_the_full_export(planted_db, monkeypatch):
    at = start(planted_db, monkeypatch)
    log_in(at, "coord", PASSWORD)
    at.switch_page("pages/partage.py").run()
    no_exception(at)
    assert at.selectbox(key="partage_type_periode").value == "mois"
    assert at.date_input(key="partage_periode")  # the « Export complet (coordination) » tab: free dates
    assert any("Période : mois " in m.value for m in at.markdown)
    assert any("Fichiers à transmettre, période : mois " in c.value for c in at.caption)


def test_fixed_periods_are_written_and_refused_in_french():
    now = pd.Timestamp("2026-12-04 20:00", tz=TZ)
    assert parse_period("2026-11", now=now, timezone=TZ).label == "mois de novembre 2026"
    assert parse_period("2026-04", now=now, timezone=TZ).label == "mois d'avril 2026"
    assert parse_period("2026-T3", now=now, timezone=TZ).label == "3e trimestre 2026 (juillet à septembre)"
    assert parse_period("2025", now=now, timezone=TZ).label == "année 2025"
    everything = parse_period("tout", now=now, timezone=TZ, first_month=pd.Timestamp("2024-09-17"))
    assert everything.label == "depuis le début (jusqu'au 30/11/2026)" and len(everything.months()) == 27
    assert everything.start == pd.Timestamp("2024-09-01", tz=TZ) and everything.end == pd.Timestamp("2026-12-01",
                                                                                                    tz=TZ)
    for text, said in (("2026-12", "non terminée"), ("2026-T4", "non terminée"), ("2026", "non terminée"),
                       ("2026-13", "période attendue"), ("novembre", "période attendue")):
        with pytest.raises(InputError, match=said):
            parse_period(text, now=now, timezone=TZ)
    assert period_from_dates(dt.date(2026, 7, 1), dt.date(2026, 9, 30), now=now, timezone=TZ).code == "2026-T3"
    assert period_from_dates(dt.date(2025, 1, 1), dt.date(2025, 12, 31), now=now, timezone=TZ).code == "2025"
    assert period_from_dates(dt.date(2026, 2, 1), dt.date(2026, 2, 28), now=now, timezone=TZ).code == "2026-02"
    for first, last in ((dt.date(2026, 11, 2), dt.date(2026, 11, 30)), (dt.date(2026, 11, 1), dt.date(2026, 11, 29)),
                        (dt.date(2026, 10, 1), dt.date(2026, 11, 30)), (dt.date(2026, 11, 1), None)):
        with pytest.raises(InputError, match="périodes fixes"):
            period_from_dates(first, last, now=now, timezone=TZ)
    with pytest.raises(InputError, match="non terminée"):
        period_from_dates(dt.date(2026, 12, 1), dt.date(2026, 12, 31), now=now, timezone=TZ)
    # months across the change of time (local midnights, 1st to 1st)
    march = parse_period("2026-03", now=now, timezone=TZ)
    assert (march.end - march.start) == pd.Timedelta(days=31) - pd.Timedelta(hours=1)
