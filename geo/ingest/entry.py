"""Record one report typed in the field form, through the same validation as file imports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from geo.ingest.formats import ColumnMapping
from geo.ingest.importer import prepare_rows, report_tuples
from geo.store.database import Store
from geo.store.workflow_schema import route_batch
from geo.taxonomy import Taxonomy

__all__ = ["FieldEntry", "EntryResult", "record_report", "FORM_SOURCE"]

FORM_SOURCE = "saisie"
_FORM = ColumnMapping(profile="form", lat="latitude", lon="longitude", time="date", category="categorie",
                      description="description", severity="gravite", team="equipe", author="auteur",
                      id_prefix=FORM_SOURCE)
_PLACE = "Placez le signalement : touchez la carte, « Ma position », ou saisissez les coordonnées."
_FORM_MESSAGES = {"latitude manquante": _PLACE, "longitude manquante": _PLACE, "date manquante": "Indiquez la date.",
                  "date dans le futur": "La date et l'heure sont dans le futur."}
"""Validation reasons reworded for the person filling the form (the rest read the same as for imports)."""
_FIELD_OF_COLUMN = {"latitude": "lat", "longitude": "lon", "date": "observed_at", "categorie": "category",
                    "gravite": "severity", "description": "description", "equipe": "team", "auteur": "author"}


@dataclass(frozen=True)
class FieldEntry:
    """What a mediator types in the field form."""

    lat: float | None
    lon: float | None
    category: str
    observed_at: pd.Timestamp
    severity: int | None = None
    description: str = ""
    team: str = ""
    author: str = ""


@dataclass
class EntryResult:
    """The stored report's id and neighbourhood, or the errors per form field."""

    report_id: str | None = None
    neighbourhood: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    swapped: bool = False

    @property
    def ok(self) -> bool:
        """Tell whether the report was stored."""
        return self.report_id is not None


def record_report(store: Store, entry: FieldEntry, *, taxonomy: Taxonomy, now: pd.Timestamp | None = None
                  ) -> EntryResult:
    """Validate and store one report at once (its own batch, source ``saisie``).

    Returns
    -------
    EntryResult
        With ``errors`` keyed by field name (``lat``, ``category``…) when the entry is refused.
    """
    result = EntryResult()
    if not (entry.category or "").strip():
        result.errors["category"] = "Choisissez une catégorie."
    elif entry.category not in taxonomy.categories:
        result.errors["category"] = f"Catégorie inconnue : « {entry.category} ». Choisissez-en une dans la liste."
    stamp = pd.Timestamp(entry.observed_at)
    row = {
        "latitude": "" if entry.lat is None else repr(float(entry.lat)),
        "longitude": "" if entry.lon is None else repr(float(entry.lon)),
        "date": stamp.isoformat(), "categorie": entry.category,
        "gravite": "" if entry.severity is None else str(entry.severity), "description": entry.description,
        "equipe": entry.team, "auteur": entry.author,
    }
    chunk = pd.DataFrame([row], index=[1], dtype=object)
    territory = store.load_territory()
    prepared = prepare_rows(chunk, _FORM, taxonomy=taxonomy, territory=territory, now=now)
    for item in prepared.rejected:
        for reason in json.loads(item["reasons"]):
            text = reason["reason"]
            message = _FORM_MESSAGES.get(text, text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))
            result.errors.setdefault(_FIELD_OF_COLUMN.get(reason["column"], "lat"), message)
    if result.errors:
        return result
    # no file is kept for a typed entry: the form's fields are its raw row
    valid = prepared.valid.assign(raw=json.dumps(row, ensure_ascii=False), row_number=None)
    with store.transaction() as conn:
        batch_id = store.begin_batch(conn, source_name=FORM_SOURCE, content_hash=str(valid["id"].iloc[0]),
                                     source_format="form", imported_by=entry.author or None)
        stored = store.insert_reports(conn, report_tuples(valid, batch_id))
        route_batch(conn, batch_id)
        store.finish_batch(conn, batch_id, {"read": 1, "stored": stored, "duplicates": 1 - stored, "quarantined": 0,
                                            "outside_territory": int(stored and valid["neighbourhood"].isna().iloc[0])})
    result.report_id = str(valid["id"].iloc[0])
    result.neighbourhood = valid["neighbourhood"].iloc[0]
    result.swapped = bool(prepared.swapped)
    return result
