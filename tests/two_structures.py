"""Two structures in one PostgreSQL database, each having imported the same file; the second one more."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geo.ingest.entry import FieldEntry, record_report
from geo.ingest.importer import import_file
from geo.ingest.territory import install_territory
from geo.sharing import accounts
from geo.store.database import Store
from geo.store.structures import add_structure, scoped_url
from geo.taxonomy import Taxonomy
from tests.conftest import NORTH_POINT, SOUTH_POINT, make_territory

PASSWORD = "un-mot-de-passe-assez-long"
SECRET = "Mme Secrète au 3e étage, 06 12 34 56 78"  # a description: never in the réseau's figures
EXTRA = "Signalement propre à Quetigny"


@dataclass(frozen=True)
class TwoStructures:
    url: str  # the database (the default structure)
    second_url: str  # the same database opened for the second structure
    file_reports: int  # reports of the shared file, in each structure


def shared_file(folder: Path) -> Path:
    """Write a file of 6 reports: 5 tags in the north in March 2026, 1 rodeo in the south."""
    lines = ["date;categorie;latitude;longitude;description"]
    lines += [f"2026-03-0{d} 10:00;tags;{NORTH_POINT[0] + d / 1000};{NORTH_POINT[1]};{SECRET}" for d in range(1, 6)]
    lines.append(f"2026-03-09 22:00;rodeo;{SOUTH_POINT[0]};{SOUTH_POINT[1]};{SECRET}")
    path = folder / "veille.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build(db_url: str, folder: Path, taxonomy: Taxonomy) -> TwoStructures:
    """Fill the default structure and ``quetigny`` with the same file; give ``quetigny`` one more report."""
    add_structure(db_url, "quetigny", name="Pimms Quetigny")
    second_url = scoped_url(db_url, "quetigny")
    path = shared_file(folder)
    now = pd.Timestamp("2026-03-20 12:00", tz="Europe/Paris")
    stored = []
    for url in (db_url, second_url):
        store = Store(url)
        install_territory(store, make_territory(), source_name="test")
        stored.append(import_file(store, path, taxonomy=taxonomy, now=now, workers=0).stored)
    assert stored[0] == stored[1] == 6
    extra = record_report(Store(second_url), FieldEntry(lat=SOUTH_POINT[0], lon=SOUTH_POINT[1], category="tags",
                                                        observed_at=pd.Timestamp("2026-03-10 09:00",
                                                                                 tz="Europe/Paris"),
                                                        description=EXTRA), taxonomy=taxonomy, now=now)
    assert extra.ok, extra.errors
    accounts.create_user(Store(db_url), "cheffe.dijon", PASSWORD, role="coordinateur")
    accounts.create_user(Store(second_url), "cheffe.quetigny", PASSWORD, role="coordinateur")
    accounts.create_user(Store(db_url), "reseau", PASSWORD, role="reseau")
    return TwoStructures(url=db_url, second_url=second_url, file_reports=6)
