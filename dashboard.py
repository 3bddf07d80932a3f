"""Veille territoriale — entry point: configure, draw the shared filters, route to the pages."""

import streamlit as st

from ui.filters import show_filters

st.set_page_config(page_title="Veille territoriale", page_icon=":material/map:", layout="wide")

pages = {
    "Explorer": [
        st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
        st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
    ],
    "Données": [
        st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_location_alt:"),
        st.Page("pages/import_donnees.py", title="Import", icon=":material/upload_file:"),
    ],
}
show_filters()
navigation = st.navigation(pages)
navigation.run()
