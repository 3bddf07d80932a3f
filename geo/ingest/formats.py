"""Recognise the layout of an input file (KoboToolbox, ODK Central, Open311, FixMyStreet, plain tables).

The result is a :class:`ColumnMapping`: which column holds which field of a report. Options given by the
user always win over what is recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from geo.errors import InputError
from geo.ingest.readers import GEOMETRY_COLUMNS
from geo.taxonomy import normalize_label

__all__ = ["ColumnMapping", "detect_mapping", "MAPPABLE_FIELDS", "REQUIRED_FIELDS", "FIELD_LABELS",
           "METADATA_TIMES", "describe_mapping", "time_source_warning"]

REQUIRED_FIELDS = ("lat", "lon", "time", "category")
MAPPABLE_FIELDS = ("lat", "lon", "time", "clock", "category", "id", "description", "severity", "status",
                   "team", "author")
FIELD_LABELS = {"lat": "Latitude", "lon": "Longitude", "time": "Date d'observation", "clock": "Heure (séparée)",
                "category": "Catégorie", "id": "Identifiant source", "description": "Description",
                "severity": "Gravité", "status": "Statut", "team": "Équipe", "author": "Auteur"}
"""French name of each field, as the Import page shows it."""
# Form-export metadata holding a time that is not the observation's: what each one is, in French
METADATA_TIMES = {
    "start": "l'heure d'ouverture du formulaire (métadonnée KoboToolbox/ODK)",
    "end": "l'heure de fermeture du formulaire (métadonnée KoboToolbox/ODK)",
    "today": "le jour de la saisie (métadonnée KoboToolbox/ODK)",
    "_submission_time": "l'heure d'envoi au serveur (métadonnée KoboToolbox)",
    "SubmissionDate": "l'heure d'envoi au serveur (métadonnée ODK Central)",
}
_OPTION = {"lat": "--lat", "lon": "--lon", "time": "--time", "category": "--category"}

# Candidate names per field, normalised (see ``normalize_label``), most specific first.
_NAMES: dict[str, tuple[str, ...]] = {
    "lat": ("latitude", "lat", "y wgs84", "gps latitude"),
    "lon": ("longitude", "lon", "lng", "long", "x wgs84", "gps longitude"),
    "time": ("date observation", "date de l'observation", "date et heure", "date heure", "observed at",
             "datetime", "horodatage", "timestamp", "date signalement", "date", "requested datetime", "created",
             "start"),
    "clock": ("heure", "heure observation", "time"),
    "category": ("categorie", "category", "type signalement", "type de signalement", "type", "nature", "motif",
                 "service name", "service code"),
    "id": ("id", "identifiant", "reference", "ref", "numero", "n°", "numero de fiche", "service request id",
           "report id", "key", "uuid"),
    "description": ("description", "commentaire", "commentaires", "observation", "observations", "detail",
                    "remarque", "remarques"),
    "severity": ("gravite", "severite", "severity", "urgence", "priorite"),
    "status": ("statut", "status", "etat"),
    "team": ("equipe", "team", "binome"),
    "author": ("auteur", "author", "agent", "mediateur", "mediatrice", "saisi par", "submitted by",
               "submittername"),
}

# Form group paths: ``grp/q`` (KoboToolbox), ``grp-q`` (ODK Central).
_GROUP_SEPARATORS = {"odk": r"[/-]"}
_ODK_METADATA = frozenset({"meta-instanceID", "meta-instanceName", "KEY", "SubmitterID", "SubmitterName",
                           "AttachmentsPresent", "AttachmentsExpected", "Status", "ReviewState", "DeviceID",
                           "Edits", "FormVersion"})


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the file holds which report field (``None`` when absent).

    Attributes
    ----------
    profile
        The recognised layout: ``kobo``, ``odk``, ``open311``, ``fixmystreet``, ``geo`` or ``table``.
    time_format
        A ``strptime`` format for the time column; ``None`` lets the parser recognise it.
    time_from_metadata
        The time column is form-export metadata (:data:`METADATA_TIMES`), taken because no date question
        was recognised.
    date_order
        Order of day and month in the time column's numeric dates (``dmy`` or ``mdy``, see
        :mod:`geo.ingest.timeparse`), decided on the whole column before it is validated.
    time_is_utc
        Naive times of this column are UTC (Kobo's ``_submission_time``) rather than local.
    id_prefix
        Namespace put before source ids so that ids of different sources never collide.
    """

    profile: str = "table"
    lat: str | None = None
    lon: str | None = None
    time: str | None = None
    clock: str | None = None
    category: str | None = None
    id: str | None = None
    description: str | None = None
    severity: str | None = None
    status: str | None = None
    team: str | None = None
    author: str | None = None
    time_format: str | None = None
    time_is_utc: bool = False
    id_prefix: str = "import"
    time_from_metadata: bool = False
    date_order: str | None = None

    def columns(self) -> dict[str, str | None]:
        """Return the column of each field of :data:`MAPPABLE_FIELDS` (``None`` when unmapped)."""
        return {name: getattr(self, name) for name in MAPPABLE_FIELDS}

    def as_dict(self) -> dict:
        """Return the mapping as a plain dict (for provenance)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def missing(self) -> list[str]:
        """Return the required fields no column was found for."""
        return [name for name in REQUIRED_FIELDS if getattr(self, name) is None]


def _leaf(column: str, profile: str) -> str:
    """Return a column's name without its form group path (``grp/q``; ``grp-q`` in ODK Central exports)."""
    return re.split(_GROUP_SEPARATORS.get(profile, "/"), column)[-1]


