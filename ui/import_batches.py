"""The Import page's list of batches, with an undo in two steps (choose, then confirm)."""

from __future__ import annotations

import streamlit as st

from geo.errors import InputError
from geo.ingest.batches import batch_table, remove_batch
from ui import auth, loaders

__all__ = ["batch_history", "session_user"]

_PENDING = "lots_a_confirmer"
_DONE = "lots_message"
_RESULT = "import_resultat"  # the Import page's last result: forgotten when its batch is undone


def session_user() -> str | None:
    """Return the signed-in user's name (or e-mail) when the app has sign-in, else ``None``."""
    signed_in = auth.current_user()
    if signed_in is not None and signed_in != auth.LOCAL_USER:
        return signed_in.login
    user = st.user.to_dict()  # without sign-in configured: no ``is_logged_in``
    if not user.get("is_logged_in"):
        return None
    return user.get("name") or user.get("email")


def batch_history() -> None:
    """Draw the imported batches with their counts, and let a coordinator undo one after confirming."""
    store = loaders.store()
    table = batch_table(store, timezone=loaders.settings().timezone)
    if _DONE in st.session_state:
        st.success(st.session_state.pop(_DONE))
    if table.empty:
        st.caption("Aucun fichier importé pour l'instant.")
        return
    st.dataframe(table.drop(columns=["annulable"]), hide_index=True, width="stretch")
    undoable = table[table["annulable"]].set_index("lot")
    if undoable.empty:
        return

    def label(lot: int) -> str:
        row = undoable.loc[lot]
        return (f"Lot {lot} — {row['fichier']} ({row['importé le']}) : {row['enregistrées']} signalement(s), "
                f"{row['quarantaine']} en quarantaine")

    c1, c2 = st.columns([3, 2])
    chosen = c1.selectbox("Annuler un import", undoable.index.tolist(), index=None, format_func=label,
                          placeholder="Choisir le lot à annuler", key="lots_choix")
    who = c2.text_input("Votre nom (noté avec l'annulation)", value=session_user() or "", key="lots_nom")
    if chosen is None:
        st.session_state.pop(_PENDING, None)
        return
    if st.session_state.get(_PENDING) != chosen:
        if st.button("Annuler ce lot…", key="lots_annuler"):
            st.session_state[_PENDING] = chosen
            st.rerun()
        return
    row = undoable.loc[chosen]
    st.warning(f"Retirer le lot {chosen} ({row['fichier']}) : ses {row['enregistrées']} signalement(s), ses "
               f"{row['quarantaine']} ligne(s) en quarantaine et le fichier conservé ? Les signalements saisis sur "
               "le terrain ne sont jamais touchés. Le fichier pourra être réimporté avec d'autres options.")
    yes, no = st.columns(2)
    if yes.button("Oui, annuler ce lot", type="primary", key="lots_confirmer"):
        st.session_state.pop(_PENDING, None)
        try:
            removal = remove_batch(store, int(chosen), removed_by=who.strip() or None)
        except InputError as exc:
            st.error(f"Lot non annulé : {exc}")
            return
        auth.record("batch_removed", f"lot {removal.batch_id}")
        loaders.refresh()
        result = st.session_state.get(_RESULT)
        if result is not None and result.batch_id == removal.batch_id:
            st.session_state.pop(_RESULT)
        st.session_state[_DONE] = (f"Lot {removal.batch_id} annulé : {removal.removed_reports} signalement(s) et "
                                   f"{removal.removed_quarantine} ligne(s) en quarantaine retirés.")
        st.session_state.pop("lots_choix", None)
        st.rerun()
    if no.button("Non, garder ce lot", key="lots_garder"):
        st.session_state.pop(_PENDING, None)
        st.rerun()
