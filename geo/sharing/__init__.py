"""Sharing with partners: accounts and roles, the privacy of the partner view, retention, exports.

Sits above analysis (store < ingest < analysis < workflow/sharing); never imports streamlit.
"""
