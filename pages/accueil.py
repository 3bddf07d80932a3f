"""Accueil: the week at a glance, the quartiers that moved, the latest reports."""

import pandas as pd
import streamlit as st

from ui import auth, loaders
from ui.filters import current_filter
from ui.trends import show_strongest_rises
from ui.widgets import empty_store_message

auth.guard("accueil")

st.title("Veille territoriale")
all_reports = loaders.reports()
if all_reports.empty:
    empty_store_message()
    st.stop()

flt = current_filter()
reports = loaders.filtered_reports(flt)
now = pd.Timestamp.now(tz=loaders.settings().timezone)
figures = loaders.week_figures(now, flt)
this, last, year = figures["this"], figures["last"], figures["year"]

st.caption(
    f"7 derniers jours ({this.start:%d/%m} – {now:%d/%m/%Y}) comparés aux 7 jours précédents ; "
    f"entre parenthèses, la même semaine l'an dernier. {len(reports):,} signalements dans la sélection."
    .replace(",", "\u202f")
)
cols = st.columns(3)
for col, (label, attr, help_text) in zip(cols, (
    ("Signalements", "reports", "Signalements observés sur la période"),
    ("Dégradations ouvertes", "open_degradations", "Dégradations observées sur la période et encore ouvertes"),
    ("En attente > 10 jours", "waiting", "Signalements ouverts depuis plus de 10 jours à la fin de la période"),
), strict=True):
    value, before, last_year = getattr(this, attr), getattr(last, attr), getattr(year, attr)
    col.metric(label, value, delta=value - before, delta_color="inverse", help=help_text,
               border=True)
    col.caption(f"Semaine précédente : {before} · l'an dernier : {last_year}")

left, right = st.columns(2)
with left:
    st.subheader("Quartiers qui ont le plus changé")
    changes = loaders.neighbourhood_changes(now, flt)
    if changes.empty:
        st.info("Aucun signalement sur les deux dernières semaines pour cette sélection.")
    else:
        st.dataframe(
            changes.drop(columns=["neighbourhood"]), hide_index=True, width="stretch",
            column_config={"name": "Quartier", "this_week": "7 derniers jours", "last_week": "7 jours avant",
                           "change": st.column_config.NumberColumn("Évolution", format="%+d")},
        )
with right:
    st.subheader("Derniers signalements")
    latest = loaders.latest_reports(flt, limit=10)
    if latest.empty:
        st.info("Aucun signalement pour cette sélection.")
    else:
        st.dataframe(latest, hide_index=True, width="stretch")

show_strongest_rises(flt)
