"""Comptes: the coordinator creates and disables accounts, and reads who changed what."""

import pandas as pd
import streamlit as st

from geo.errors import InputError
from geo.sharing import accounts
from geo.sharing.roles import PARTENAIRE, RESEAU, ROLES
from ui import auth, loaders, sharing_view, structures

user = auth.guard("comptes")
st.title("Comptes")
store = loaders.store()

with st.form("nouveau_compte", clear_on_submit=True):
    st.subheader("Nouveau compte")
    c1, c2 = st.columns(2)
    login = c1.text_input("Identifiant", key="compte_identifiant")
    name = c2.text_input("Nom affiché (facultatif)", key="compte_nom")
    # the réseau role reads figures of several structures: offered only where several share the database
    offered = [r for r in ROLES if r != RESEAU or structures.several()]
    role = c1.selectbox("Rôle", offered, format_func=ROLES.get, key="compte_role")
    partners = sharing_view.partners()
    partner = c2.selectbox("Partenaire (rôle partenaire)", [None, *partners],
                           format_func=lambda p: "—" if p is None else partners[p], key="compte_partenaire")
    password = c1.text_input("Mot de passe", type="password", key="compte_mot_de_passe",
                             help=f"{accounts.MIN_PASSWORD_CHARS} caractères au moins")
    if st.form_submit_button("Créer le compte", type="primary"):
        try:
            created = accounts.create_user(store, login, password, role=role,
                                           partner_id=partner if role == PARTENAIRE else None,
                                           display_name=name or None, created_by=user.login)
            st.success(f"Compte {created.login} créé.")
        except InputError as exc:
            st.error(str(exc))

st.subheader("Comptes existants")
rows = accounts.list_users(store)
if rows:
    table = pd.DataFrame(rows)
    table["created_at"] = pd.to_datetime(table["created_at"], unit="s").dt.strftime("%d/%m/%Y")
    st.dataframe(table.rename(columns={"login": "Identifiant", "role": "Rôle", "partner_id": "Partenaire",
                                       "display_name": "Nom", "active": "Actif", "created_at": "Créé le",
                                       "created_by": "Créé par"}), hide_index=True, width="stretch")
    others = [r["login"] for r in rows if r["login"] != user.login]
    if others:
        c1, c2 = st.columns([3, 2])
        target = c1.selectbox("Compte", others, key="compte_cible")
        active = next(r["active"] for r in rows if r["login"] == target)
        if c2.button("Désactiver" if active else "Réactiver", key="compte_basculer"):
            accounts.set_active(store, target, not active, by=user.login)
            st.rerun()

st.subheader("Journal des actions")
log = accounts.read_audit(store, limit=200)
if log:
    frame = pd.DataFrame(log)
    frame["at"] = pd.to_datetime(frame["at"], unit="s", utc=True).dt.tz_convert(loaders.settings().timezone)
    frame["at"] = frame["at"].dt.strftime("%d/%m/%Y %H:%M")
    st.dataframe(frame.drop(columns=["id"]).rename(columns={"at": "Quand", "login": "Qui", "action": "Action",
                                                             "detail": "Détail"}), hide_index=True, width="stretch")
else:
    st.caption("Aucune action enregistrée.")
