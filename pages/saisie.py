"""Saisie: record an observation from the field (phone-width friendly), twice in a row if need be."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.ingest.entry import FieldEntry
from ui import auth, entry_form, loaders, photo_input
from ui.entry_form import FIELD_KEYS

auth.guard("saisie")

st.title("Nouveau signalement")
entry_form.reset_if_saved()
tax = loaders.taxonomy()
point = entry_form.chosen_point()

done = entry_form.take_success()
if done:
    st.success(done, icon=":material/check_circle:")

st.caption("Touchez la carte pour placer le signalement (chaque toucher rapproche la vue), ou « Ma position » "
           "pour prendre celle du téléphone, ou saisissez les coordonnées. « Ma position » ne marche que si "
           "l'application est ouverte en HTTPS (ou sur localhost) et que le navigateur a le droit de localiser "
           "le téléphone.")
clicked = st_folium(entry_form.entry_map(point), key="saisie_carte", height=320, use_container_width=True,
                    returned_objects=["last_clicked"])
entry_form.take_click(clicked)

photos = photo_input.photo_fields()
today = entry_form.now()
st.session_state.setdefault(FIELD_KEYS["day"], today.date())
st.session_state.setdefault(FIELD_KEYS["hour"], today.time())
with st.form("saisie", clear_on_submit=False, border=True):
    c1, c2 = st.columns(2)
    # placeholders that cannot be taken for coordinates already filled in
    lat = c1.number_input("Latitude", value=None, format="%.6f", key=FIELD_KEYS["lat"],
                          placeholder="touchez la carte")
    lon = c2.number_input("Longitude", value=None, format="%.6f", key=FIELD_KEYS["lon"],
                          placeholder="ou « Ma position »")
    entry_form.field_error("lat", "lon")
    category = st.selectbox("Catégorie", entry_form.category_options(), index=None, key=FIELD_KEYS["category"],
                            format_func=entry_form.category_label, placeholder="Choisir une catégorie…")
    entry_form.field_error("category")
    severity = st.radio("Gravité", list(tax.severities), format_func=tax.severities.get, horizontal=True, index=None,
                        key=FIELD_KEYS["severity"])
    entry_form.field_error("severity")
    d1, d2 = st.columns(2)
    day = d1.date_input("Date", format="DD/MM/YYYY", max_value=today.date(), key=FIELD_KEYS["day"])
    hour = d2.time_input("Heure", step=300, key=FIELD_KEYS["hour"])
    entry_form.field_error("observed_at")
    description = st.text_area("Description", max_chars=2000, key=FIELD_KEYS["description"],
                               help="Ne notez ni nom ni numéro de téléphone : la description est une donnée "
                                    "personnelle, jamais montrée aux partenaires.")
    entry_form.field_error("description")
    team = st.text_input("Équipe", key=FIELD_KEYS["team"])
    submitted = st.form_submit_button("Enregistrer", type="primary", width="stretch")

if submitted:
    entry = FieldEntry(lat=lat, lon=lon, category=category or "", severity=severity,
                       observed_at=pd.Timestamp.combine(day, hour).tz_localize(loaders.settings().timezone),
                       description=description or "", team=team or "")
    result = entry_form.save(entry)
    if result.ok:
        photo_input.save_with_report(result.report_id, photos, added_by=auth.who() or team or None)
    st.rerun()  # an empty form and the new report on the map, or the form with its errors
