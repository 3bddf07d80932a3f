"""French for the texts Streamlit's own widgets write in English (it has no locale option).

Streamlit's file uploader ("Drag and drop file here", "Upload", "200MB per file"), multiselect ("Select all",
"Select 3 matches", "No results", "Clear all") and input hints ("Press Enter to apply") are written by its
JavaScript, in English. :func:`french_interface` injects, once per page run, a small script (no network, no
file to fetch) that watches the page and rewrites those texts, and the titles/labels read aloud, into French
as soon as Streamlit draws or redraws them.
"""

from __future__ import annotations

import json
from typing import Final

import streamlit as st

__all__ = ["EXACT", "PATTERNS", "ENGLISH_MARKERS", "french_interface", "script"]

EXACT: Final[dict[str, str]] = {
    "Drag and drop file here": "Glissez-déposez un fichier ici",
    "Drag and drop a file here": "Glissez-déposez un fichier ici",
    "Drag and drop files here": "Glissez-déposez des fichiers ici",
    "Drag and drop directories here": "Glissez-déposez des dossiers ici",
    "Upload": "Choisir un fichier",
    "Browse files": "Choisir un fichier",
    "Add files": "Ajouter des fichiers",
    "Upload directories": "Choisir des dossiers",
    "Select all": "Tout sélectionner",
    "No results": "Aucun résultat",
    "Clear all": "Tout effacer",
    "Selected values": "Valeurs choisies",
    "Multiselect options": "Options",
    "Open": "Ouvrir",
    "Press Enter to apply": "Entrée pour valider",
    "Press Enter to submit form": "Entrée pour envoyer",
    "Press ⌘+Enter to apply": "⌘+Entrée pour valider",
    "Press Ctrl+Enter to apply": "Ctrl+Entrée pour valider",
    "Press ⌘+Enter to submit form": "⌘+Entrée pour envoyer",
    "Press Ctrl+Enter to submit form": "Ctrl+Entrée pour envoyer",
    "Choose an option": "Choisir…",
    "Choose options": "Choisir…",
    "Download as CSV": "Télécharger (CSV)",
    "Search": "Rechercher",
    "Fullscreen": "Plein écran",
    "Close fullscreen": "Quitter le plein écran",
    "Show/hide columns": "Afficher/masquer des colonnes",
    "Show data": "Voir les données",
    "Download as PNG": "Télécharger (PNG)",
    "Copy Vega-Lite spec": "Copier la spécification Vega-Lite",
    "Running...": "Calcul en cours…",
    "Stop": "Arrêter",
    "Rerun": "Relancer",
}
"""Whole texts (trimmed) replaced as they are."""

PATTERNS: Final[list[tuple[str, str]]] = [
    # "200MB per file", "Limit 200MB per file" (older Streamlit), "1.5GB per file"
    (r"^(?:Limit )?(\d+(?:\.\d+)?)\s*([KMGT]?)B per file$", "$1 $2o par fichier"),
    (r"^Select (\d+) matches$", "Sélectionner les $1 résultats"),
    (r"^Add: (.*)$", "Ajouter : $1"),
    (r"^Remove (.*)$", "Retirer $1"),
    (r"^(.*) files are not allowed\.$", "Fichiers $1 refusés."),
    (r"^File must be (.*) or smaller\.$", "Le fichier doit faire $1 au plus."),
    (r"^You can only select up to (\d+) (.*)\. Remove an option first\.$",
     "Au plus $1 choix : retirez-en un d'abord."),
]
"""JavaScript regular expressions and their replacement (``$1``…), tried when no exact text matches."""

ENGLISH_MARKERS: Final = ("Drag and drop", "Upload", "Browse files", "per file", "Limit", "Select all",
                          "matches", "No results", "Clear all", "Press Enter")
"""English fragments that must never be seen (the browser tests look for them)."""

_SCRIPT = """
<script>
(function () {
  if (window.__veilleFrench) { return; }
  window.__veilleFrench = true;
  var exact = %(exact)s;
  var patterns = %(patterns)s.map(function (p) { return [new RegExp(p[0]), p[1]]; });
  function translate(text) {
    var key = text.trim();
    if (!key) { return null; }
    if (Object.prototype.hasOwnProperty.call(exact, key)) { return text.replace(key, exact[key]); }
    for (var i = 0; i < patterns.length; i++) {
      if (patterns[i][0].test(key)) {
        return text.replace(key, key.replace(patterns[i][0], patterns[i][1]));
      }
    }
    return null;
  }
  var ATTRS = ["title", "aria-label", "placeholder"];
  function fixNode(node) {
    if (node.nodeType === 3) {
      var t = translate(node.nodeValue);
      if (t !== null && t !== node.nodeValue) { node.nodeValue = t; }
      return;
    }
    if (node.nodeType !== 1) { return; }
    for (var a = 0; a < ATTRS.length; a++) {
      var v = node.getAttribute && node.getAttribute(ATTRS[a]);
      if (v) { var tv = translate(v); if (tv !== null && tv !== v) { node.setAttribute(ATTRS[a], tv); } }
    }
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var n = walker.nextNode();
    while (n) {
      if (n.nodeType === 3) {
        var tt = translate(n.nodeValue);
        if (tt !== null && tt !== n.nodeValue) { n.nodeValue = tt; }
      } else {
        for (var b = 0; b < ATTRS.length; b++) {
          var w = n.getAttribute(ATTRS[b]);
          if (w) { var tw = translate(w); if (tw !== null && tw !== w) { n.setAttribute(ATTRS[b], tw); } }
        }
      }
      n = walker.nextNode();
    }
  }
  fixNode(document.body);
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.type === "characterData") { fixNode(r.target); }
      else if (r.type === "attributes") { fixNode(r.target); }
      else { for (var j = 0; j < r.addedNodes.length; j++) { fixNode(r.addedNodes[j]); } }
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true,
                             attributeFilter: ATTRS});
})();
</script>
"""

_STYLE = """
<style>
[data-testid="stFileUploaderDropzoneInstructions"] span { white-space: normal; }
/* less blank space under the top navigation bar */
[data-testid="stMainBlockContainer"] { padding-top: 4.5rem; }
/* the blocks that only carry a script take no room */
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) { display: none; }
</style>
"""


def script() -> str:
    """Return the ``<script>`` that rewrites Streamlit's English texts into French (idempotent in a page)."""
    return _SCRIPT % {"exact": json.dumps(EXACT, ensure_ascii=False), "patterns": json.dumps(PATTERNS)}


def french_interface() -> None:
    """Inject the translation script (and its style) into the page; call it once per run, before the pages."""
    st.html(script(), unsafe_allow_javascript=True, width="content")
    st.html(_STYLE)
