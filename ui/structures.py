"""Structures sharing the database, as the app shows them: the signed-in user's one, the réseau figures.

With a single structure (every SQLite store) nothing here draws anything: the word never shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from geo.settings import load_settings
from geo.store.structures import Structure, list_structures, login_structure, split_url
from ui import loaders

if TYPE_CHECKING:
    from geo.sharing.network_view import NetworkFigures

__all__ = ["structures", "several", "current", "structure_of_login", "figures"]


def _database() -> str:
    """Return the URL of the whole database (no structure named)."""
    return split_url(load_settings().db_url)[0]


@st.cache_data(ttl=30, show_spinner=False)
def _structures(url: str) -> list[Structure]:
    return list_structures(url)


def structures() -> list[Structure]:
    """Return the structures of the database (re-read at most every 30 s)."""
    return _structures(_database())


def several() -> bool:
    """Return whether several structures share the database."""
    return len(structures()) > 1


def current() -> Structure:
    """Return the signed-in user's structure (the default one without sign-in)."""
    code = st.session_state.get(loaders.STRUCTURE_KEY)
    known = structures()
    return next((s for s in known if s.code == code), known[0])


def structure_of_login(login: str) -> str | None:
    """Return the code of the structure holding ``login`` (``None``: the default one, or no such account)."""
    return login_structure(_database(), login)  # not cached: a structure added a moment ago signs in at once


@st.cache_data(ttl=60, show_spinner="Calcul des chiffres du réseau…")
def _figures(url: str, start: str | None, end: str | None, timezone: str) -> NetworkFigures:
    from geo.sharing.network_view import network_figures  # noqa: PLC0415 - réseau accounts only

    return network_figures(url, taxonomy=loaders.taxonomy(), start=pd.Timestamp(start) if start else None,
                           end=pd.Timestamp(end) if end else None, timezone=timezone)


def figures(start: pd.Timestamp | None, end: pd.Timestamp | None) -> NetworkFigures:
    """Return the masked figures of every structure for ``[start, end)`` (cached a minute)."""
    return _figures(_database(), start.isoformat() if start is not None else None,
                    end.isoformat() if end is not None else None, loaders.settings().timezone)
