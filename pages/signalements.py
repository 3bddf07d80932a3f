"""Signalements: search reports, open one (photos, history, place, raw row), change statuses, mark duplicates."""

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import InputError
from geo.ingest.provenance import raw_row
from geo.workflow.lifecycle import STATUSES, TRANSITIONS, change_statuses
from geo.workflow.queue import ReportQuery
from geo.workflow.routing import change_category
from ui import auth, followup, loaders
from ui.widgets import empty_store_message

auth.guard("signalements")

_SHOWN = 2_000

st.title("Signalements")
if loaders.reports().empty:
    empty_store_message("signalements_vide")
    st.stop()

tax = loaders.taxonomy()
names = loaders.neighbourhood_names().to_dict()
partner_names = followup.partner_names()
tz = loaders.settings().timezone

with st.expander("Recherche", expanded=True):
    c1, c2, c3 = st.columns(3)
    text = c1.text_input("Texte ou identifiant", key="sig_texte", placeholder="ex. demo-0001234, trottoir…")
    categories = c2.multiselect("Catégorie", list(tax.categories), format_func=lambda c: tax.categories[c].label,
                                key="sig_categories", placeholder="Toutes")
    places = c3.multiselect("Quartier", [*names, ""], format_func=lambda c: names.get(c, "Hors territoire"),
                            key="sig_quartiers", placeholder="Tous")
    d1, d2, d3, d4 = st.columns([1, 1, 1, 1])
    statuses = d1.multiselect("Statut", list(STATUSES), format_func=followup.STATUS_LABELS.get, key="sig_statuts",
                              placeholder="Tous")
    partners = d2.multiselect("Partenaire", [*partner_names, ""],
                              format_func=lambda p: partner_names.get(p, "Sans partenaire"), key="sig_partenaires",
                              placeholder="Tous")
    bands = d3.multiselect("Âge", list(followup.AGEING_BANDS), format_func=followup.AGEING_BANDS.get,
                           key="sig_ages", placeholder="Tous")
    overdue = d4.checkbox("En retard seulement", key="sig_retard",
                          help="Transmis depuis plus longtemps que le délai cible du partenaire, et pas clos")

query = ReportQuery(text=text, categories=tuple(categories), neighbourhoods=tuple(places), statuses=tuple(statuses),
                    partners=tuple(partners), bands=tuple(bands), overdue=overdue)
found = followup.report_list(query, limit=_SHOWN)
total = followup.report_count(query)
st.caption(f"{total:,} signalement(s) trouvé(s)".replace(",", "\u202f")
           + (f" ; les {_SHOWN} plus récents sont affichés." if total > _SHOWN else "."))
shown = found
table = pd.DataFrame({
    "Identifiant": shown["id"], "Date": shown["observed_at"].dt.strftime("%d/%m/%Y %H:%M"),
    "Catégorie": shown["category"].map(loaders.category_labels()),
    "Quartier": shown["neighbourhood"].map(names).fillna("Hors territoire"),
    "Statut": shown["status"].map(followup.STATUS_LABELS),
    "Partenaire": shown["partner"].map(partner_names).fillna("—"),
    "Âge (j)": shown["age_days"].round(1), "Tranche": shown["ageing"].map(followup.AGEING_BANDS),
    "En retard": shown["overdue"],
})
picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
                      key="sig_table", height=320)
selected = shown["id"].iloc[picked.selection.rows].tolist() if picked and picked.selection.rows else []

if st.session_state.get("sig_message"):
    kind, message = st.session_state.pop("sig_message")
    (st.success if kind == "ok" else st.error)(message)


def when_inputs(key: str) -> pd.Timestamp:
    """Date and time of a change (now by default; a relay made yesterday can be entered today)."""
    now = pd.Timestamp.now(tz=tz)
    c1, c2 = st.columns(2)
    day = c1.date_input("Date du changement", value=now.date(), max_value=now.date(), format="DD/MM/YYYY",
                        key=f"{key}_jour")
    hour = c2.time_input("Heure", value=now.time().replace(second=0, microsecond=0), step=dt.timedelta(minutes=5),
                         key=f"{key}_heure")
    return min(pd.Timestamp.combine(day, hour).tz_localize(tz), now)


