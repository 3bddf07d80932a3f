"""Saisie: record an observation from the field (phone-width friendly)."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.ingest.entry import FieldEntry
from ui import auth, entry_form, loaders, photo_input

auth.guard("saisie")

st.title("Nouveau signalement")
tax = loaders.taxonomy()
point = entry_form.chosen_point()

st.caption("Touchez la carte pour placer le signalement, ou « Ma position » pour prendre celle du téléphone, "
           "ou saisissez les coordonnées. « Ma position » ne marche que si l'application est ouverte en HTTPS "
           "(ou sur localhost) et que le navigateur a le droit de localiser le téléphone.")
clicked = st_folium(entry_form.entry_map(point), key="saisie_carte", height=320, use_container_width=True,
                    returned_objects=["last_clicked"])
entry_form.take_click(clicked)

photos = photo_input.photo_fields()
errors = st.session_state.get("saisie_erreurs", {})
with st.form("saisie", clear_on_submit=False, border=True):
    c1, c2 = st.columns(2)
    lat = c1.number_input("Latitude", value=None, format="%.6f", key="saisie_lat", placeholder="47.3220")
    lon = c2.number_input("Longitude", value=None, format="%.6f", key="saisie_lon", placeholder="5.0415")
    entry_form.field_error(errors, "lat", "lon")
    category = st.selectbox("Catégorie", entry_form.category_options(), index=None,
                            format_func=entry_form.category_label, placeholder="Choisir une catégorie…")
    entry_form.field_error(errors, "category")
    severity = st.radio("Gravité", list(tax.severities), format_func=tax.severities.get, horizontal=True, index=None)
    entry_form.field_error(errors, "severity")
    now = pd.Timestamp.now(tz=loaders.settings().timezone)
    d1, d2 = st.columns(2)
    day = d1.date_input("Date", value=now.date(), format="DD/MM/YYYY", max_value=now.date())
    hour = d2.time_input("Heure", value=now.time().replace(second=0, microsecond=0), step=dt.timedelta(minutes=5))
    entry_form.field_error(errors, "observed_at")
    description = st.text_area("Description", max_chars=2000,
                               help="Ne notez ni nom ni numéro de téléphone : la description est une donnée "
                                    "personnelle, jamais montrée aux partenaires.")
    team = st.text_input("Équipe", key="saisie_equipe")
    submitted = st.form_submit_button("Enregistrer", type="primary", width="stretch")

if submitted:
    entry = FieldEntry(lat=lat, lon=lon, category=category or "", severity=severity,
                       observed_at=pd.Timestamp.combine(day, hour).tz_localize(loaders.settings().timezone),
                       description=description, team=team)
    result = entry_form.save(entry)
    st.session_state["saisie_erreurs"] = result.errors
    if result.ok:
        st.session_state["saisie_dernier"] = result.report_id
        photo_input.save_with_report(result.report_id, photos, added_by=auth.who() or team or None)
    st.rerun()  # redraw the map with the new report, or the form with its errors
elif st.session_state.get("saisie_dernier") and not errors:
    st.success(f"Signalement enregistré ({st.session_state['saisie_dernier']}). Il apparaît sur la carte.")
