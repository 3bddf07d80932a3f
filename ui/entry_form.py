"""Pieces of the field form: the point picked on the map, category choices, errors beside fields, reset."""

from __future__ import annotations

import dataclasses
import datetime as dt

import folium
import pandas as pd
import streamlit as st

from geo.ingest.entry import EntryResult, FieldEntry, record_report
from geo.maps.assets import use_local_assets
from geo.maps.entry_map import build_entry_map, next_zoom
from ui import auth, loaders
from ui.offline import register_assets

__all__ = ["chosen_point", "entry_map", "take_click", "category_options", "category_label", "field_error", "save",
           "reset_if_saved", "success_message", "FIELD_KEYS"]

_LAT, _LON, _CLICK, _ZOOM = "saisie_lat", "saisie_lon", "saisie_dernier_clic", "saisie_zoom"
_ERRORS, _RESET, _DONE = "saisie_erreurs", "saisie_a_vider", "saisie_enregistre"
FIELD_KEYS = {"lat": _LAT, "lon": _LON, "category": "saisie_categorie", "severity": "saisie_gravite",
              "day": "saisie_date",
              "hour": "saisie_heure", "description": "saisie_description", "team": "saisie_equipe"}
"""Form field -> widget key."""
_ERROR_WIDGETS = {"lat": (_LAT, _LON), "lon": (_LAT, _LON), "category": ("saisie_categorie",),
                  "severity": ("saisie_gravite",), "observed_at": ("saisie_date", "saisie_heure"),
                  "description": ("saisie_description",), "team": ("saisie_equipe",), "author": ()}
"""Field of an error (as :func:`geo.ingest.entry.record_report` names them) -> the widgets it depends on."""


def _snapshot(field: str) -> tuple:
    return tuple(st.session_state.get(key) for key in _ERROR_WIDGETS.get(field, ()))


def now() -> pd.Timestamp:
    """Return the current local time, to the minute."""
    return pd.Timestamp.now(tz=loaders.settings().timezone).floor("min")


def reset_if_saved() -> None:
    """After a stored report, empty the form (before its widgets are drawn) for the next one.

    The team is kept: the same mediator files the next report.
    """
    if not st.session_state.pop(_RESET, False):
        return
    current = now()
    for field, key in FIELD_KEYS.items():
        if field == "team":
            continue
        st.session_state[key] = {"day": current.date(), "hour": current.time(), "description": ""}.get(field)
    for key in (_CLICK, _ZOOM):
        st.session_state.pop(key, None)


def chosen_point() -> tuple[float, float] | None:
    """Return the ``(lat, lon)`` typed or picked so far, if both are set."""
    st.session_state.setdefault(_LAT, None)
    st.session_state.setdefault(_LON, None)
    lat, lon = st.session_state[_LAT], st.session_state[_LON]
    return (lat, lon) if lat is not None and lon is not None else None


def entry_map(point: tuple[float, float] | None) -> folium.Map:
    """Return the form's map with the chosen point and the 50 latest reports."""
    reports = loaders.reports()
    recent = reports.nlargest(50, "observed_at") if len(reports) else None
    zoom = st.session_state.get(_ZOOM) or next_zoom(None)
    fmap = build_entry_map(loaders.territory(), point=point, recent=recent, labels=loaders.category_labels(),
                           zoom=zoom)
    use_local_assets(fmap, roots=register_assets())
    return fmap


def take_click(clicked: dict | None) -> None:
    """Copy a new click on the map into the coordinate fields (before they are drawn), zoom in a step, redraw."""
    last = (clicked or {}).get("last_clicked")
    if not last:
        return
    position = (round(float(last["lat"]), 6), round(float(last["lng"]), 6))
    if st.session_state.get(_CLICK) == position:
        return
    st.session_state[_CLICK] = position
    st.session_state[_LAT], st.session_state[_LON] = position
    st.session_state[_ZOOM] = next_zoom(st.session_state.get(_ZOOM))
    st.rerun()


def category_options() -> list[str]:
    """Return category codes ordered by registre, then label."""
    tax = loaders.taxonomy()
    order = list(tax.registres)
    cats = sorted(tax.categories.values(), key=lambda c: (order.index(c.registre), c.label))
    return [c.code for c in cats]


def category_label(code: str) -> str:
    """Return ``Registre — catégorie`` for a category code."""
    tax = loaders.taxonomy()
    cat = tax.categories[code]
    return f"{tax.registres[cat.registre]} — {cat.label}"


def field_error(*fields: str) -> None:
    """Show, right under the field, the message of the first of ``fields`` refused by the last « Enregistrer ».

    Not once the field was changed since: the message then no longer applies.
    """
    saved = st.session_state.get(_ERRORS) or {}
    errors, values = saved.get("errors", {}), saved.get("values", {})
    for name in fields:
        if name in errors and _snapshot(name) == values.get(name):
            st.error(errors[name], icon=":material/error:")
            return


def save(entry: FieldEntry) -> EntryResult:
    """Validate and store the entry; remember its errors (with the values they apply to) or the success."""
    user = auth.current_user()
    if user is not None and not entry.author:  # who entered it (also the batch's ``imported_by``)
        entry = dataclasses.replace(entry, author=user.login)
    result = record_report(loaders.store(), entry, taxonomy=loaders.taxonomy())
    if result.ok:
        auth.record("report_entered", result.report_id)
        loaders.refresh()
        st.session_state.pop(_ERRORS, None)
        st.session_state[_RESET] = True
        st.session_state[_DONE] = success_message(entry, result)
    else:
        values = {name: _snapshot(name) for name in result.errors}
        st.session_state[_ERRORS] = {"errors": result.errors, "values": values}
        st.session_state.pop(_DONE, None)
    return result


def success_message(entry: FieldEntry, result: EntryResult) -> str:
    """Return the confirmation a person reads: what, where, when (no internal id)."""
    tax = loaders.taxonomy()
    what = tax.categories[entry.category].label if entry.category in tax.categories else entry.category
    names = loaders.neighbourhood_names()
    code = result.neighbourhood
    where = names.get(code, code) if isinstance(code, str) and code else "hors des quartiers suivis"
    when = pd.Timestamp(entry.observed_at)
    day = "aujourd'hui" if when.date() == now().date() else f"le {when:%d/%m/%Y}"
    return f"Signalement enregistré : {what}, {where}, {day} à {when:%H:%M}. Il apparaît sur les cartes."


def take_success() -> str | None:
    """Return the confirmation of the report just stored, once (a later run shows nothing)."""
    return st.session_state.pop(_DONE, None)


def default_time() -> dt.time:
    """Return the current local time to the minute (the Heure field's first value)."""
    return now().time()
