"""Bilan: the activity report of a period (per registre, partner, quartier or month), charts, CSV and PDF."""

import datetime as dt
import os

import altair as alt
import pandas as pd
import streamlit as st

from geo.export.safe_csv import csv_bytes
from geo.workflow.activity import GROUPING_LABELS, GROUPINGS, METRIC_LABELS, activity_table, summary_text
from geo.workflow.activity_pdf import activity_pdf
from ui import auth, followup, loaders, structures
from ui.widgets import empty_store_message

auth.guard("bilan")

st.title("Bilan d'activité")
if loaders.reports().empty:
    empty_store_message("bilan_vide")
    st.stop()

tz = loaders.settings().timezone
today = pd.Timestamp.now(tz=tz).date()
c1, c2, c3 = st.columns([2, 1, 2])
chosen = c1.date_input("Période", value=(today.replace(day=1) - dt.timedelta(days=365), today), format="DD/MM/YYYY",
                       key="bilan_periode", max_value=today)
by = c2.selectbox("Par", GROUPINGS, format_func=GROUPING_LABELS.get, key="bilan_par")
own_name = structures.current().name if structures.several() else None  # the signed-in user's structure
structure = c3.text_input("Nom dans le titre du PDF",
                          value=own_name or os.environ.get("VEILLE_STRUCTURE", "Pimms Médiation Dijon"),
                          key="bilan_structure")
if not (isinstance(chosen, tuple | list) and len(chosen) == 2):
    st.info("Choisissez le premier et le dernier jour de la période.")
    st.stop()
start = pd.Timestamp(chosen[0]).tz_localize(tz).tz_convert("UTC")
end = (pd.Timestamp(chosen[1]) + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
activity = followup.activity(start, end, by)

st.markdown(summary_text(activity, timezone=tz))
if activity.table.empty:
    st.stop()

t = activity.total
cols = st.columns(5)
for col, (label, value) in zip(cols, (
    ("Signalements", t["reports"]), ("Transmis", t["relayed"]), ("Pris en charge", t["taken_up"]),
    ("Résolus", t["resolved"]),
    ("Part en retard", "n.d." if t["overdue_share"] is None else f"{100 * t['overdue_share']:.0f} %"),
), strict=True):
    col.metric(label, value, border=True)

frame = activity.table.reset_index(names="code")
frame["groupe"] = frame["code"].map(activity.labels)
order = frame.sort_values("reports", ascending=False)["groupe"].tolist()
counts = frame.melt(id_vars=["groupe"], value_vars=["reports", "relayed", "resolved"], var_name="mesure",
                    value_name="nombre")
counts["mesure"] = counts["mesure"].map(METRIC_LABELS)
count_order = [METRIC_LABELS[m] for m in ("reports", "relayed", "resolved")]
delay_order = [METRIC_LABELS[m] for m in ("median_days_to_relay", "median_days_to_resolve")]
left, right = st.columns(2)
with left:
    st.subheader("Signalements, transmis, résolus")
    st.altair_chart(alt.Chart(counts).mark_bar().encode(
        y=alt.Y("groupe:N", sort=order, title=None), x=alt.X("nombre:Q", title=None),
        yOffset=alt.YOffset("mesure:N", sort=count_order),
        color=alt.Color("mesure:N", title=None, sort=count_order, legend=alt.Legend(orient="bottom")),
        tooltip=["groupe", "mesure", "nombre"],
    ), width="stretch")
with right:
    st.subheader("Délais médians (jours)")
    delays = frame.melt(id_vars=["groupe"], value_vars=["median_days_to_relay", "median_days_to_resolve"],
                        var_name="mesure", value_name="jours").dropna()
    delays["mesure"] = delays["mesure"].map(METRIC_LABELS)
    st.altair_chart(alt.Chart(delays).mark_bar().encode(
        y=alt.Y("groupe:N", sort=order, title=None), x=alt.X("jours:Q", title=None),
        yOffset=alt.YOffset("mesure:N", sort=delay_order),
        color=alt.Color("mesure:N", title=None, sort=delay_order, legend=alt.Legend(orient="bottom",
                                                                                    labelLimit=300)),
        tooltip=["groupe", "mesure", alt.Tooltip("jours:Q", format=".1f")],
    ), width="stretch")

table = activity_table(activity)
st.dataframe(table.rename(columns=METRIC_LABELS), hide_index=True, width="stretch",
             column_config={METRIC_LABELS["overdue_share"]: st.column_config.NumberColumn(format="percent")})
st.caption("Délais depuis l'observation ; P90 : 90 % des signalements en moins de ce délai. Part en retard : "
           "signalements transmis dont le partenaire a dépassé son délai cible. Chiffres établis d'après "
           "l'historique des statuts à la fin de la période.")
name = f"bilan_{chosen[0]:%Y%m%d}_{chosen[1]:%Y%m%d}_{by}"
d1, d2 = st.columns(2)
d1.download_button("Télécharger (CSV pour Excel)", csv_bytes(table), file_name=f"{name}.csv", mime="text/csv",
                   key="bilan_csv")
d2.download_button("Télécharger (PDF imprimable)", activity_pdf(activity, structure=structure, timezone=tz),
                   file_name=f"{name}.pdf", mime="application/pdf", key="bilan_pdf")
