"""Pieces of the import page: keep the uploaded file, map columns, run the import with progress."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import streamlit as st

from geo.ingest.formats import FIELD_LABELS, MAPPABLE_FIELDS, REQUIRED_FIELDS, ColumnMapping
from geo.ingest.importer import ImportOptions, ImportSummary, import_file
from geo.ingest.preview import FilePreview, preview_file
from geo.ingest.readers import list_parts
from geo.workflow.imported import record_import_history
from ui import auth, loaders

__all__ = ["FIELD_LABELS", "column_widgets", "describe", "keep_upload", "part_widget", "preview", "run_import",
           "show_mapping"]
_UPLOADS = Path(tempfile.gettempdir()) / "veille-imports"


def keep_upload(upload: st.runtime.uploaded_file_manager.UploadedFile) -> Path:
    """Write an uploaded file to a private temporary folder under its own name; return its path."""
    data = upload.getvalue()
    folder = _UPLOADS / hashlib.sha256(data).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(upload.name).name
    if not path.exists():
        path.write_bytes(data)
    return path


def column_widgets(columns: list[str], detected: ColumnMapping | None, *, key: str) -> dict[str, str]:
    """Draw one selectbox per field, pre-set to the recognised column; return the user's choices."""
    chosen: dict[str, str] = {}
    cols = st.columns(3)
    for i, name in enumerate(MAPPABLE_FIELDS):
        current = getattr(detected, name, None) if detected else None
        options = ["—", *columns]
        index = options.index(current) if current in options else 0
        label = FIELD_LABELS[name] + (" *" if name in REQUIRED_FIELDS else "")
        value = cols[i % 3].selectbox(label, options, index=index, key=f"{key}_{name}")
        if value not in ("—", current):
            chosen[name] = value
    return chosen


_PART_LABELS = {"sheet": ("Feuille", "Toutes les feuilles de même en-tête (ou la seule remplie)"),
                "layer": ("Couche", "Toutes les couches de même en-tête (ou la seule remplie)"),
                "member": ("Fichier de l'archive", "Choisissez un fichier")}


@st.cache_data(max_entries=16, show_spinner="Lecture du fichier…")
def _parts(path: str) -> tuple[str, list[tuple[str, int]]]:
    return list_parts(path)


def part_widget(path: Path, *, key: str) -> dict[str, str | None]:
    """Offer the choice of a sheet, layer or archive member when the file holds several; return the options.

    Returns
    -------
    dict
        ``{"sheet": …, "layer": …}`` as :class:`geo.ingest.importer.ImportOptions` takes them (``None``: automatic).

    Raises
    ------
    geo.errors.InputError
        When the file cannot be read.
    """
    kind, parts = _parts(str(path))
    if not parts:
        return {"sheet": None, "layer": None}
    label, automatic = _PART_LABELS[kind]
    names = [name for name, _ in parts]
    counts = dict(parts)
    choices = [None, *names] if kind != "member" else names

    def shown(name: str | None) -> str:
        if name is None:
            return automatic
        return name if kind == "member" else f"{name} ({counts[name]} ligne{'s' if counts[name] > 1 else ''})"

    chosen = st.selectbox(f"{label} à importer", choices, format_func=shown, key=key,
                          help=f"Le fichier contient plusieurs {label.lower()}s : choisissez celle à importer.")
    return {"sheet": chosen, "layer": None} if kind == "sheet" else {"sheet": None, "layer": chosen}


_PROFILES = {"kobo": "KoboToolbox", "odk": "ODK Central", "open311": "Open311 GeoReport v2",
             "fixmystreet": "FixMyStreet", "geo": "fichier géographique", "table": "tableau"}
_DETAILS = {"encoding": "encodage", "separator": "séparateur", "crs": "système de coordonnées", "sheet": "feuille",
            "sheets": "feuilles", "layer": "couche", "layers": "couches", "header_row": "en-tête ligne",
            "archive_member": "fichier de l'archive"}


def describe(found: FilePreview) -> str:
    """Return a French line saying what the importer recognised in the file."""
    kind = _PROFILES.get(found.mapping.profile, found.mapping.profile) if found.mapping else found.format.upper()
    details = [f"{_DETAILS.get(k, k)} « {_detail_text(v)} »" for k, v in found.details.items() if v not in (None, "")]
    return f"Format reconnu : **{kind}**" + (" · " + ", ".join(details) if details else "")


def _detail_text(value: object) -> str:
    if value == "\t":
        return "tabulation"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@st.cache_data(max_entries=16, show_spinner="Lecture du fichier…")
def _preview(path: str, options: ImportOptions, version: int) -> FilePreview:
    return preview_file(path, taxonomy=loaders.taxonomy(), territory=loaders.territory(), options=options)


def preview(path: Path, options: ImportOptions) -> FilePreview:
    """Return the file's preview (first rows and their problems), nothing stored; cached per file and options.

    Raises
    ------
    geo.errors.InputError
        When the file cannot be read (the error is not cached: the next run tries again).
    """
    return _preview(str(path), options, loaders.data_version())


def run_import(path: Path, options: ImportOptions) -> ImportSummary:
    """Import the file with a progress bar; refresh cached data afterwards."""
    bar = st.progress(0.0, text="Import en cours…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Import en cours… {done:,} lignes lues".replace(",", " "))

    user = auth.current_user()
    summary = import_file(loaders.store(), path, taxonomy=loaders.taxonomy(), options=options, on_progress=progress,
                          imported_by=user.login if user else None)
    if summary.batch_id is not None and summary.stored:  # statuses of the file become history entries
        record_import_history(loaders.store(), summary.batch_id, timezone=loaders.settings().timezone)
    bar.progress(1.0, text="Import terminé")
    auth.record("import", f"lot {summary.batch_id} : {path.name}, {summary.stored} signalements enregistrés")
    loaders.refresh()
    return summary


def show_mapping(found: FilePreview) -> None:
    """Say, before the import, which column each field will be read from, and what the import will warn about."""
    lines = found.mapping_lines()
    if lines:
        st.markdown("**Colonnes lues**  \n" + "  \n".join(_plain(line) for line in lines))
    for warning in found.warnings:
        st.warning(_plain(warning[0].upper() + warning[1:]))


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>()#+-.!|~$"})


def _plain(text: str) -> str:
    """Return ``text`` with Markdown's special characters escaped (column names come from the file)."""
    return text.translate(_MARKDOWN)
