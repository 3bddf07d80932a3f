"""Partage: preview exactly what a partner sees (the partner's own code path) and produce the exports.

The partner's exports and the coordinator's full export run :func:`geo.sharing.exports.export`, as
``python -m geo export --role partner|coordinateur`` does.
"""

import streamlit as st

from ui import auth, sharing_view

auth.guard("partage")
st.title("Partage avec les partenaires")
partners = sharing_view.partners()
partner_id = (st.selectbox("Partenaire", list(partners), format_func=partners.get, key="partage_partenaire")
              if partners else None)
tab_view, tab_exports, tab_full = st.tabs(["Ce que voit le partenaire", "Exports", "Export complet (coordination)"])
with tab_full:
    st.caption("Toutes les données de la période choisie, pour un usage interne "
               "(comme `python -m geo export --role coordinateur`) : dates libres, ce n'est pas un export partenaire.")
    start, end = sharing_view.period_inputs("partage")
    sharing_view.full_export_buttons(start, end, key="partage_complet")
with tab_view:
    if not partners:
        st.info("Aucun partenaire n'a de catégorie dans la taxonomie.")
        st.stop()
    scope = sharing_view.scope_or_stop(partner_id)
    period = sharing_view.fixed_period_input("partage")
    view = sharing_view.show_partner_view(scope, period, key="partage")
with tab_exports:
    st.caption(f"Fichiers à transmettre, période : {period.label} — mêmes données que la vue ci-contre (lieux "
               "généralisés, effectifs masqués, aucune donnée personnelle).")
    sharing_view.download_buttons(view, key="partage")
