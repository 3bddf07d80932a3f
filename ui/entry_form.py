"""Pieces of the field form: the point picked on the map, category choices, errors beside fields."""

from __future__ import annotations

import dataclasses

import folium
import streamlit as st

from geo.ingest.entry import EntryResult, FieldEntry, record_report
from geo.maps.assets import use_local_assets
from geo.maps.entry_map import build_entry_map
from ui import auth, loaders
from ui.offline import register_assets

__all__ = ["chosen_point", "entry_map", "take_click", "category_options", "category_label", "field_error", "save"]

_LAT, _LON, _CLICK = "saisie_lat", "saisie_lon", "saisie_dernier_clic"


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
    fmap = build_entry_map(loaders.territory(), point=point, recent=recent, labels=loaders.category_labels())
    use_local_assets(fmap, roots=register_assets())
    return fmap


def take_click(clicked: dict | None) -> None:
    """Copy a new click on the map into the coordinate fields (before they are drawn) and redraw."""
    last = (clicked or {}).get("last_clicked")
    if not last:
        return
    position = (round(float(last["lat"]), 6), round(float(last["lng"]), 6))
    if st.session_state.get(_CLICK) == position:
        return
    st.session_state[_CLICK] = position
    st.session_state[_LAT], st.session_state[_LON] = position
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


def field_error(errors: dict[str, str], *fields: str) -> None:
    """Show the validation message of the first of ``fields`` that has one, right under the field."""
    for name in fields:
        if name in errors:
            st.error(errors[name], icon="⚠️")
            return


def save(entry: FieldEntry) -> EntryResult:
    """Validate and store the entry; refresh cached data when it is stored."""
    user = auth.current_user()
    if user is not None and not entry.author:  # who entered it (also the batch's ``imported_by``)
        entry = dataclasses.replace(entry, author=user.login)
    result = record_report(loaders.store(), entry, taxonomy=loaders.taxonomy())
    if result.ok:
        auth.record("report_entered", result.report_id)
        loaders.refresh()
    return result
