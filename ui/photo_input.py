"""The field form's photos: the phone's camera or files, several per report, saved once the report is stored."""

from __future__ import annotations

import streamlit as st

from ui import followup

__all__ = ["photo_fields", "save_with_report"]

_ROUND = "saisie_photos_tour"  # bumped after a save, so that the next report starts with no photo
_ERRORS = "saisie_photos_erreurs"


def photo_fields() -> list:
    """Draw the photo inputs (camera on demand, files) and return the photos taken or chosen so far."""
    round_ = st.session_state.setdefault(_ROUND, 0)
    with st.container(border=True):
        st.markdown("**Photos** (facultatif)")
        for problem in st.session_state.pop(_ERRORS, []):
            st.error(f"Photo non enregistrée : {problem}", icon="⚠️")
        files = st.file_uploader("Photos du téléphone ou fichiers", type=["jpg", "jpeg", "png", "webp", "heic"],
                                 accept_multiple_files=True, key=f"saisie_photos_{round_}",
                                 help="Le lieu (GPS) et les données personnelles des photos sont retirés avant "
                                      "tout affichage hors coordination.")
        shot = None
        if st.toggle("Prendre une photo avec l'appareil", key=f"saisie_camera_on_{round_}"):
            shot = st.camera_input("Appareil photo", key=f"saisie_camera_{round_}")
    return [*(files or []), *([shot] if shot is not None else [])]


def save_with_report(report_id: str, photos: list, *, added_by: str | None = None) -> list[str]:
    """Store ``photos`` with the report just recorded and clear the inputs; return error messages, if any."""
    errors = followup.save_photos(report_id, photos, added_by=added_by) if photos else []
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    st.session_state[_ERRORS] = errors
    return errors
