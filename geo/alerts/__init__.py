"""Alerts for local actors: spike detection on weekly counts, threshold rules, stored alerts and digests.

Modules: :mod:`~geo.alerts.series` (weekly counts), :mod:`~geo.alerts.ears`, :mod:`~geo.alerts.farrington`,
:mod:`~geo.alerts.selection` (which method for which series), :mod:`~geo.alerts.detection`,
:mod:`~geo.alerts.rules` (severity 3, clusters), :mod:`~geo.alerts.registry` (stored alerts and lifecycle),
:mod:`~geo.alerts.partner_lookup` (routing), :mod:`~geo.alerts.digest` (note de veille),
:mod:`~geo.alerts.mail` (SMTP), :mod:`~geo.alerts.schedule` (what is due).
"""
