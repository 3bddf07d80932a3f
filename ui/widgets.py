"""Reusable widgets of the dashboard pages."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from ui import loaders

__all__ = ["empty_store_message", "weekly_sparkline"]


def empty_store_message(key: str = "vide") -> None:
    """Say that the store is empty and offer the ways to fill it (import, field entry, demo data)."""
    st.info(
        "Aucun signalement n'est encore enregistré. Importez un fichier (page **Import**), saisissez un "
        "signalement (page **Saisie**), ou chargez les données de démonstration (bouton ci-dessous, ou en "
        "ligne de commande) :\n\n```\npython -m geo demo\n```"
    )
    left, right = st.columns(2)
    left.page_link("pages/import_donnees.py", label="Importer un fichier", icon=":material/upload_file:")
    if right.button("Charger les données de démonstration", key=f"{key}_demo", icon=":material/science:"):
        from geo.demo.build import build_demo_store  # noqa: PLC0415 - only when asked for

        with st.spinner("Construction du territoire et des signalements de démonstration…"):
            build_demo_store(loaders.store(), taxonomy=loaders.taxonomy())
        loaders.refresh()
        st.rerun()


def weekly_sparkline(weekly: Sequence[tuple], *, height: int = 110) -> None:
    """Draw weekly counts ``(week_start, count)`` as a small line, dates written the French way."""
    import altair as alt  # noqa: PLC0415 - about a second to import: only once a chart is drawn

    frame = pd.DataFrame(list(weekly), columns=["semaine", "signalements"])
    frame["semaine"] = pd.to_datetime(frame["semaine"])
    chart = (
        alt.Chart(frame, height=height)
        .mark_line(point=True)
        .encode(
            x=alt.X("semaine:T", title=None, axis=alt.Axis(format="%d/%m", labelAngle=0, tickCount=6)),
            y=alt.Y("signalements:Q", title=None, axis=alt.Axis(tickMinStep=1)),
            tooltip=[alt.Tooltip("semaine:T", title="Semaine du", format="%d/%m/%Y"),
                     alt.Tooltip("signalements:Q", title="Signalements")],
        )
    )
    st.altair_chart(chart, width="stretch")
