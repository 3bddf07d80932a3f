"""Settings of accounts, privacy and retention, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from geo.errors import InputError

__all__ = ["EXPORT_FORMATS", "SharingSettings", "load_sharing_settings"]

EXPORT_FORMATS = ("html", "gpkg", "geojson", "csv", "pdf")
"""Formats of ``python -m geo export`` and of the *Partage* page."""


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{name} doit être un nombre ; trouvé {raw!r}") from None
    if value < minimum:
        raise InputError(f"{name} doit valoir au moins {minimum:g} ; trouvé {raw!r}")
    return value


@dataclass(frozen=True)
class SharingSettings:
    """What accounts, the partner view and retention are configured with.

    Attributes
    ----------
    auth_enabled
        ``VEILLE_AUTH`` (``on`` by default). ``off`` skips the login: only for local single-user use, tests
        and demos on one's own machine; everybody is then a coordinator named ``local``.
    session_minutes
        ``VEILLE_SESSION_MINUTES``: a session's lifetime from its login (default 8 h).
    max_failures, failure_window_minutes
        Login throttling: after ``VEILLE_LOGIN_MAX_FAILURES`` wrong passwords (default 5) within
        ``VEILLE_LOGIN_WINDOW_MINUTES`` (default 15), the login is refused until the window has passed.
    snap_mode, snap_metres, h3_resolution
        How points are generalised for partners: ``VEILLE_SNAP_MODE`` ``grid`` (default: centre of a
        ``VEILLE_SNAP_METRES`` square of the Lambert-93 grid, default 100 m) or ``h3`` (centre of the H3 cell
        of resolution ``VEILLE_H3_RESOLUTION``, default 9).
    min_count
        Aggregate cells with fewer reports are shown as « < 3 » (3, INSEE's rule; ``VEILLE_MIN_COUNT``).
    retention_months
        ``VEILLE_RETENTION_MONTHS``: reports older than this are anonymised by ``python -m geo retention``
        (default 24).
    """

    auth_enabled: bool = True
    session_minutes: float = 480.0
    max_failures: int = 5
    failure_window_minutes: float = 15.0
    snap_mode: Literal["grid", "h3"] = "grid"
    snap_metres: float = 100.0
    h3_resolution: int = 9
    min_count: int = 3
    retention_months: int = 24


def load_sharing_settings(env: Mapping[str, str] | None = None) -> SharingSettings:
    """Return the settings from ``env`` (the process environment by default)."""
    env = os.environ if env is None else env
    auth = env.get("VEILLE_AUTH", "on").strip().lower()
    if auth not in ("on", "off"):
        raise InputError(f"VEILLE_AUTH doit valoir « on » ou « off » ; trouvé {auth!r}")
    mode = env.get("VEILLE_SNAP_MODE", "grid").strip().lower()
    if mode not in ("grid", "h3"):
        raise InputError(f"VEILLE_SNAP_MODE doit valoir « grid » ou « h3 » ; trouvé {mode!r}")
    return SharingSettings(
        auth_enabled=auth == "on",
        session_minutes=_number(env, "VEILLE_SESSION_MINUTES", 480.0, minimum=1),
        max_failures=int(_number(env, "VEILLE_LOGIN_MAX_FAILURES", 5, minimum=1)),
        failure_window_minutes=_number(env, "VEILLE_LOGIN_WINDOW_MINUTES", 15.0, minimum=1),
        snap_mode=mode,  # type: ignore[arg-type]
        snap_metres=_number(env, "VEILLE_SNAP_METRES", 100.0, minimum=10),
        h3_resolution=int(_number(env, "VEILLE_H3_RESOLUTION", 9, minimum=0)),
        min_count=int(_number(env, "VEILLE_MIN_COUNT", 3, minimum=2)),
        retention_months=int(_number(env, "VEILLE_RETENTION_MONTHS", 24, minimum=1)),
    )
