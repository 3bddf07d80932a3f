"""A small demo store with planted personal data, shared by the sharing tests (copied for tests that write)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.demo.build import build_demo_store
from geo.ingest.entry import FieldEntry, record_report
from geo.settings import DATA_DIR
from geo.sharing import accounts
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from tests.sqlite_copy import copy_sqlite

TAXONOMY = load_taxonomy(DATA_DIR / "taxonomy.json")
PASSWORD = "correct-horse-battery"
# Strings that must never reach a partner: names, a phone number, an author, a team, markup.
PLANTED = {
    "description": "Mme Josiane Planteur-Zed, 06 12 34 56 78, se plaint <img src=x onerror=window.__xss=1>"
                   "<script>window.__xss=2</script>",
    "team": "Equipe-Secrete-Zeta",
    "author": "auteur.plante.quatre",
}
PLANTED_STRINGS = ("Josiane", "Planteur-Zed", "06 12 34 56 78", "window.__xss", "Equipe-Secrete-Zeta",
                   "auteur.plante.quatre")
# Exact positions of the planted reports (ville categories), inside Centre-ville.
PLANTED_POINTS = [(47.3217391, 5.0412347), (47.3229013, 5.0389121), (47.3201177, 5.0437719)]
PARTNER = "ville-eclairage"


def plant_reports(store: Store, *, now: pd.Timestamp) -> list[str]:
    """Record the planted reports through the field form; return their ids."""
    ids = []
    for i, (lat, lon) in enumerate(PLANTED_POINTS):
        result = record_report(store, FieldEntry(lat=lat, lon=lon, category="eclairage", severity=2,
                                                 observed_at=now - pd.Timedelta(days=2 + i), **PLANTED),
                               taxonomy=TAXONOMY, now=now)
        assert result.ok, result.errors
        ids.append(result.report_id)
    return ids


@pytest.fixture(scope="session")
def planted_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a demo store (800 reports) with the planted reports (twice: this week, and 6 weeks ago, in a month
    a partner may choose) and one account per role."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sharing') / 'planted.sqlite'}"
    now = pd.Timestamp.now(tz="Europe/Paris").floor("h")
    store = Store(url)
    build_demo_store(store, taxonomy=TAXONOMY, reports=800, seed=3, end=now)
    plant_reports(store, now=now)
    plant_reports(store, now=now - pd.Timedelta(days=40))  # the same, in a completed month: partners reach it
    accounts.create_user(store, "coord", PASSWORD, role="coordinateur")
    accounts.create_user(store, "terrain", PASSWORD, role="equipe")
    accounts.create_user(store, "mairie", PASSWORD, role="partenaire", partner_id=PARTNER)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return url


@pytest.fixture
def planted_copy(planted_db: str, tmp_path: Path) -> str:
    """A private copy of the planted store, for tests that write."""
    target = tmp_path / "planted-copy.sqlite"
    copy_sqlite(planted_db.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


def masked_month(store: Store, partner: str, *, now: pd.Timestamp, settings=None):
    """Return the latest completed month whose view for ``partner`` holds a count « < 3 »."""
    from geo.sharing.config import SharingSettings
    from geo.sharing.period_view import fixed_partner_view
    from geo.sharing.periods import available_periods, first_report_month
    from geo.sharing.scope import partner_scope

    tz = "Europe/Paris"
    scope = partner_scope(store, partner, taxonomy=TAXONOMY)
    for period in available_periods(first_report_month(store, timezone=tz), now=now, timezone=tz)["mois"]:
        view = fixed_partner_view(store, scope, period, taxonomy=TAXONOMY, settings=settings or SharingSettings(),
                                  now=now, timezone=tz)
        if (view.figures.status == 1).any():
            return period
    raise AssertionError(f"no completed month holds a masked count for {partner}")
