"""Follow each report to the partner who acts: partners, routing, statuses with history, photos, activity report.

Public API for other capabilities (alerts, sharing, patrol):

* :mod:`geo.workflow.partners` -- :class:`Partner`, :func:`read_partners`, :func:`get_partner`.
* :mod:`geo.workflow.routing` -- :func:`route`, :func:`route_many`, :func:`missing_routes`,
  :func:`load_registry`, :func:`load_registry_files`, :func:`read_routing`, :func:`reroute_reports`.
"""

from __future__ import annotations

from geo.workflow.partners import Partner, get_partner, read_partners
from geo.workflow.routing import (
    load_registry,
    load_registry_files,
    missing_routes,
    read_routing,
    reroute_reports,
    route,
    route_many,
)

__all__ = ["Partner", "get_partner", "read_partners", "load_registry", "load_registry_files", "missing_routes",
           "read_routing", "reroute_reports", "route", "route_many"]
