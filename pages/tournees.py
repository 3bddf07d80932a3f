"""Tournées: choose targets and constraints, plan the teams' rounds on foot, adjust, save and download."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import InputError
from geo.patrol import plans
from geo.patrol.solver import DEFAULT_TIME_LIMIT_S, PlanRequest
from geo.patrol.walking import DEFAULT_DETOUR, DEFAULT_SPEED_KMH
from ui import auth, loaders
from ui import patrol as ui_patrol

auth.guard("tournees")

st.title("Tournées")
settings = loaders.settings()
store = loaders.store()
state = st.session_state
now = dt.datetime.now(ZoneInfo(settings.timezone))
state.setdefault("tournees_targets", [])
state.setdefault("tournees_plan", None)
state.setdefault("tournees_plan_id", None)
# The start point's default is the widgets' own value, not a session value set before them: Streamlit drops a
# keyed widget's session value when a rerun interrupts the run between the two (streamlit#4247), and the inputs
# then fell back to 0, 0 (every target out of reach; seen in the browser test on a busy machine).
default_lat, default_lon = ui_patrol.default_start()


def _reopen(plan_id: int) -> None:
    saved = plans.load_plan(store, plan_id)
    request = saved.request
    state.update({
        "tournees_targets": saved.targets, "tournees_plan": plans.plan_of(saved), "tournees_plan_id": saved.id,
        "tournees_nom": saved.name, "tournees_equipes": request.teams, "tournees_duree": int(request.shift_minutes),
        "tournees_arret": int(request.dwell_minutes), "tournees_limite": float(request.time_limit_s),
        "tournees_jour": request.at.date(), "tournees_heure": request.at.time().replace(tzinfo=None),
        "tournees_lat": request.start[0], "tournees_lon": request.start[1],
        "tournees_vitesse": float(saved.walking.get("speed_kmh", DEFAULT_SPEED_KMH)),
        "tournees_detour": float(saved.walking.get("detour", DEFAULT_DETOUR)),
    })
    state.pop("tournees_table", None)


prepare, saved_tab, coverage_tab = st.tabs(["Préparer", "Plans enregistrés", "Couverture des quartiers"])

with prepare:
    if state["tournees_plan_id"]:
        st.info(f"Ajustement du plan enregistré « {state.get('tournees_nom', '')} » : recalculez puis enregistrez.")
    st.subheader("1. Cibles")
    c1, c2 = st.columns(2)
    upload = c1.file_uploader("Lieux à visiter (CSV nom;lat;lon;priorité[;début;fin] ou GeoJSON)",
                              type=["csv", "geojson", "json"], key="tournees_fichier")
    overdue = c2.checkbox("Signalements ouverts qui attendent le plus longtemps", key="tournees_attente")
    overdue_limit = c2.number_input("Nombre de signalements au plus", 1, 200, 30, key="tournees_nb_attente")
    hotspots = c2.checkbox("Points chauds", key="tournees_chauds")
    if st.button("Charger les cibles", key="tournees_charger"):
        targets, problems = ui_patrol.gather_targets(upload=upload, overdue=overdue, hotspots=hotspots,
                                                     overdue_limit=int(overdue_limit), now=now)
        for problem in problems:
            st.error(problem)
        state["tournees_targets"] = targets
        state.pop("tournees_table", None)
    targets = state["tournees_targets"]
    if not targets:
        st.info("Choisissez au moins une source de cibles puis « Charger les cibles ».")
    else:
        st.caption(f"{len(targets)} cibles. Décochez celles à ignorer ; changez les priorités au besoin.")
        edited = st.data_editor(
            ui_patrol.targets_frame(targets), key="tournees_table", hide_index=True, width="stretch", height=260,
            disabled=["nom", "type", "motif", "créneau"],
            column_config={"retenir": st.column_config.CheckboxColumn("Retenir", width="small"),
                           "priorité": st.column_config.NumberColumn("Priorité", min_value=0.1, step=0.5,
                                                                    width="small"),
                           "nom": "Cible", "type": "Source", "motif": "Pourquoi", "créneau": "Créneau"})

    st.subheader("2. Contraintes")
    c1, c2, c3, c4 = st.columns(4)
    day = c1.date_input("Date", value=now.date(), key="tournees_jour", format="DD/MM/YYYY")
    start_time = c1.time_input("Départ", value=dt.time(14, 0), key="tournees_heure", step=300)
    teams = c2.number_input("Équipes", 1, 8, 2, key="tournees_equipes")
    shift = c2.number_input("Durée de tournée (min)", 15, 600, 120, step=15, key="tournees_duree")
    dwell = c3.number_input("Arrêt par cible (min)", 0, 120, 15, key="tournees_arret")
    speed = c3.number_input("Vitesse de marche (km/h)", 1.0, 8.0, DEFAULT_SPEED_KMH, step=0.5, key="tournees_vitesse")
    detour = c4.number_input("Facteur de détour (sans réseau)", 1.0, 3.0, DEFAULT_DETOUR, step=0.1,
                             key="tournees_detour")
    limit = c4.number_input("Limite du solveur (s)", 1.0, 120.0, DEFAULT_TIME_LIMIT_S, step=1.0, key="tournees_limite")
    c1, c2, c3 = st.columns(3)
    lat = c1.number_input("Départ : latitude", -90.0, 90.0, default_lat, format="%.6f", key="tournees_lat")
    lon = c2.number_input("Départ : longitude", -180.0, 180.0, default_lon, format="%.6f", key="tournees_lon")
    network = c3.file_uploader("Réseau de rues (OSM XML ou GraphML, facultatif)", type=["osm", "xml", "graphml"],
                               key="tournees_reseau")

    if st.button("Calculer les tournées", type="primary", disabled=not targets, key="tournees_calculer"):
        try:
            chosen = ui_patrol.edited_targets(targets, edited)
            if not chosen:
                raise InputError("aucune cible retenue : cochez au moins une cible")
            request = PlanRequest(teams=int(teams), shift_minutes=float(shift), start=(float(lat), float(lon)),
                                  at=ui_patrol.start_datetime(day, start_time, timezone=settings.timezone),
                                  dwell_minutes=float(dwell), time_limit_s=float(limit))
            state["tournees_plan"] = ui_patrol.solve_with_progress(chosen, request, speed_kmh=float(speed),
                                                                   detour=float(detour), network_upload=network)
            state["tournees_walking"] = plans.walking_options(speed_kmh=float(speed), detour=float(detour),
                                                              network=network.name if network else None)
        except (InputError, ValueError) as exc:
            st.error(f"Calcul impossible : {exc}")

    plan = state["tournees_plan"]
    if plan is not None:
        st.subheader("3. Tournées")
        summary = plan.summary()
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Équipes", summary["teams"])
        m2.metric("Arrêts", summary["visited"])
        m3.metric("Écartées", summary["dropped"])
        m4.metric("Priorité couverte", f"{summary['objective']:g} / {summary['priority_total']:g}")
        st_folium(ui_patrol.route_map(plan), key="tournees_carte", height=520, use_container_width=True,
                  returned_objects=[])
        stops = pd.DataFrame([
            {"Équipe": s.team, "N°": s.order, "Arrivée": f"{s.arrival:%H:%M}", "Cible": s.target.name,
             "Priorité": s.target.priority, "Pourquoi": s.target.reason}
            for r in plan.routes for s in r.stops])
        st.dataframe(stops, hide_index=True, width="stretch")
        st.caption(" · ".join(f"Équipe {r.team} : {len(r.stops)} arrêts, {r.walking_minutes:g} min de marche, "
                              f"retour {r.back_at:%H:%M}" for r in plan.routes))
        if plan.dropped:
            with st.expander(f"Cibles écartées ({len(plan.dropped)})"):
                st.dataframe(pd.DataFrame({"Cible": [d.target.name for d in plan.dropped],
                                           "Priorité": [d.target.priority for d in plan.dropped],
                                           "Raison": [d.reason for d in plan.dropped]}), hide_index=True,
                             width="stretch")
        name = st.text_input("Nom du plan", key="tournees_nom",
                             placeholder=f"Tournée du {plan.request.at:%d/%m/%Y %H:%M}")
        ui_patrol.downloads(plan, name=name or "", key="tournees_dl")
        label = "Enregistrer l'ajustement" if state["tournees_plan_id"] else "Enregistrer le plan"
        if st.button(label, key="tournees_enregistrer"):
            walking = state.get("tournees_walking") or plans.walking_options(speed_kmh=float(speed),
                                                                            detour=float(detour))
            try:
                if state["tournees_plan_id"]:
                    plans.update_plan(store, state["tournees_plan_id"], plan, walking=walking, name=name,
                                      territory=loaders.territory())
                else:
                    state["tournees_plan_id"] = plans.save_plan(store, plan, name=name, walking=walking,
                                                                territory=loaders.territory())
                loaders.refresh()
                st.success(f"Plan « {name} » enregistré.")
            except InputError as exc:
                st.error(str(exc))

with saved_tab:
    saved = plans.list_plans(store)
    if saved.empty:
        st.info("Aucun plan enregistré.")
    else:
        shown = saved.assign(starts_at=saved["starts_at"].map(lambda d: f"{d:%d/%m/%Y %H:%M}"),
                             status=saved["status"].map({"planned": "prévu", "done": "fait"}))
        st.dataframe(shown.rename(columns={"id": "N°", "name": "Nom", "starts_at": "Départ", "teams": "Équipes",
                                           "shift_minutes": "Durée (min)", "status": "État", "visited": "Arrêts",
                                           "dropped": "Écartées"}), hide_index=True, width="stretch")
        labels = dict(zip(saved["id"], saved["name"], strict=True))
        chosen_id = st.selectbox("Plan", list(labels), format_func=lambda i: f"{i} — {labels[i]}",
                                 key="tournees_choix")
        c1, c2 = st.columns(2)
        c1.button("Rouvrir pour ajuster", key="tournees_rouvrir", on_click=_reopen, args=(int(chosen_id),))
        if c2.button("Marquer comme fait", key="tournees_fait"):
            plans.mark_done(store, int(chosen_id))
            loaders.refresh()
            st.rerun()
        current = plans.load_plan(store, int(chosen_id))
        st.caption("Signalements saisis pendant la tournée, à rattacher au plan")
        window_end = current.request.at + dt.timedelta(minutes=current.request.shift_minutes)
        reports = loaders.reports()
        during = reports[(reports["observed_at"] >= current.request.at) & (reports["observed_at"] <= window_end)]
        linked = plans.linked_reports(store, current.id)
        options = sorted(set(during["id"]) | set(linked))
        picked = st.multiselect("Signalements", options, default=linked, key=f"tournees_liens_{current.id}",
                                format_func=lambda rid: f"{rid}")
        if st.button("Rattacher", key="tournees_rattacher"):
            added = plans.link_reports(store, current.id, picked)
            loaders.refresh()
            st.success(f"{added} signalement(s) rattaché(s) au plan.")

with coverage_tab:
    table = plans.coverage(store, now=now)
    st.caption("Tournées faites des 4 dernières semaines passées par chaque quartier (les moins couverts d'abord).")
    if table.empty:
        st.info("Aucun quartier chargé.")
    else:
        shown = table.assign(last_visit=table["last_visit"].map(lambda d: "" if pd.isna(d) else f"{d:%d/%m/%Y}"))
        st.dataframe(shown.rename(columns={"code": "Code", "name": "Quartier", "rounds": "Tournées",
                                           "stops": "Arrêts", "last_visit": "Dernier passage"}),
                     hide_index=True, width="stretch")