def _is_metadata(column: str, profile: str) -> bool:
    """Tell whether a column is form-export metadata, never guessed as a report field.

    KoboToolbox names its metadata with a leading ``_`` (``_status``, ``_id``, ``__version__``…);
    ODK Central appends fixed columns (``Status``, ``ReviewState``…). Profiles pick the ones they use.
    """
    return _leaf(column, profile).startswith("_") or (profile == "odk" and column in _ODK_METADATA)


def _find(columns: list[str], field: str, taken: set[str], profile: str) -> str | None:
    leaves = {}
    for col in columns:
        if col in taken or col in GEOMETRY_COLUMNS or _is_metadata(col, profile):
            continue
        leaves.setdefault(normalize_label(_leaf(col, profile)), col)
        leaves.setdefault(normalize_label(col), col)
    for name in _NAMES[field]:
        if name in leaves:
            return leaves[name]
    return None


def _kobo(columns: list[str]) -> dict | None:
    lat = [c for c in columns if re.search(r"(^|/)_[^/]+_latitude$", c)]
    if not lat or not ({"_uuid", "_submission_time"} & set(columns)):
        return None
    lon = lat[0][: -len("_latitude")] + "_longitude"
    if lon not in columns:
        return None
    found = {"profile": "kobo", "lat": lat[0], "lon": lon, "id_prefix": "kobo"}
    if "_uuid" in columns:
        found["id"] = "_uuid"
    if "_submitted_by" in columns:
        found["author"] = "_submitted_by"
    if "_submission_time" in columns:
        found["fallback_time"] = "_submission_time"
    return found


def _odk(columns: list[str]) -> dict | None:
    lat = [c for c in columns if c.endswith("-Latitude")]
    if not lat or "SubmissionDate" not in columns:
        return None
    lon = lat[0][: -len("-Latitude")] + "-Longitude"
    if lon not in columns:
        return None
    found = {"profile": "odk", "lat": lat[0], "lon": lon, "id_prefix": "odk", "fallback_time": "SubmissionDate"}
    if "KEY" in columns:
        found["id"] = "KEY"
    if "SubmitterName" in columns:
        found["author"] = "SubmitterName"
    return found


