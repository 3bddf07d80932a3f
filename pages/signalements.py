"""Signalements: search reports, open one (photos, history, place, raw row), change statuses, mark duplicates."""

import pandas as pd
import streamlit as st

from geo.workflow.lifecycle import STATUSES
from geo.workflow.queue import ReportQuery
from ui import auth, followup, loaders, report_sheet
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

report_sheet.show_message()
report_sheet.selection_form(selected)

st.subheader("Fiche d'un signalement")
default = selected[0] if selected else (shown["id"].iloc[0] if len(shown) else None)
options = shown["id"].tolist()
if default is None:
    st.info("Aucun signalement ne correspond à la recherche.")
    st.stop()
report_id = st.selectbox("Signalement", options, index=options.index(default), key="sig_fiche")
report = loaders.store().get_report(report_id)
report_sheet.details(report, found.set_index("id").loc[report_id], taxonomy=tax, names=names,
                     partner_names=partner_names)
report_sheet.status_form(report)
report_sheet.category_form(report, taxonomy=tax)
report_sheet.duplicates_panel()
