"""Tendances: series with their trend, the trend table, period comparisons, the weekday × hour table."""

import altair as alt
import streamlit as st

from ui import auth, loaders
from ui.filters import current_filter
from ui.trends import (
    COMPARISON_SENTENCE,
    DIRECTIONS,
    FDR_SENTENCE,
    GROUPINGS,
    PERIOD_LABELS,
    TREND_SENTENCE,
    download_button,
    group_label,
    series_chart,
    series_for,
    trend_report,
    weekday_hour_table,
)
from ui.widgets import empty_store_message

auth.guard("tendances")

st.title("Tendances")
if loaders.reports().empty:
    empty_store_message()
    st.stop()

flt = current_filter()
c1, c2 = st.columns(2)
grouping = c1.radio("Séries par", list(GROUPINGS), format_func=GROUPINGS.get, horizontal=True,
                    key="tendances_groupes")
period = c2.radio("Pas de temps", list(PERIOD_LABELS), format_func=PERIOD_LABELS.get, horizontal=True,
                  key="tendances_pas")
table = trend_report(flt, grouping, period)
if table.empty:
    st.info("Aucun signalement dans la sélection : changez les filtres.")
    st.stop()

keys = grouping.split(",")
table = table.assign(série=table.apply(lambda r: group_label(r, grouping), axis=1))
by_label = {row["série"]: tuple(row[k] for k in keys) for _, row in table.iterrows()}
default = list(table.loc[table["significant"], "série"].head(3)) or list(table["série"].head(3))

st.subheader("Séries et tendance")
chosen = st.multiselect("Séries affichées", list(by_label), default=default, key="tendances_series",
                        placeholder="Choisissez des séries")
series = series_for(flt, grouping, period, [by_label[c] for c in chosen])
if series.empty:
    st.info("Choisissez au moins une série.")
else:
    st.altair_chart(series_chart(series, period), width="stretch")
    st.caption("Traits pleins : signalements par période ; pointillés : droite de tendance de chaque série.")

st.subheader("Tendances, de la plus forte à la plus faible")
st.caption(TREND_SENTENCE + " " + FDR_SENTENCE)
trend_columns = {"série": "Série", "direction": "Sens", "tau": "tau", "p": "p", "p_fdr": "p corrigé (FDR)",
                 "sen_slope": "Pente de Sen (par période)", "significant": "Significative", "total": "Total",
                 "periods": "Périodes"}
shown = table[list(trend_columns)].assign(direction=table["direction"].map(DIRECTIONS)).rename(columns=trend_columns)
st.dataframe(shown, hide_index=True, width="stretch", height=320)
download_button(shown, label="Télécharger les tendances (CSV)", file_name="tendances.csv", key="dl_tendances")

st.subheader("Comparaisons de périodes")
st.caption(COMPARISON_SENTENCE)
comparison_columns = {
    "série": "Série", "last_4_weeks": "4 dernières semaines", "previous_4_weeks": "4 semaines avant",
    "p_4_weeks": "p (4 semaines)", "month_to_date": "Mois en cours", "same_month_last_year": "Même mois l'an dernier",
    "p_year": "p (un an)",
}
comparisons = table[list(comparison_columns)].sort_values("p_4_weeks", kind="stable").rename(
    columns=comparison_columns)
st.dataframe(comparisons, hide_index=True, width="stretch", height=320)
download_button(comparisons, label="Télécharger les comparaisons (CSV)", file_name="comparaisons.csv",
                key="dl_comparaisons")

st.subheader("Jour de la semaine × heure")
st.caption("Nombre de signalements de la sélection selon le jour et l'heure d'observation (heure locale) : "
           "plus la case est foncée, plus il y en a.")
hours = weekday_hour_table(flt)
long = hours.reset_index().melt(id_vars="jour", var_name="heure", value_name="signalements")
heat = alt.Chart(long).mark_rect().encode(
    x=alt.X("heure:O", sort=list(hours.columns), title=None),
    y=alt.Y("jour:O", sort=list(hours.index), title=None),
    color=alt.Color("signalements:Q", scale=alt.Scale(scheme="blues"), title="Signalements"),
    tooltip=["jour:O", "heure:O", "signalements:Q"],
).properties(height=220)
st.altair_chart(heat, width="stretch")
st.dataframe(hours, width="stretch")
download_button(hours.reset_index(), label="Télécharger le tableau jour × heure (CSV)", file_name="jour_heure.csv",
                key="dl_jour_heure")
