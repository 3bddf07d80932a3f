"""Accueil: the chosen period at a glance, the quartiers that moved, the latest reports.

Every figure follows the chosen Période: against the period before and the same period a year earlier.
"""

import pandas as pd
import streamlit as st

from geo.analysis.overview import period_windows
from ui import auth, loaders
from ui.filters import current_filter
from ui.trends import show_strongest_rises
from ui.widgets import empty_store_message

auth.guard("accueil")


def _days(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``du 28/11/2026 au 04/12/2026`` for the window ``[start, end)``."""
    last = end - pd.Timedelta(days=1)
    return f"du {start:%d/%m/%Y} au {last:%d/%m/%Y}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


st.title("Veille territoriale")
all_reports = loaders.reports()
if all_reports.empty:
    empty_store_message()
    st.stop()

flt = current_filter()
tz = loaders.settings().timezone
today = pd.Timestamp.now(tz=tz).date()
compared = flt.start is not None and flt.end is not None
if compared:
    windows = period_windows(flt.start.date(), flt.end.date(), tz=tz)
else:  # "Tout": from the first report to today, nothing before it to compare with
    first = all_reports["observed_at"].min().tz_convert(tz).date()
    windows = period_windows(min(first, today), max(flt.end.date() if flt.end is not None else today, first), tz=tz)
figures = loaders.period_figures(windows, flt)
this, last, year = figures["this"], figures["last"], figures["year"]
length = _plural(windows.days, "jour")
count = f"{loaders.filtered_count(flt):,}".replace(",", "\u202f")

if compared:
    st.caption(
        f"Période choisie : {_days(*windows.this)} ({length}). Chaque chiffre est comparé aux {length} "
        f"d'avant ({_days(*windows.before)}, écart sous le chiffre) et à la même période un an plus tôt "
        f"({_days(*windows.year)}). {count} signalements dans la sélection."
    )
else:
    st.caption(
        f"Toute la période : {_days(*windows.this)}, sans comparaison (choisissez une Période dans les filtres "
        f"pour comparer à la période d'avant et à l'an dernier). {count} signalements dans la "
        "sélection."
    )
cols = st.columns(3)
for col, (label, attr, help_text) in zip(cols, (
    ("Signalements", "reports", "Signalements observés sur la période"),
    ("Dégradations ouvertes", "open_degradations", "Dégradations observées sur la période et encore ouvertes"),
    ("En attente > 10 jours", "waiting", "Signalements ouverts depuis plus de 10 jours à la fin de la période"),
), strict=True):
    value, before, last_year = getattr(this, attr), getattr(last, attr), getattr(year, attr)
    if compared:
        col.metric(label, value, delta=value - before, delta_color="inverse", help=help_text, border=True)
        col.caption(f"{length.capitalize()} d'avant : {before} · un an plus tôt : {last_year}")
    else:
        col.metric(label, value, help=help_text, border=True)

# One table under the other: side by side, each got half the width and cut its Quartier column.
with st.container():
    st.subheader("Quartiers qui ont le plus changé")
    if not compared:
        st.info("Choisissez une Période dans les filtres pour voir les quartiers qui ont le plus changé.")
    else:
        changes = loaders.neighbourhood_changes(windows, flt)
        if changes.empty:
            st.info("Aucun signalement sur la période ni sur celle d'avant pour cette sélection.")
        else:
            st.caption(f"Les {length} choisis contre les {length} d'avant.")
            st.dataframe(
                changes.drop(columns=["neighbourhood"]), hide_index=True, width="stretch",
                column_config={
                    "name": st.column_config.TextColumn("Quartier", width="large"),
                    "this_week": st.column_config.NumberColumn("Période", width="small"),
                    "last_week": st.column_config.NumberColumn("Avant", width="small"),
                    "change": st.column_config.NumberColumn("Évolution", format="%+d", width="small"),
                },
            )
with st.container():
    st.subheader("Derniers signalements")
    latest = loaders.latest_reports(flt, limit=10)
    if latest.empty:
        st.info("Aucun signalement pour cette sélection.")
    else:
        st.dataframe(latest, hide_index=True, width="stretch", column_config={
            "Date": st.column_config.TextColumn(width=140),
            "Catégorie": st.column_config.TextColumn(width=320),
            "Quartier": st.column_config.TextColumn(width=220),
            "Gravité": st.column_config.NumberColumn(width=70),
            "Statut": st.column_config.TextColumn(width=200),
        })

show_strongest_rises(flt)
