"""The Tendances page's pieces and the home page's strongest rises: cached, following the shared filters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from geo.analysis.filtering import ReportFilter
from geo.analysis.trends import complete_end, trend_series, trends_report, weekday_hour
from geo.export.safe_csv import csv_bytes
from geo.store.snapshot import release_unused_memory
from ui import loaders

if TYPE_CHECKING:
    import altair as alt

__all__ = ["GROUPINGS", "PERIOD_LABELS", "DIRECTIONS", "TREND_SENTENCE", "COMPARISON_SENTENCE", "FDR_SENTENCE",
           "trend_report", "series_for", "weekday_hour_table", "strongest_rises", "show_strongest_rises",
           "download_button", "group_label", "series_chart"]

GROUPINGS = {"neighbourhood,category": "Quartier × catégorie", "neighbourhood": "Quartier",
             "category": "Catégorie"}
PERIOD_LABELS = {"week": "Semaine", "month": "Mois"}
DIRECTIONS = {"increasing": "Hausse", "decreasing": "Baisse", "no_trend": "Pas de tendance"}
TREND_SENTENCE = (
    "Le test de Mann-Kendall dit si, d'une période à l'autre, les signalements ont tendance à monter ou à "
    "descendre plutôt qu'à varier au hasard ; tau va de −1 (baisse régulière) à +1 (hausse régulière) et la "
    "pente de Sen donne la hausse ou la baisse typique par période."
)
FDR_SENTENCE = (
    "Avec des dizaines de séries testées à la fois, quelques-unes sembleraient bouger par hasard : une tendance "
    "n'est dite « significative » qu'après correction du taux de fausses découvertes (p corrigé ≤ 0,05)."
)
COMPARISON_SENTENCE = (
    "Chaque comparaison demande si l'écart entre deux périodes de même durée dépasse les variations "
    "habituelles des comptes (test de deux taux de Poisson) : p < 0,05 veut dire qu'un tel écart "
    "n'arriverait par hasard qu'une fois sur vingt."
)


def _keys(grouping: str) -> list[str]:
    return grouping.split(",")


# What the trend tables read of each kept report (with a filter, a copy of these columns only).
_TREND_COLUMNS = ["observed_at", "local_day", "neighbourhood", "category"]


@st.cache_data(max_entries=16, show_spinner="Calcul des tendances…")
def _report(url: str, version: int, flt: ReportFilter, grouping: str, period: str) -> pd.DataFrame:
    reports = loaders.filtered_columns(flt, _TREND_COLUMNS)
    if reports.empty:
        return pd.DataFrame()
    table = trends_report(reports, loaders.territory(), by=_keys(grouping), period=period,
                          end=complete_end(reports))
    release_unused_memory()  # the per-report period keys (tens of MB at 1M reports)
    return table


def trend_report(flt: ReportFilter, grouping: str, period: str) -> pd.DataFrame:
    """Return the trend table with the period comparisons (empty when the selection has no report)."""
    return _report(loaders.settings().db_url, loaders.data_version(), flt, grouping, period)


@st.cache_data(max_entries=16, show_spinner=False)
def _series(url: str, version: int, flt: ReportFilter, grouping: str, period: str) -> pd.DataFrame:
    reports = loaders.filtered_columns(flt, _TREND_COLUMNS)
    if reports.empty:
        return pd.DataFrame()
    return trend_series(reports, loaders.territory(), by=_keys(grouping), period=period, end=complete_end(reports))


def group_label(row: pd.Series, grouping: str) -> str:
    """Return a French label of a series: « Quartier · Catégorie »."""
    labels = loaders.category_labels()
    parts = []
    for key in _keys(grouping):
        if key == "neighbourhood":
            parts.append(str(row.get("neighbourhood_name") or row["neighbourhood"]))
        else:
            parts.append(labels.get(row["category"], row["category"]))
    return " · ".join(parts)


def series_for(flt: ReportFilter, grouping: str, period: str, groups: list[tuple]) -> pd.DataFrame:
    """Return the counts per period of the chosen groups, with a ``série`` label column."""
    series = _series(loaders.settings().db_url, loaders.data_version(), flt, grouping, period)
    if series.empty or not groups:
        return pd.DataFrame(columns=["série", period, "count"])
    keys = _keys(grouping)
    index = pd.MultiIndex.from_frame(series[keys])
    chosen = series[index.isin(groups)].copy()
    chosen["série"] = chosen.apply(lambda r: group_label(r, grouping), axis=1)
    return chosen


@st.cache_data(max_entries=16, show_spinner=False)
def _weekday_hour(url: str, version: int, flt: ReportFilter) -> pd.DataFrame:
    return weekday_hour(loaders.filtered_columns(flt, ["observed_at"]))


def weekday_hour_table(flt: ReportFilter) -> pd.DataFrame:
    """Return reports per weekday (rows) and hour (columns) of the selection."""
    return _weekday_hour(loaders.settings().db_url, loaders.data_version(), flt)


def strongest_rises(flt: ReportFilter, *, top: int = 3) -> pd.DataFrame:
    """Return the ``top`` strongest significant weekly rises per quartier × catégorie."""
    table = trend_report(flt, "neighbourhood,category", "week")
    if table.empty:
        return table
    rises = table[table["significant"] & table["direction"].eq("increasing")]
    return rises.sort_values("tau", ascending=False, kind="stable").head(top)


def _fr(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def show_strongest_rises(flt: ReportFilter) -> None:
    """Draw the home page's block: the three strongest significant rises, in plain French."""
    st.subheader("Plus fortes hausses")
    rises = strongest_rises(flt)
    if rises.empty:
        st.info("Aucune hausse significative dans la sélection (test de Mann-Kendall par semaine, "
                "après correction des fausses découvertes).")
        return
    for _, row in rises.iterrows():
        p_text = "< 0,001" if row["p_fdr"] < 0.001 else _fr(row["p_fdr"], 3)
        st.markdown(f"**{group_label(row, 'neighbourhood,category')}** : le nombre de signalements par semaine "
                    f"a gagné environ {_fr(row['sen_slope'] * 52, 1)} en un an (tau {_fr(row['tau'], 2)}, "
                    f"p corrigé {p_text}) ; {row['last_4_weeks']} sur les 4 dernières semaines contre "
                    f"{row['previous_4_weeks']} les 4 précédentes.")
    st.caption(TREND_SENTENCE + " " + FDR_SENTENCE)


def download_button(frame: pd.DataFrame, *, label: str, file_name: str, key: str) -> None:
    """Offer ``frame`` as a CSV made by the project's safe writer (Excel-friendly, formulas neutralised)."""
    st.download_button(label, data=csv_bytes(frame), file_name=file_name, mime="text/csv", key=key)


def series_chart(frame: pd.DataFrame, period: str) -> alt.Chart:
    """Return the Altair chart of the chosen series with each one's linear trend."""
    import altair as alt  # noqa: PLC0415 - about a second to import: only once a chart is drawn

    base = alt.Chart(frame).encode(
        x=alt.X(f"{period}:T", title=None), y=alt.Y("count:Q", title="Signalements"),
        color=alt.Color("série:N", legend=alt.Legend(orient="bottom", title=None, columns=1, labelLimit=400)),
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        tooltip=[alt.Tooltip("série:N"), alt.Tooltip(f"{period}:T", title="Période"),
                 alt.Tooltip("count:Q", title="Signalements")])
    trend = base.transform_regression(period, "count", groupby=["série"]).mark_line(strokeDash=[6, 4])
    return (lines + trend).properties(height=320)
