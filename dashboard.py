"""Veille territoriale — entry point: configure, draw the shared filters, route to the pages."""

from pathlib import Path

import streamlit as st

from geo.analysis.jit import warm_up_in_background
from ui.filters import show_filters

# a local icon: a Material icon as page_icon makes the browser fetch it from a font CDN
st.set_page_config(page_title="Veille territoriale", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide")

pages = {
    "Explorer": [
        st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
        st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
        st.Page("pages/tendances.py", title="Tendances", icon=":material/trending_up:"),
        st.Page("pages/tournees.py", title="Tournées", icon=":material/directions_walk:"),
    ],
    "Données": [
        st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_location_alt:"),
        st.Page("pages/import_donnees.py", title="Import", icon=":material/upload_file:"),
    ],
}
show_filters()
navigation = st.navigation(pages)
navigation.run()
# Hot spots: once the first page is drawn, compile esda's numba code in the background (see ui/hotspots.py).
warm_up_in_background(delay=1.0)