def apply_change(ids: list[str], status: str, *, at: pd.Timestamp, by: str, comment: str,
                 duplicate_of: str | None = None) -> None:
    """Change the status of ``ids`` (all or none), say what happened after the rerun."""
    user = auth.current_user()  # the signed-in account, when there is sign-in
    by = user.login if user is not None and user != auth.LOCAL_USER else by
    try:
        done = change_statuses(loaders.store(), ids, status, at=at, by=by or None, comment=comment or None,
                               duplicate_of=duplicate_of)
    except InputError as exc:
        st.session_state["sig_message"] = ("erreur", str(exc))
    else:
        st.session_state["sig_message"] = ("ok", f"{len(done)} signalement(s) passé(s) à « "
                                                 f"{followup.STATUS_LABELS[status]} ».")
    loaders.refresh()
    st.rerun()


st.subheader("Action sur la sélection")
if not selected:
    st.caption("Cochez des lignes du tableau pour agir sur plusieurs signalements à la fois (tout ou rien).")
else:
    with st.form("sig_lot"):
        st.write(f"{len(selected)} signalement(s) sélectionné(s).")
        status = st.selectbox("Nouveau statut", [s for s in STATUSES if s != "doublon"],
                              format_func=followup.STATUS_LABELS.get, index=1, key="sig_lot_statut")
        at = when_inputs("sig_lot")
        by = st.text_input("Par", key="sig_lot_par")
        comment = st.text_input("Commentaire", key="sig_lot_commentaire")
        if st.form_submit_button("Appliquer à la sélection", type="primary"):
            apply_change(selected, status, at=at, by=by, comment=comment)

st.subheader("Fiche d'un signalement")
default = selected[0] if selected else (shown["id"].iloc[0] if len(shown) else None)
options = shown["id"].tolist()
if default is None:
    st.info("Aucun signalement ne correspond à la recherche.")
    st.stop()
report_id = st.selectbox("Signalement", options, index=options.index(default), key="sig_fiche")
report = loaders.store().get_report(report_id)
row = found.set_index("id").loc[report_id]
left, right = st.columns([3, 2])
with left:
    label = tax.categories[report["category"]].label if report["category"] in tax.categories else report["category"]
    st.markdown(
        f"**{label}** — {names.get(report['neighbourhood'], 'Hors territoire')}  \n"
        f"Observé le {row['observed_at']:%d/%m/%Y à %H:%M} · statut **{followup.STATUS_LABELS[report['status']]}**"
        f" · partenaire : {partner_names.get(report['partner'], 'aucun (route manquante)')}"
        f" · âge {row['age_days']:.1f} j" + (" · **en retard**" if row["overdue"] else "")
        + (f"  \nDoublon de `{report['duplicate_of']}`" if report.get("duplicate_of") else "")
    )
    if report.get("description"):
        st.text(report["description"])
    st.caption(f"Identifiant : {report_id} · identifiant source : {report.get('source_id') or '—'}")
    history = followup.history(report_id)
    st.markdown("**Historique**")
    if history.empty:
        st.caption("Aucun changement de statut.")
    else:
        st.dataframe(followup.history_table(history), hide_index=True, width="stretch")
    photos = followup.photos(report_id)
    st.markdown(f"**Photos** ({len(photos)})")
    if photos:
        cols = st.columns(min(len(photos), 3))
        for i, photo in enumerate(photos):
            cols[i % len(cols)].image(followup.photo_bytes(photo.id), caption=photo.filename or f"photo {photo.id}",
                                      width=360)
    added = st.file_uploader("Ajouter des photos", type=["jpg", "jpeg", "png", "webp", "heic"],
                             accept_multiple_files=True, key=f"sig_photos_{report_id}")
    if added and st.button("Enregistrer les photos", key="sig_photos_ok"):
        problems = followup.save_photos(report_id, added)
        st.session_state["sig_message"] = ("erreur", " ; ".join(problems)) if problems else (
            "ok", f"{len(added)} photo(s) enregistrée(s).")
        st.rerun()
    with st.expander("Ligne brute importée"):
        raw = raw_row(loaders.store(), report_id)
        if raw:
            st.json(raw)
        else:
            st.caption("Aucune ligne brute conservée pour ce signalement.")
