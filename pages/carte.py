"""Carte: the map explorer (choropleth, heat, clustered points, H3 grid) and the quartier panel."""

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ui import auth, loaders
from ui.filters import current_filter
from ui.hotspots import add_hotspot_layers, hotspot_controls, show_cell_series, warm_up_if_asked
from ui.maps import BASEMAPS, COLOUR_LAYERS, MapOptions, explorer_map, panel, panel_open_table
from ui.widgets import empty_store_message, weekly_sparkline

auth.guard("carte")

st.title("Carte des signalements")
if loaders.reports().empty:
    empty_store_message()
    st.stop()

flt = current_filter()
with st.expander("Couches et fond de carte", expanded=False):
    c1, c2, c3 = st.columns(3)
    # One coloured layer at a time: quartiers, heat and H3 cells drawn together became one red blob.
    colour = c1.radio("Couleur de la carte", list(COLOUR_LAYERS), format_func=COLOUR_LAYERS.get,
                      key="carte_couleur", help="Une seule couche colorée à la fois, pour qu'elle reste lisible ; "
                      "les limites des quartiers restent dessinées.")
    points = c1.toggle("Signalements (points regroupés)", value=True, key="carte_points")
    measure = c2.radio("Quartiers : mesure", ["count", "rate"], key="carte_mesure", horizontal=True,
                       format_func={"count": "Nombre", "rate": "Taux pour 1 000 hab."}.get)
    scheme = c2.radio("Classes", ["quantiles", "fisher_jenks"], key="carte_classes", horizontal=True,
                      format_func={"quantiles": "Quantiles", "fisher_jenks": "Fisher-Jenks"}.get)
    basemap = c3.selectbox("Fond de carte", list(BASEMAPS), format_func=BASEMAPS.get, key="carte_fond")
    tile_url = c3.text_input("URL des tuiles (facultatif)", key="carte_url",
                             help="Modèle XYZ, par ex. https://tuiles.exemple.fr/{z}/{x}/{y}.png") or None
hot_choice = hotspot_controls()
layers = tuple(x for x in (colour if colour != "none" else None, "points" if points else None) if x)
options = MapOptions(layers=layers, measure=measure, basemap=basemap, scheme=scheme, tile_url=tile_url)

st.caption(f"{loaders.filtered_count(flt):,} signalements dans la sélection.".replace(",", "\u202f"))
map_col, panel_col = st.columns([5, 3], gap="medium")
with map_col:
    fmap = explorer_map(flt, options)
    add_hotspot_layers(fmap, flt, hot_choice)
    clicked = st_folium(fmap, key="carte_explorer", height=620, use_container_width=True,
                        returned_objects=["last_active_drawing"])
feature = (clicked or {}).get("last_active_drawing") or {}
code = (feature.get("properties") or {}).get("code")
if code:
    st.session_state["carte_quartier"] = code
code = st.session_state.get("carte_quartier")

with panel_col:
    if (feature.get("properties") or {}).get("cell") and hot_choice.kind != "none":
        show_cell_series(flt, hot_choice, feature["properties"]["cell"])
    names = loaders.neighbourhood_names()
    if not code or code not in names.index:
        st.info("Cliquez sur un quartier de la carte pour afficher son détail.")
    else:
        data = panel(flt, code)
        st.subheader(data.name)
        st.metric("Signalements (sélection)", data.total, help=f"dont {data.open_total} ouverts")
        st.caption("12 dernières semaines")
        weekly_sparkline(data.weekly)
        st.caption("Par catégorie")
        st.dataframe(pd.DataFrame(data.by_category, columns=["Catégorie", "Signalements"]), hide_index=True,
                     width="stretch", height=200,
                     column_config={"Catégorie": st.column_config.TextColumn(width="medium"),
                                    "Signalements": st.column_config.NumberColumn(width="small")})
        st.caption(f"Signalements ouverts ({data.open_total}), par ancienneté")
        st.dataframe(panel_open_table(data), hide_index=True, width="stretch", height=220)

warm_up_if_asked()  # esda's numba code, compiled after this page is drawn (see ui/hotspots.py)
