"""The Import page's choice of sheet / layer / archive member, when a file holds several tables."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest


def _part_app(path: str) -> None:
    from pathlib import Path  # AppTest runs this function alone, as a script

    import streamlit as st

    from ui import import_form

    st.json(import_form.part_widget(Path(path), key="part"))


def _workbook(tmp_path, sheets: dict[str, pd.DataFrame]):
    path = tmp_path / "classeur.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_a_workbook_with_several_sheets_offers_a_choice(tmp_path):
    frame = pd.DataFrame({"date": ["2026-03-01"], "categorie": ["tags"], "latitude": [47.3], "longitude": [5.0]})
    path = _workbook(tmp_path, {"Mars": frame, "Avril": pd.concat([frame, frame])})
    at = AppTest.from_function(_part_app, args=(str(path),), default_timeout=30)
    at.run()
    (box,) = at.selectbox
    assert box.label == "Feuille à importer"
    assert box.options == ["Toutes les feuilles de même en-tête (ou la seule remplie)", "Mars (1 ligne)",
                           "Avril (2 lignes)"]
    assert at.json[0].value == '{"sheet": null, "layer": null}'
    box.select("Avril").run()
    assert at.json[0].value == '{"sheet": "Avril", "layer": null}'


def test_a_workbook_with_one_sheet_offers_no_choice(tmp_path):
    frame = pd.DataFrame({"date": ["2026-03-01"], "categorie": ["tags"]})
    at = AppTest.from_function(_part_app, args=(str(_workbook(tmp_path, {"Seule": frame})),), default_timeout=30)
    at.run()
    assert not at.selectbox
