"""Veille territoriale: reports, territory, aggregation and maps for social mediation teams.

This package never imports Streamlit: the dashboard (``pages/``, ``ui/``) and the command line
(``python -m geo``) are two faces of the same functions.
"""

__version__ = "0.1.0"
