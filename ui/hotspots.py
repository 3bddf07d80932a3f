"""Hot spot and emerging hot spot layers of the Carte page, cached, with their French explanations.

esda's permutation inference is numba code, compiled on its first call in a process (≈ 15 s) and heavy
(numba, llvmlite, esda: well over 100 MB): the app server never loads it. Once a hot spot layer has been
asked for in this process, the Carte page calls :func:`warm_up_if_asked` at the end of its run, which starts
the one permutation worker process of this server (:mod:`geo.analysis.permutation_worker`, shared by every
session); it warms the compiled code up as soon as it starts. Until it is warm the layers use the analytical
(normal) inference of the same Gi*, computed here, and say so, so that no page ever waits for the compiler;
once it is, the permutation Gi* is computed in the worker (small inputs: the counts per cell and the cells'
neighbours) with the same seed as the command line. A worker that died is replaced on the next run, and the
page says so in French and shows the analytical layer meanwhile.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import streamlit as st

from geo.analysis.filtering import ReportFilter
from geo.analysis.permutation_worker import WorkerError, shared_worker
from geo.errors import InputError
from geo.store.snapshot import release_unused_memory
from ui import loaders

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["HOTSPOT_CHOICES", "HotspotChoice", "hotspot_controls", "add_hotspot_layers", "warm_up_if_asked",
           "show_cell_series", "HOTSPOT_SENTENCE", "FDR_SENTENCE", "EMERGING_SENTENCE"]

HOTSPOT_CHOICES = {"none": "Aucune", "hotspots": "Points chauds", "emerging": "Points chauds émergents"}
PERIOD_LABELS = {"week": "Semaine", "month": "Mois"}
HOTSPOT_SENTENCE = (
    "Une cellule est un « point chaud à 95 % » quand elle et ses voisines comptent tellement plus de "
    "signalements que la moyenne du territoire qu'un tel regroupement n'arriverait par hasard "
    "qu'une fois sur vingt (99 % : une fois sur cent) ; un point froid, c'est l'inverse."
)
FDR_SENTENCE = (
    "Comme des centaines de cellules sont testées à la fois, quelques-unes paraîtraient chaudes par pur "
    "hasard : la correction du taux de fausses découvertes (FDR) relève le seuil pour que ces fausses "
    "alertes restent rares parmi les cellules signalées."
)
EMERGING_SENTENCE = (
    "Les points chauds émergents suivent chaque cellule période après période : « nouveau » veut dire chaud "
    "pour la première fois à la dernière période, « consécutif » chaud sans interruption sur les dernières "
    "périodes, « persistant » chaud dans au moins 90 % des périodes, « s'intensifie » de plus en plus marqué "
    "(test de tendance de Mann-Kendall)."
)


T = TypeVar("T")
_ASKED = threading.Event()  # a hot spot layer was drawn in this process


@dataclass(frozen=True)
class HotspotChoice:
    """Which hot spot layer the user asked for."""

    kind: str = "none"
    period: str = "month"


WORKER_STOPPED = ("Le calcul par permutations s'est interrompu (son processus s'est arrêté) ; il redémarre. "
                  "En attendant, la carte montre le calcul rapide (loi normale).")


def _inference() -> str:
    return "permutation" if shared_worker().is_warm() else "analytical"


def hotspot_controls() -> HotspotChoice:
    """Draw the choice of hot spot layer (none by default) and return it."""
    c1, c2 = st.columns([3, 2])
    kind = c1.radio("Analyse des points chauds", list(HOTSPOT_CHOICES), format_func=HOTSPOT_CHOICES.get,
                    horizontal=True, key="carte_points_chauds")
    period = "month"
    if kind == "emerging":
        period = c2.radio("Pas de temps", list(PERIOD_LABELS), format_func=PERIOD_LABELS.get, horizontal=True,
                          key="carte_emergents_pas", index=1)
    return HotspotChoice(kind=kind, period=period)


@st.cache_resource(max_entries=4, show_spinner="Recherche des points chauds…")
def _hotspots(url: str, version: int, flt: ReportFilter, inference: str) -> tuple[gpd.GeoDataFrame, dict]:
    from geo.analysis.hotspots import PERMUTATIONS, report_hotspots  # noqa: PLC0415 - esda only when asked

    grid, cells, result = report_hotspots(loaders.filtered_reports(flt), loaders.territory(),
                                          permutations=PERMUTATIONS if inference == "permutation" else 0,
                                          worker=shared_worker())
    info = {"cell_size_m": grid.cell_size_m, "inference": result.inference, "cells": len(cells)}
    release_unused_memory()
    return cells.drop(columns=["x", "y"]), info


@st.cache_resource(max_entries=4, show_spinner="Analyse des points chauds émergents…")
def _emerging(url: str, version: int, flt: ReportFilter, period: str, inference: str
              ) -> tuple[gpd.GeoDataFrame, np.ndarray, pd.DatetimeIndex, dict]:
    from geo.analysis.emerging import PERMUTATIONS, emerging_hotspots, space_time_cube  # noqa: PLC0415
    from geo.analysis.grid import build_grid  # noqa: PLC0415
    from geo.analysis.hotspots import MIN_REPORTS  # noqa: PLC0415

    reports = loaders.filtered_reports(flt)
    reports = reports.loc[reports["neighbourhood"].notna(), ["lat", "lon", "observed_at"]]  # 3 columns only
    if len(reports) < MIN_REPORTS:
        raise InputError(f"au moins {MIN_REPORTS} signalements dans le territoire sont nécessaires ; "
                         f"la sélection en compte {len(reports)}")
    lat, lon = reports["lat"].to_numpy(float), reports["lon"].to_numpy(float)
    grid = build_grid(loaders.territory(), lat=lat, lon=lon)
    cube, steps = space_time_cube(grid.locate(lat, lon), reports["observed_at"].reset_index(drop=True),
                                  cells=len(grid), period=period)
    if len(steps) < 2:
        raise InputError("il faut au moins deux périodes complètes de signalements")
    result = emerging_hotspots(grid, cube, steps, permutations=PERMUTATIONS if inference == "permutation" else 0,
                               worker=shared_worker())
    cells = grid.cells.drop(columns=["x", "y"]).join(result.cells)
    hot = result.significant & (result.z > 0)
    cold = result.significant & (result.z < 0)
    info = {"cell_size_m": grid.cell_size_m, "steps": len(steps), "inference": inference}
    release_unused_memory()
    return cells, np.stack([cube, hot, cold]), steps, info


def _with_fallback(compute: Callable[..., T], *args: object) -> T:
    """Call ``compute(*args, inference)``, with the analytical inference if the worker died meanwhile."""
    inference = _inference()
    if inference == "analytical" and shared_worker().is_started() and not shared_worker().is_alive():
        st.warning(WORKER_STOPPED)
    try:
        return compute(*args, inference)
    except WorkerError:
        st.warning(WORKER_STOPPED)
        shared_worker().start()
        return compute(*args, "analytical")


def _inference_note(inference: str) -> None:
    if inference == "analytical":
        st.caption("Calcul rapide provisoire (loi normale) : le calcul par permutations, plus robuste, est en "
                   "préparation et remplacera celui-ci à la prochaine interaction.")


def add_hotspot_layers(fmap: folium.Map, flt: ReportFilter, choice: HotspotChoice) -> None:
    """Add the chosen layer and its legend to ``fmap``, with one plain sentence explaining it."""
    if choice.kind == "none":
        return
    from geo.maps.hotspot_layer import emerging_layer, hotspot_layer  # noqa: PLC0415

    url, version = loaders.settings().db_url, loaders.data_version()
    try:
        if choice.kind == "hotspots":
            cells, info = _with_fallback(_hotspots, url, version, flt)
            group, legend = hotspot_layer(cells)
            hot = int(cells["class"].str.startswith("hot").sum())
            st.caption(f"{hot} point(s) chaud(s) sur {info['cells']} cellules de {info['cell_size_m']:.0f} m. "
                       + HOTSPOT_SENTENCE + " " + FDR_SENTENCE)
        else:
            cells, _, _, info = _with_fallback(_emerging, url, version, flt, choice.period)
            group, legend = emerging_layer(cells)
            st.caption(f"{info['steps']} périodes, cellules de {info['cell_size_m']:.0f} m. " + EMERGING_SENTENCE
                       + " " + FDR_SENTENCE)
    except InputError as exc:
        st.info(f"Pas d'analyse des points chauds : {exc}.")
        return
    _inference_note(info["inference"])
    group.add_to(fmap)
    legend.add_to(fmap)
    _ASKED.set()


def warm_up_if_asked() -> None:
    """Start the permutation worker (it warms up at once) once a hot spot layer was asked for (call last).

    Permutation inference is then ready for a later interaction; one worker per server process, started
    again if it died.
    """
    if _ASKED.is_set():
        shared_worker().start()


def show_cell_series(flt: ReportFilter, choice: HotspotChoice, cell: str) -> None:
    """Show the clicked cell's counts per period (and, for emerging hot spots, the hot or cold periods)."""
    url, version = loaders.settings().db_url, loaders.data_version()
    period = choice.period if choice.kind == "emerging" else "month"
    try:
        cells, stack, steps, _ = _with_fallback(_emerging, url, version, flt, period)
    except InputError:
        return
    if cell not in cells.index:
        return
    import altair as alt  # noqa: PLC0415 - about a second to import: only once a chart is drawn

    from geo.maps.hotspot_layer import PATTERN_LABELS  # noqa: PLC0415

    i = cells.index.get_loc(cell)
    state = np.where(stack[1][i] > 0, "Point chaud", np.where(stack[2][i] > 0, "Point froid", "Non significatif"))
    frame = pd.DataFrame({"Période": steps, "Signalements": stack[0][i], "État": state})
    st.subheader(f"Cellule {cell}")
    st.caption(f"{PATTERN_LABELS.get(cells['pattern'].iloc[i], '')} — signalements par "
               f"{PERIOD_LABELS[period].lower()}")
    base = alt.Chart(frame).encode(x=alt.X("Période:T", title=None), y=alt.Y("Signalements:Q"))
    points = base.mark_circle(size=45).encode(
        color=alt.Color("État:N", scale=alt.Scale(domain=["Point chaud", "Non significatif", "Point froid"],
                                                  range=["#b2182b", "#999999", "#2166ac"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["Période:T", "Signalements:Q", "État:N"],
    )
    st.altair_chart((base.mark_line(color="#777777") + points).properties(height=200), width="stretch")
