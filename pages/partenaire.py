"""Vue partenaire: what a partner organisation sees of its categories and quartiers, without personal data."""

import streamlit as st

from ui import auth, sharing_view

user = auth.guard("partenaire")
scope = sharing_view.scope_or_stop(user.partner_id)
st.title(f"Signalements — {scope.name}")
period = sharing_view.fixed_period_input("partenaire")
view = sharing_view.show_partner_view(scope, period, key="partenaire")
st.subheader("Emporter")
sharing_view.download_buttons(view, key="partenaire")
