"""Veille territoriale — entry point: configure, route to the pages, draw the filters where they act."""

from pathlib import Path

import streamlit as st

from ui import auth
from ui.filters import keep_filters, show_filters
from ui.french import french_interface
from ui.phone import close_sidebar_on_navigation

# a local icon: a Material icon as page_icon makes the browser fetch it from a font CDN
st.set_page_config(page_title="Veille territoriale", page_icon=str(Path(__file__).parent / "ui" / "icon.png"),
                   layout="wide", initial_sidebar_state="auto")

# Pages whose figures follow the shared filters of the sidebar.
FILTERED_PAGES = ("Accueil", "Carte", "Tendances")
pages = [
    st.Page("pages/accueil.py", title="Accueil", icon=":material/home:", default=True),
    st.Page("pages/carte.py", title="Carte", icon=":material/map:"),
    st.Page("pages/tendances.py", title="Tendances", icon=":material/trending_up:"),
    st.Page("pages/alertes.py", title="Alertes", icon=":material/notifications:"),
    st.Page("pages/signalements.py", title="Signalements", icon=":material/assignment:"),
    st.Page("pages/tournees.py", title="Tournées", icon=":material/directions_walk:"),
    st.Page("pages/saisie.py", title="Saisie", icon=":material/edit_location_alt:"),
    st.Page("pages/import_donnees.py", title="Import", icon=":material/upload_file:"),
    st.Page("pages/partenaires.py", title="Partenaires", icon=":material/handshake:"),
    st.Page("pages/bilan.py", title="Bilan", icon=":material/summarize:"),
    st.Page("pages/partenaire.py", title="Vue partenaire", icon=":material/visibility:"),
    st.Page("pages/partage.py", title="Partage", icon=":material/share:"),
    st.Page("pages/comptes.py", title="Comptes", icon=":material/manage_accounts:"),
    st.Page("pages/reseau.py", title="Réseau", icon=":material/hub:"),  # the réseau role's only page
]
# The pages in the top bar, one tap each. On a phone Streamlit puts them in the sidebar, which
# ui.phone closes once a page is chosen (it covered 300 of 390 px).
user = auth.require_user()  # the login form stops the script until someone is signed in
navigation = st.navigation(auth.allowed_pages(pages, user), position="top")  # only the pages of the user's role
french_interface()
close_sidebar_on_navigation()
# The shared filters act on the pages that show reports; elsewhere they would show for nothing.
if navigation.title in FILTERED_PAGES:
    show_filters()
else:
    keep_filters()  # their values wait for the next page that uses them
navigation.run()
