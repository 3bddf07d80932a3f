"""Réseau: figures of every structure of the shared database, aggregated and masked, with no personal data."""

import streamlit as st
from streamlit_folium import st_folium

from geo.export.safe_csv import csv_bytes
from geo.maps.assets import use_local_assets
from geo.sharing.network_map import build_network_map
from ui import auth, sharing_view, structures
from ui.offline import register_assets

auth.guard("reseau")
several = structures.several()
st.title("Réseau — chiffres de toutes les structures" if several else "Réseau")
start, end = sharing_view.period_inputs("reseau")
figures = structures.figures(start, end)
st.caption(f"Nombre de signalements par quartier, catégorie et mois ; effectifs inférieurs à {figures.min_count} "
           f"affichés « < {figures.min_count} » ; aucun signalement, aucune description, aucun auteur.")
fmap = build_network_map(figures)
use_local_assets(fmap, roots=register_assets())
st_folium(fmap, key="reseau_carte", height=520, use_container_width=True, returned_objects=[])
table = figures.table.rename(columns={"structure": "Structure", "quartier": "Quartier", "categorie": "Catégorie",
                                      "mois": "Mois", "signalements": "Signalements"})
if not several:  # a single structure: no column that names it
    table = table.drop(columns=["Structure"])
st.subheader(f"Chiffres par quartier, catégorie et mois ({len(table)} lignes)")
if table.empty:
    st.info("Aucun signalement sur la période.")
else:
    st.dataframe(table, hide_index=True, width="stretch", height=420)
    st.download_button("Télécharger (CSV pour Excel)", csv_bytes(table), file_name="reseau.csv",
                       mime="text/csv", key="reseau_csv")
