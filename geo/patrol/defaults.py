"""Default planning parameters, in a module light enough for the command line's help to import."""

from __future__ import annotations

__all__ = ["DEFAULT_DWELL_MINUTES", "DEFAULT_SPEED_KMH", "DEFAULT_DETOUR", "DEFAULT_TIME_LIMIT_S"]

DEFAULT_DWELL_MINUTES = 15.0
"""Time at each stop: 10–15 minutes of visible presence deter far longer than a walk past (Koper curve)."""
DEFAULT_SPEED_KMH = 4.5
"""Walking speed of a team on a round."""
DEFAULT_DETOUR = 1.3
"""Walked over straight-line distance without a street network (urban circuity is typically 1.2–1.4)."""
DEFAULT_TIME_LIMIT_S = 3.0
"""Solver time limit: 100 candidates and 4 teams reach within 2 % of a 60-second solve (bench/patrol.py)."""
