"""Partage: preview exactly what a partner sees (the partner's own code path) and produce the exports."""

import streamlit as st

from ui import auth, sharing_view

auth.guard("partage")
st.title("Partage avec les partenaires")
partners = sharing_view.partners()
if not partners:
    st.info("Aucun partenaire n'a de catégorie dans la taxonomie.")
    st.stop()
partner_id = st.selectbox("Partenaire", list(partners), format_func=partners.get, key="partage_partenaire")
scope = sharing_view.scope_or_stop(partner_id)
start, end = sharing_view.period_inputs("partage")
tab_view, tab_exports = st.tabs(["Ce que voit le partenaire", "Exports"])
with tab_view:
    view = sharing_view.show_partner_view(scope, start, end, key="partage")
with tab_exports:
    st.caption("Fichiers à transmettre : mêmes données que la vue ci-contre (lieux généralisés, effectifs masqués, "
               "aucune donnée personnelle).")
    sharing_view.download_buttons(view, key="partage")