def _known_layout(columns: list[str]) -> dict:
    cols = set(columns)
    if {"service_request_id", "lat", "long"} <= cols:
        return {"profile": "open311", "lat": "lat", "lon": "long", "id": "service_request_id",
                "time": "requested_datetime", "id_prefix": "open311",
                "category": "service_name" if "service_name" in cols else "service_code"}
    if {"Report ID", "Latitude", "Longitude", "Category"} <= cols:
        return {"profile": "fixmystreet", "id": "Report ID", "time": "Created", "id_prefix": "fms",
                "description": "Detail" if "Detail" in cols else None}
    if set(GEOMETRY_COLUMNS) <= cols:
        return {"profile": "geo", "lat": "__lat__", "lon": "__lon__"}
    return _kobo(columns) or _odk(columns) or {}


def detect_mapping(columns: list[str], *, overrides: dict[str, str | None] | None = None,
                   source: str | None = None) -> ColumnMapping:
    """Recognise which column holds which field.

    Parameters
    ----------
    columns
        The file's column names.
    overrides
        Fields given by the user (``{"lat": "Y", "time_format": "%d/%m/%Y"}``); they win.
    source
        Namespace for source ids (``--source``); defaults to the recognised profile.

    Raises
    ------
    InputError
        When a required field has no column, or an override names a column the file does not have.
    """
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    for name, value in overrides.items():
        if name in MAPPABLE_FIELDS and value not in columns:
            raise InputError(f"la colonne {value!r} (--{name}) n'existe pas ; colonnes du fichier : {columns}")
    found = _known_layout(columns)
    fallback_time = found.pop("fallback_time", None)
    taken = {v for k, v in {**found, **overrides}.items() if k in MAPPABLE_FIELDS and v}
    for name in MAPPABLE_FIELDS:
        if name in found or name in overrides:
            continue
        col = _find(columns, name, taken, found.get("profile", "table"))
        if col is not None:
            found[name] = col
            taken.add(col)
    if "time" not in found and fallback_time:
        found["time"] = fallback_time
    mapping = ColumnMapping(**{**found, **overrides})
    if mapping.time == "_submission_time" and "time" not in overrides:
        mapping = replace(mapping, time_is_utc=True)
    if "time" not in overrides and mapping.time is not None and _leaf(mapping.time, mapping.profile) in METADATA_TIMES:
        mapping = replace(mapping, time_from_metadata=True)
    if source:
        mapping = replace(mapping, id_prefix=source)
    missing = mapping.missing()
    if missing:
        options = " ".join(f"{_OPTION[m]} COLONNE" for m in missing)
        raise InputError(
            f"colonnes non reconnues pour : {', '.join(missing)} ; précisez {options}. "
            f"Colonnes du fichier : {[c for c in columns if c not in GEOMETRY_COLUMNS]}"
        )
    return mapping


def time_source_warning(mapping: ColumnMapping) -> str | None:
    """Return a French warning when the time was taken from form-export metadata, else ``None``."""
    if not mapping.time_from_metadata or mapping.time is None:
        return None
    what = METADATA_TIMES[_leaf(mapping.time, mapping.profile)]
    return (f"date d'observation prise de la colonne « {mapping.time} », {what}, faute de question de date "
            "reconnue dans le formulaire : si une autre colonne donne la date de l'observation, précisez-la "
            "(--time COLONNE, ou « Date d'observation » dans Colonnes)")


def describe_mapping(mapping: ColumnMapping) -> list[str]:
    """Return one French line per mapped field: ``Date d'observation ← colonne « start »``."""
    return [f"{FIELD_LABELS[name]} ← colonne « {column} »" for name, column in mapping.columns().items()
            if column is not None and column not in GEOMETRY_COLUMNS] + [
        f"{FIELD_LABELS[name]} ← géométrie du fichier" for name in ("lat", "lon")
        if getattr(mapping, name) in GEOMETRY_COLUMNS]
