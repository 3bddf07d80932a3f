"""Reusable widgets of the dashboard pages."""

from __future__ import annotations

import streamlit as st

__all__ = ["empty_store_message"]


def empty_store_message() -> None:
    """Tell an empty store apart from an empty selection, and say how to fill it."""
    st.info(
        "Aucun signalement n'est encore enregistré. Importez un fichier (page **Import**), saisissez un "
        "signalement (page **Saisie**), ou chargez les données de démonstration :\n\n"
        "```\npython -m geo demo\n```"
    )
    st.page_link("pages/import_donnees.py", label="Importer un fichier", icon="📥")
