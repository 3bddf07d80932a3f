"""Veille territoriale — entry point: configure, draw the shared filters, route to the pages."""

from pathlib import Path

import streamlit as st

from geo.analysis.jit import warm_up_in_background
from ui import auth
from ui.filters import show_filters

# a local icon: a Material icon as page_icon makes the browser fetch it from a font CDN
st.set_page_config(page_title="Veille territoriale", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide")

pages = {
    "Explorer": [
        st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
        st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
        st.Page("pages/tendances.py", title="Tendances", icon=":material/trending_up:"),
    ],
    "Données": [
        st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_location_alt:"),
        st.Page("pages/import_donnees.py", title="Import", icon=":material/upload_file:"),
    ],
    "Suivi": [
        st.Page("pages/signalements.py", title="Signalements", icon=":material/assignment:"),
        st.Page("pages/partenaires.py", title="Partenaires", icon=":material/handshake:"),
        st.Page("pages/bilan.py", title="Bilan", icon=":material/summarize:"),
    ],
    "Partage": [
        st.Page("pages/partenaire.py", title="Vue partenaire", icon=":material/visibility:"),
        st.Page("pages/partage.py", title="Partage", icon=":material/share:"),
        st.Page("pages/comptes.py", title="Comptes", icon=":material/manage_accounts:"),
    ],
}
user = auth.require_user()  # the login form stops the script until someone is signed in
if user.role != "partenaire":  # partners see their own scope only, without the shared filters
    show_filters()
navigation = st.navigation(auth.allowed_pages(pages, user))
navigation.run()
# Hot spots: once the first page is drawn, compile esda's numba code in the background (see ui/hotspots.py).
warm_up_in_background(delay=1.0)
