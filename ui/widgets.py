"""Reusable widgets of the dashboard pages."""

from __future__ import annotations

import streamlit as st

from geo.demo import build_demo_store
from ui import loaders

__all__ = ["empty_store_message"]


def empty_store_message(key: str = "vide") -> None:
    """Say that the store is empty and offer the ways to fill it (import, field entry, demo data)."""
    st.info(
        "Aucun signalement n'est encore enregistré. Importez un fichier (page **Import**), saisissez un "
        "signalement (page **Saisie**), ou chargez les données de démonstration (bouton ci-dessous, ou en "
        "ligne de commande) :\n\n```\npython -m geo demo\n```"
    )
    left, right = st.columns(2)
    left.page_link("pages/import_donnees.py", label="Importer un fichier", icon=":material/upload_file:")
    if right.button("Charger les données de démonstration", key=f"{key}_demo", icon=":material/science:"):
        with st.spinner("Construction du territoire et des signalements de démonstration…"):
            build_demo_store(loaders.store(), taxonomy=loaders.taxonomy())
        loaders.refresh()
        st.rerun()
