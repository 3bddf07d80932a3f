"""The Signalements page's report sheet and the forms that change reports.

One report's details, history, photos and place; status changes of a selection or of one report, category
changes; the message said after the rerun that follows every action.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import InputError
from geo.taxonomy import Taxonomy
from geo.workflow.lifecycle import STATUSES, TRANSITIONS, change_statuses
from geo.workflow.routing import change_category
from ui import auth, followup, loaders

_MESSAGE = "sig_message"


def show_message() -> None:
    """Say what the last action did (it is stored before the rerun that follows every action)."""
    if st.session_state.get(_MESSAGE):
        kind, message = st.session_state.pop(_MESSAGE)
        (st.success if kind == "ok" else st.error)(message)


def _when_inputs(key: str) -> pd.Timestamp:
    """Date and time of a change (now by default; a relay made yesterday can be entered today)."""
    tz = loaders.settings().timezone
    now = pd.Timestamp.now(tz=tz)
    c1, c2 = st.columns(2)
    day = c1.date_input("Date du changement", value=now.date(), max_value=now.date(), format="DD/MM/YYYY",
                        key=f"{key}_jour")
    hour = c2.time_input("Heure", value=now.time().replace(second=0, microsecond=0), step=dt.timedelta(minutes=5),
                         key=f"{key}_heure")
    return min(pd.Timestamp.combine(day, hour).tz_localize(tz), now)


def _apply_change(ids: list[str], status: str, *, at: pd.Timestamp, by: str, comment: str,
                  duplicate_of: str | None = None) -> None:
    """Change the status of ``ids`` (all or none), say what happened after the rerun."""
    user = auth.current_user()  # the signed-in account, when there is sign-in
    by = user.login if user is not None and user != auth.LOCAL_USER else by
    try:
        done = change_statuses(loaders.store(), ids, status, at=at, by=by or None, comment=comment or None,
                               duplicate_of=duplicate_of)
    except InputError as exc:
        st.session_state[_MESSAGE] = ("erreur", str(exc))
    else:
        st.session_state[_MESSAGE] = ("ok", f"{len(done)} signalement(s) passé(s) à « "
                                            f"{followup.STATUS_LABELS[status]} ».")
    loaders.refresh()
    st.rerun()


def selection_form(selected: list[str]) -> None:
    """One status change applied to every selected report, all or none."""
    st.subheader("Action sur la sélection")
    if not selected:
        st.caption("Cochez des lignes du tableau pour agir sur plusieurs signalements à la fois (tout ou rien).")
        return
    with st.form("sig_lot"):
        st.write(f"{len(selected)} signalement(s) sélectionné(s).")
        status = st.selectbox("Nouveau statut", [s for s in STATUSES if s != "doublon"],
                              format_func=followup.STATUS_LABELS.get, index=1, key="sig_lot_statut")
        at = _when_inputs("sig_lot")
        by = st.text_input("Par", key="sig_lot_par")
        comment = st.text_input("Commentaire", key="sig_lot_commentaire")
        if st.form_submit_button("Appliquer à la sélection", type="primary"):
            _apply_change(selected, status, at=at, by=by, comment=comment)


def details(report: dict, row: pd.Series, *, taxonomy: Taxonomy, names: dict[str, str],
            partner_names: dict[str, str]) -> None:
    """Show the report's facts, description, history, photos (and add some), raw row and place on a small map."""
    report_id = report["id"]
    left, right = st.columns([3, 2])
    with left:
        category = report["category"]
        label = taxonomy.categories[category].label if category in taxonomy.categories else category
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
        _history(report_id)
        _photos(report_id)
        # lazy: the raw row may mean reading the whole kept file again (tens of seconds for millions of rows),
        # so it is read only once the expander is opened, never on every render of the sheet
        raw_box = st.expander("Ligne brute importée", key="sig_brute", on_change="rerun")
        with raw_box:
            if raw_box.open:
                with st.spinner("Lecture de la ligne dans le fichier importé…"):
                    raw = loaders.raw_row(report_id)
                if raw:
                    st.json(raw)
                else:
                    st.caption("Aucune ligne brute conservée pour ce signalement.")
    with right:
        st_folium(followup.report_map(float(report["lat"]), float(report["lon"])), key="sig_carte", height=260,
                  use_container_width=True, returned_objects=[])


def _history(report_id: str) -> None:
    history = followup.history(report_id)
    st.markdown("**Historique**")
    if history.empty:
        st.caption("Aucun changement de statut.")
    else:
        st.dataframe(followup.history_table(history), hide_index=True, width="stretch")


def _photos(report_id: str) -> None:
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
        st.session_state[_MESSAGE] = ("erreur", " ; ".join(problems)) if problems else (
            "ok", f"{len(added)} photo(s) enregistrée(s).")
        st.rerun()


def status_form(report: dict) -> None:
    """Offer the statuses this report can move to, with the probable original when it is marked as a duplicate."""
    report_id = report["id"]
    st.markdown("**Changer le statut**")
    allowed = sorted(TRANSITIONS.get(report["status"], ()), key=STATUSES.index)
    if not allowed:
        st.caption("Aucun changement possible depuis ce statut.")
        return
    suggestions = followup.duplicate_suggestions(distance_m=st.session_state.get("sig_distance", 50.0),
                                                 hours=st.session_state.get("sig_heures", 72.0))
    mine = suggestions[suggestions["report_id"] == report_id]
    with st.form("sig_statut"):
        status = st.selectbox("Nouveau statut", allowed, format_func=followup.STATUS_LABELS.get, key="sig_statut_v")
        at = _when_inputs("sig_statut")
        by = st.text_input("Par", key="sig_statut_par")
        comment = st.text_input("Commentaire", key="sig_statut_commentaire")
        hint = (f"Doublon probable de {mine['original_id'].iloc[0]} ({mine['distance_m'].iloc[0]:.0f} m, "
                f"{mine['hours_apart'].iloc[0]:.0f} h d'écart)") if len(mine) else "Aucun doublon probable trouvé."
        original = st.text_input("Original (pour « Doublon »)", help=hint, key=f"sig_original_{report_id}",
                                 value=mine["original_id"].iloc[0] if len(mine) else "")
        if st.form_submit_button("Enregistrer le changement", type="primary"):
            _apply_change([report_id], status, at=at, by=by, comment=comment,
                          duplicate_of=(original.strip() or None) if status == "doublon" else None)
    st.caption(hint)


def category_form(report: dict, *, taxonomy: Taxonomy) -> None:
    """Change the report's category; its partner follows the routing table."""
    report_id = report["id"]
    with st.form("sig_categorie"):
        codes = list(taxonomy.categories)
        new_category = st.selectbox("Catégorie", codes, format_func=lambda c: taxonomy.categories[c].label,
                                    index=codes.index(report["category"]) if report["category"] in codes else 0,
                                    key=f"sig_categorie_{report_id}")
        if st.form_submit_button("Changer la catégorie (et le partenaire)"):
            change_category(loaders.store(), [report_id], new_category, taxonomy=taxonomy)
            partner = loaders.store().get_report(report_id)["partner"]
            st.session_state[_MESSAGE] = ("ok", f"Catégorie changée ; partenaire : "
                                                f"{followup.partner_names().get(partner, 'aucun (route manquante)')}.")
            loaders.refresh()
            st.rerun()


def duplicates_panel() -> None:
    """Probable duplicates among open reports, within a distance and a time gap the user chooses."""
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
