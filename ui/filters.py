"""The shared sidebar filters (période, registre, catégorie, statut, quartier), kept from page to page."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from geo.analysis.filtering import ReportFilter
from ui import loaders

__all__ = ["show_filters", "keep_filters", "current_filter", "PERIODS", "FILTER_KEYS"]

PERIODS = {"7 derniers jours": 7, "4 dernières semaines": 28, "12 dernières semaines": 84,
           "12 derniers mois": 365, "Tout": None, "Dates choisies": "custom"}
_KEY = "filtre"
FILTER_KEYS = ("periode", "dates", "registres", "categories", "statuts", "quartiers")
"""Suffixes of the filter widgets' keys."""


def keep_filters(key: str = _KEY) -> None:
    """Keep the filters' values through a run that does not draw them (Streamlit forgets an undrawn widget's)."""
    for name in FILTER_KEYS:
        full = f"{key}_{name}"
        if full in st.session_state:
            st.session_state[full] = st.session_state[full]


def show_filters(key: str = _KEY) -> ReportFilter:
    """Draw the filters in the sidebar and return the filter they describe.

    Widgets live in the entry script with fixed keys, so their values persist across pages.
    """
    tax = loaders.taxonomy()
    terr = loaders.territory()
    with st.sidebar:
        st.header("Filtres")
        period = st.selectbox("Période", list(PERIODS), index=list(PERIODS).index("Tout"), key=f"{key}_periode")
        today = dt.date.today()
        start = end = None
        if PERIODS[period] == "custom":
            chosen = st.date_input("Du … au …", value=(today - dt.timedelta(days=28), today),
                                   key=f"{key}_dates", format="DD/MM/YYYY")
            if isinstance(chosen, tuple | list) and len(chosen) == 2:
                start, end = chosen
        elif PERIODS[period]:
            start, end = today - dt.timedelta(days=PERIODS[period] - 1), today
        registres = st.multiselect("Registre", list(tax.registres), format_func=tax.registres.get,
                                   key=f"{key}_registres", placeholder="Tous")
        codes = [c.code for c in tax.categories.values() if not registres or c.registre in registres]
        categories = st.multiselect("Catégorie", codes, format_func=lambda c: tax.categories[c].label,
                                    key=f"{key}_categories", placeholder="Toutes")
        statuses = st.multiselect("Statut", list(tax.statuses), format_func=tax.statuses.get,
                                  key=f"{key}_statuts", placeholder="Tous")
        names = dict(zip(terr["code"], terr["name"], strict=True)) if len(terr) else {}
        quartiers = st.multiselect("Quartier", list(names), format_func=names.get, key=f"{key}_quartiers",
                                   placeholder="Tous")
    flt = ReportFilter(
        start=pd.Timestamp(start) if start else None, end=pd.Timestamp(end) if end else None,
        registres=tuple(registres), categories=tuple(categories), statuses=tuple(statuses),
        neighbourhoods=tuple(quartiers),
    )
    st.session_state[f"{key}_courant"] = flt
    return flt


def current_filter(key: str = _KEY) -> ReportFilter:
    """Return the filter drawn by :func:`show_filters` in this run (no restriction if none yet)."""
    return st.session_state.get(f"{key}_courant", ReportFilter())
