"""Streamlit side of the dashboard: cached loaders, shared widgets and offline map assets."""

from streamlit.runtime.pages_manager import PagesManager as _PagesManager

# Streamlit runs a ``pages/`` folder beside the entry script as a v1 multipage app (each page file
# alone: no sidebar filters, no sections, no ``set_page_config``) until the first ``st.navigation``
# call of the process. When the very first request of a fresh server is a page URL (``/carte``),
# dashboard.py never runs and that call never happens. Every page imports ``ui`` before drawing
# anything, so switch v1 off here, once per process, and rerun the same page through dashboard.py
# (v1 and v2 pages share their URL path, hence their page hash).
if getattr(_PagesManager, "uses_pages_directory", None):
    _PagesManager.uses_pages_directory = False
    import streamlit as _st

    _st.rerun()
