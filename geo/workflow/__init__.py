"""Follow each report to the partner who acts: partners, routing, statuses with history, photos, activity report.

Public API for other capabilities (alerts, sharing, patrol), all taking a :class:`geo.store.Store`:

* partners -- :class:`Partner` (``id``, ``name``, ``type``, ``emails``, ``target_days``), :func:`read_partners`,
  :func:`get_partner`.
* routing -- :func:`route` (category, quartier → partner id or ``None``), :func:`route_many` (vectorised),
  :func:`missing_routes`, :func:`read_routing`, :func:`load_registry` / :func:`load_registry_files` (replace the
  registry and the table), :func:`change_category` (re-routes). ``reports.partner`` holds each report's partner.
* lifecycle -- :data:`STATUSES`, :func:`change_status` / :func:`change_statuses` (atomic), :func:`read_history`,
  :func:`resolve_report_id` (stored id or source id), :func:`transition_error`.
* queue -- :func:`list_reports` with a :class:`ReportQuery` (age, ageing band, *en retard* per report).
* :mod:`geo.workflow.duplicates` (:func:`~geo.workflow.duplicates.suggest_duplicates`, ``confirm_duplicate``),
  :mod:`geo.workflow.photos` (``add_photo``, ``list_photos``, ``read_photo``: ``display``/``thumbnail`` copies carry
  no metadata, ``original`` is for the coordinator only), :mod:`geo.workflow.activity` (``compute_activity``) and
  :mod:`geo.workflow.activity_pdf` are imported on their own (they pull in scipy, Pillow, ReportLab).
"""

from __future__ import annotations

from geo.workflow.lifecycle import (
    STATUSES,
    change_status,
    change_statuses,
    read_history,
    resolve_report_id,
    transition_error,
)
from geo.workflow.partners import Partner, get_partner, read_partners
from geo.workflow.queue import ReportQuery, list_reports
from geo.workflow.routing import (
    change_category,
    load_registry,
    load_registry_files,
    missing_routes,
    read_routing,
    reroute_reports,
    route,
    route_many,
)

__all__ = ["Partner", "get_partner", "read_partners", "route", "route_many", "missing_routes", "read_routing",
           "load_registry", "load_registry_files", "change_category", "reroute_reports", "STATUSES", "change_status",
           "change_statuses", "read_history", "resolve_report_id", "transition_error", "ReportQuery", "list_reports"]
