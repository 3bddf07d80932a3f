"""The table of Streamlit's English texts and their French (the browser tests check the page itself)."""

from __future__ import annotations

import re

import pytest

from ui.french import ENGLISH_MARKERS, EXACT, PATTERNS, script


def translate(text: str) -> str | None:
    """What the injected script does, in Python (the patterns are plain regular expressions)."""
    key = text.strip()
    if key in EXACT:
        return EXACT[key]
    for pattern, replacement in PATTERNS:
        if re.search(pattern, key):
            return re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", replacement), key)
    return None


@pytest.mark.parametrize(("english", "french"), [
    ("Drag and drop file here", "Glissez-déposez un fichier ici"),
    ("Upload", "Choisir un fichier"),
    ("Browse files", "Choisir un fichier"),
    ("200MB per file", "200 Mo par fichier"),
    ("Limit 200MB per file", "200 Mo par fichier"),
    ("Select all", "Tout sélectionner"),
    ("Select 12 matches", "Sélectionner les 12 résultats"),
    ("No results", "Aucun résultat"),
    ("Clear all", "Tout effacer"),
    ("Remove Tags", "Retirer Tags"),
    ("Press Enter to submit form", "Entrée pour envoyer"),
])
def test_streamlit_english_texts_have_their_french(english, french):
    assert translate(english) == french


def test_no_french_text_holds_an_english_marker_and_the_script_carries_the_table():
    for french in [*EXACT.values(), *(r for _, r in PATTERNS)]:
        assert not any(re.search(rf"\b{re.escape(m)}\b", french) for m in ENGLISH_MARKERS), french
    text = script()
    assert "Glissez-déposez un fichier ici" in text and "MutationObserver" in text
    assert "http" not in text, "nothing fetched: it works offline"
