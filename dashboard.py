"""Veille territoriale — entry point: configure, route to the pages, draw the filters where they act."""

from pathlib import Path

import streamlit as st

from ui.filters import keep_filters, show_filters
from ui.french import french_interface
from ui.phone import close_sidebar_on_navigation

# a local icon: a Material icon as page_icon makes the browser fetch it from a font CDN
st.set_page_config(page_title="Veille territoriale", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide", initial_sidebar_state="auto")

pages = [
    st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
    st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
    st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_location_alt:"),
    st.Page("pages/import_donnees.py", title="Import", icon=":material/upload_file:"),
]
# The four pages in the top bar, one tap each. On a phone Streamlit puts them in the sidebar, which
# ui.phone closes once a page is chosen (it covered 300 of 390 px).
navigation = st.navigation(pages, position="top")
french_interface()
close_sidebar_on_navigation()
# The shared filters act on the pages that show reports; Saisie and Import would show them for nothing.
if navigation.title in ("Accueil", "Carte"):
    show_filters()
else:
    keep_filters()  # their values wait for the next page that uses them
navigation.run()
