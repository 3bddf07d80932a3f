"""Partenaires: the partners registry and the routing table, editable; the missing routes shown."""

import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.errors import InputError
from geo.export.safe_csv import csv_bytes
from geo.workflow.partners import frame_to_partners, partners_frame
from geo.workflow.routing import (
    DEFAULT_NEIGHBOURHOOD,
    ROUTING_COLUMNS,
    load_registry_files,
    replace_partners,
    replace_routing,
    routable_categories,
)
from ui import auth, followup, loaders

auth.guard("partenaires")

st.title("Partenaires et routage")
tax = loaders.taxonomy()
names = loaders.neighbourhood_names().to_dict()

if st.session_state.get("part_message"):
    kind, message = st.session_state.pop("part_message")
    (st.success if kind == "ok" else st.error)(message)


def saved(action: Callable[..., dict], *args: object) -> None:
    """Run a registry change; keep its outcome (or its French refusal) for the rerun."""
    if not auth.may("edit_routing"):  # the page is coordinators' only; the change is checked again here
        st.session_state["part_message"] = ("erreur", "Votre rôle ne permet pas de modifier le routage.")
        st.rerun()
    try:
        result = action(loaders.store(), *args, taxonomy=tax)
        auth.record("routing_changed", f"{result['partners']} partenaires, {result['routes']} routes")
    except InputError as exc:
        st.session_state["part_message"] = ("erreur", str(exc))
    else:
        st.session_state["part_message"] = ("ok", f"Enregistré : {result['partners']} partenaire(s), "
                                                   f"{result['routes']} route(s), {result['rerouted']} signalement(s) "
                                                   "non encore transmis routés de nouveau.")
    loaders.refresh()
    st.rerun()


missing = followup.missing()
if missing.empty:
    st.success("Chaque catégorie à router a un partenaire dans chaque quartier.")
else:
    st.warning(f"{len(missing)} couple(s) catégorie × quartier sans partenaire : leurs signalements ne peuvent pas "
               "être transmis. Ajoutez une route, ou une route par défaut (quartier « * ») pour la catégorie.")
    st.dataframe(pd.DataFrame({
        "Catégorie": missing["category"].map(lambda c: tax.categories[c].label),
        "Quartier": missing["neighbourhood"].map(lambda q: names.get(q, q)),
        "Signalements ouverts sans partenaire": missing["open_reports"],
    }), hide_index=True, width="stretch")

st.subheader("Registre des partenaires")
st.caption("Identifiant stable (lettres, chiffres, - _ .), nom, type (ville, metropole, bailleur, transport, "
           "police_municipale, ccas…), adresses e-mail séparées par des virgules, délai cible en jours.")
registry = partners_frame(followup.partners())
edited = st.data_editor(registry, num_rows="dynamic", width="stretch", key="part_registre", hide_index=True,
                        column_config={"id": "Identifiant", "name": "Nom", "type": "Type", "emails": "E-mails",
                                       "target_days": st.column_config.NumberColumn("Délai cible (j)", min_value=0,
                                                                                    step=1)})
c1, c2 = st.columns(2)
if c1.button("Enregistrer le registre", type="primary", key="part_registre_ok"):
    try:
        partners = frame_to_partners(edited.dropna(how="all"), source="registre")
    except InputError as exc:
        st.session_state["part_message"] = ("erreur", str(exc))
        st.rerun()
    saved(replace_partners, partners)
c2.download_button("Télécharger (CSV)", csv_bytes(registry), file_name="partenaires.csv", mime="text/csv",
                   key="part_registre_csv")

st.subheader("Table de routage")
st.caption("Une ligne par catégorie et quartier ; « * » comme quartier : route par défaut de la catégorie. "
           f"Catégories à router : {', '.join(routable_categories(tax))}.")
routes = followup.routing()
places = [DEFAULT_NEIGHBOURHOOD, *names]
edited_routes = st.data_editor(
    routes, num_rows="dynamic", width="stretch", key="part_routage", hide_index=True,
    column_config={
        "category": st.column_config.SelectboxColumn("Catégorie", options=list(tax.categories), required=True),
        "neighbourhood": st.column_config.SelectboxColumn("Quartier", options=places, required=True),
        "partner": st.column_config.SelectboxColumn("Partenaire", options=list(registry["id"]), required=True),
    })
c1, c2 = st.columns(2)
if c1.button("Enregistrer la table de routage", type="primary", key="part_routage_ok"):
    saved(replace_routing, edited_routes.dropna(how="all")[list(ROUTING_COLUMNS)])
c2.download_button("Télécharger (CSV)", csv_bytes(routes), file_name="routage.csv", mime="text/csv",
                   key="part_routage_csv")

with st.expander("Charger depuis des fichiers (CSV d'Excel)"):
    st.caption("Comme `python -m geo partners load PARTNERS.csv --routing ROUTING.csv` : "
               "`id;name;type;emails;target_days` et `category;neighbourhood;partner`. Remplace le registre et la "
               "table ; un fichier faux est refusé sans rien changer.")
    partners_file = st.file_uploader("Partenaires", type=["csv", "txt"], key="part_fichier")
    routing_file = st.file_uploader("Routage (facultatif)", type=["csv", "txt"], key="part_fichier_routage")
    if partners_file is not None and st.button("Charger", key="part_fichier_ok"):
        with tempfile.TemporaryDirectory(prefix="veille-partenaires-") as tmp:
            p_path = Path(tmp) / "partners.csv"
            p_path.write_bytes(partners_file.getvalue())
            r_path = None
            if routing_file is not None:
                r_path = Path(tmp) / "routing.csv"
                r_path.write_bytes(routing_file.getvalue())
            saved(lambda store, *_, taxonomy: load_registry_files(store, p_path, r_path, taxonomy=taxonomy))
