"""The embedded demo: an approximate Dijon territory and plausible reports with planted patterns."""

from __future__ import annotations

from geo.demo.build import build_demo_store
from geo.demo.reports import generate_demo_reports
from geo.demo.territory import build_demo_territory

__all__ = ["build_demo_store", "build_demo_territory", "generate_demo_reports"]
