"""Files people take away: the safe CSV writer (and, later, maps and bulletins for partners)."""

from __future__ import annotations

from geo.export.safe_csv import csv_bytes, csv_text, neutralise_frame, write_csv

__all__ = ["csv_bytes", "csv_text", "neutralise_frame", "write_csv"]
