"""Import: upload a file, check how it is read, import it, fix what was set aside."""

import streamlit as st

from geo.errors import InputError
from geo.export.safe_csv import csv_bytes
from geo.ingest.importer import ImportOptions, rejects_table
from geo.ingest.recategorize import apply_category_map
from ui import auth, import_batches, import_form, loaders

auth.guard("import_donnees")

st.title("Importer des signalements")
st.caption("CSV (Excel français, KoboToolbox, ODK Central, FixMyStreet), XLSX, GeoJSON, GeoPackage ou Open311 "
           "(JSON). Le format est reconnu automatiquement ; complétez les colonnes qu'il n'a pas pu deviner.")
with st.expander("Imports déjà faits (lots) — annuler un import", expanded=False):
    import_batches.batch_history()
upload = st.file_uploader("Fichier", type=["csv", "txt", "tsv", "xlsx", "xlsm", "ods", "xls", "geojson", "json",
                                          "gpkg", "zip"], key="import_fichier")
if upload is None:
    st.info("Choisissez un fichier à importer.")
    st.stop()

path = import_form.keep_upload(upload)
try:
    part = import_form.part_widget(path, key=f"import_part_{path.parent.name}")
except InputError as exc:
    st.error(f"Fichier illisible : {exc}")
    st.stop()
with st.expander("Options de lecture", expanded=False):
    o1, o2, o3 = st.columns(3)
    time_format = o1.text_input("Format des dates (facultatif)", placeholder="%d/%m/%Y %H:%M", key="import_fmt")
    encoding = o2.selectbox("Encodage", ["auto", "utf-8", "utf-8-sig", "cp1252", "latin-1"], key="import_enc")
    sep = o3.selectbox("Séparateur", ["auto", ";", ",", "tab", "|"], key="import_sep")
base = ImportOptions(time_format=time_format or None, encoding=None if encoding == "auto" else encoding,
                     sep={"auto": None, "tab": "\t"}.get(sep, sep), timezone=loaders.settings().timezone, **part)
try:
    first = import_form.preview(path, base)
except InputError as exc:
    st.error(f"Fichier illisible : {exc}")
    st.stop()

st.subheader("Colonnes")
st.caption(import_form.describe(first))
chosen = import_form.column_widgets(first.columns, first.mapping, key=f"import_col_{path.parent.name}")
options = ImportOptions(columns=chosen, time_format=base.time_format, encoding=base.encoding, sep=base.sep,
                        timezone=base.timezone, sheet=base.sheet, layer=base.layer)
check = import_form.preview(path, options) if chosen else first
if check.problem:
    st.warning(check.problem)
import_form.show_mapping(check)

st.subheader("Aperçu des premières lignes")
bad = int((check.rows["problèmes"] != "").sum()) if "problèmes" in check.rows else 0
if check.mapping is not None:
    st.caption(f"{bad} ligne(s) sur {len(check.rows)} seraient mises en quarantaine.")
st.dataframe(check.rows, hide_index=True, width="stretch")

if st.button("Importer", type="primary", disabled=check.mapping is None, key="import_go"):
    try:
        summary = import_form.run_import(path, options)
    except InputError as exc:
        st.error(f"Import refusé, rien n'a été enregistré : {exc}")
        st.stop()
    st.session_state["import_resultat"] = summary
    st.rerun()  # the list of batches, drawn above, shows the new one

summary = st.session_state.get("import_resultat")
if summary is None:
    st.stop()
st.subheader(f"Résultat — {summary.source_name}")
m = st.columns(5)
for col, (label, value) in zip(m, (("Lues", summary.read), ("Enregistrées", summary.stored),
                                   ("Doublons", summary.duplicates), ("Quarantaine", summary.quarantined),
                                   ("Hors territoire", summary.outside_territory)), strict=True):
    col.metric(label, value)
for warning in summary.warnings:
    st.warning(warning)
if summary.quarantined:
    rejects = rejects_table(loaders.store().read_quarantine(batch_id=summary.batch_id))
    st.download_button("Télécharger les lignes en quarantaine (CSV)", csv_bytes(rejects),
                       file_name=f"quarantaine-lot-{summary.batch_id}.csv", mime="text/csv")
    st.dataframe(rejects.drop(columns=["ligne_brute"]), hide_index=True, width="stretch")
if summary.unknown_categories:
    st.subheader("Catégories inconnues")
    st.caption("Ces libellés ont été enregistrés sous « autre » ; rattachez-les à une catégorie.")
    tax = loaders.taxonomy()
    codes = list(tax.categories)
    with st.form("import_mapping"):
        mapping = {label: st.selectbox(f"« {label} » ({count})", codes, index=codes.index("autre"),
                                       format_func=lambda c: tax.categories[c].label, key=f"import_map_{label}")
                   for label, count in summary.unknown_categories.items() if label != "(vide)"}
        if st.form_submit_button("Appliquer la correspondance"):
            changed = apply_category_map(loaders.store(), mapping, taxonomy=tax)
            loaders.refresh()
            st.success(f"{changed} signalement(s) reclassé(s).")