with right:
    st_folium(followup.report_map(float(report["lat"]), float(report["lon"])), key="sig_carte", height=260,
              use_container_width=True, returned_objects=[])

st.markdown("**Changer le statut**")
allowed = sorted(TRANSITIONS.get(report["status"], ()), key=STATUSES.index)
if not allowed:
    st.caption("Aucun changement possible depuis ce statut.")
else:
    suggestions = followup.duplicate_suggestions(distance_m=st.session_state.get("sig_distance", 50.0),
                                                 hours=st.session_state.get("sig_heures", 72.0))
    mine = suggestions[suggestions["report_id"] == report_id]
    with st.form("sig_statut"):
        status = st.selectbox("Nouveau statut", allowed, format_func=followup.STATUS_LABELS.get, key="sig_statut_v")
        at = when_inputs("sig_statut")
        by = st.text_input("Par", key="sig_statut_par")
        comment = st.text_input("Commentaire", key="sig_statut_commentaire")
        hint = (f"Doublon probable de {mine['original_id'].iloc[0]} ({mine['distance_m'].iloc[0]:.0f} m, "
                f"{mine['hours_apart'].iloc[0]:.0f} h d'écart)") if len(mine) else "Aucun doublon probable trouvé."
        original = st.text_input("Original (pour « Doublon »)", help=hint, key=f"sig_original_{report_id}",
                                 value=mine["original_id"].iloc[0] if len(mine) else "")
        if st.form_submit_button("Enregistrer le changement", type="primary"):
            apply_change([report_id], status, at=at, by=by, comment=comment,
                         duplicate_of=(original.strip() or None) if status == "doublon" else None)
    st.caption(hint)

with st.form("sig_categorie"):
    codes = list(tax.categories)
    new_category = st.selectbox("Catégorie", codes, format_func=lambda c: tax.categories[c].label,
                                index=codes.index(report["category"]) if report["category"] in codes else 0,
                                key=f"sig_categorie_{report_id}")
    if st.form_submit_button("Changer la catégorie (et le partenaire)"):
        change_category(loaders.store(), [report_id], new_category, taxonomy=tax)
        partner = loaders.store().get_report(report_id)["partner"]
        st.session_state["sig_message"] = ("ok", f"Catégorie changée ; partenaire : "
                                                 f"{followup.partner_names().get(partner, 'aucun (route manquante)')}.")
        loaders.refresh()
        st.rerun()

with st.expander("Doublons probables"):
    c1, c2 = st.columns(2)
    c1.number_input("Distance (m)", min_value=5.0, max_value=1000.0, value=50.0, step=5.0, key="sig_distance")
    c2.number_input("Écart (heures)", min_value=1.0, max_value=720.0, value=72.0, step=1.0, key="sig_heures")
    suggestions = followup.duplicate_suggestions(distance_m=st.session_state["sig_distance"],
                                                 hours=st.session_state["sig_heures"])
    st.caption("Même catégorie, à moins de la distance (Lambert-93) et de l'écart choisis ; signalements encore "
               "ouverts. Confirmez depuis la fiche (statut « Doublon »).")
    st.dataframe(suggestions.rename(columns={"report_id": "Signalement", "original_id": "Original probable",
                                             "category": "Catégorie", "distance_m": "Distance (m)",
                                             "hours_apart": "Écart (h)"}), hide_index=True, width="stretch")
