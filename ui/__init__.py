"""Streamlit side of the dashboard: cached loaders, shared widgets and offline map assets."""
