"""Alertes: open alerts on a map and in a table, one alert's series and reports, actions, digest previews."""

import streamlit as st

from ui import alerts_panel, auth, loaders
from ui.widgets import empty_store_message

auth.guard("alertes")

st.title("Alertes")
if loaders.reports().empty:
    empty_store_message("alertes")
    st.stop()
directory = alerts_panel.partner_directory()
if directory is None:
    st.stop()
if not directory.partners:
    st.warning("Aucun partenaire enregistré (page Partenaires, ou `python -m geo partners load`) : les alertes ne sont "
               "pas routées.")
alerts_panel.detection_button(directory)
alerts = sorted(alerts_panel.open_alerts(), key=lambda a: (a["kind"] != "statistique", -a["id"]))
if not alerts:
    st.info("Aucune alerte ouverte. Lancez la détection, ou en ligne de commande : `python -m geo alerts --detect`.")
else:
    left, right = st.columns([3, 2])
    with left:
        chosen = alerts_panel.alerts_table(alerts, directory)
    with right:
        alerts_panel.alerts_map(alerts)
    by_id = {a["id"]: a for a in alerts}
    alerts_panel.alert_detail(by_id.get(chosen, alerts[0]))
st.header("Note de veille par partenaire")
alerts_panel.digest_preview(directory)
