"""Gather a plan's candidate stops from the sources a coordinator picks: files, open reports, hot spots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.errors import InputError
from geo.patrol.targets import HOTSPOTS_UNAVAILABLE, Target, read_targets, targets_from_hotspots, targets_from_overdue
from geo.patrol.walking import to_lambert93
from geo.settings import Settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from geo.analysis.permutation_worker import PermutationWorker

__all__ = ["collect_targets", "overdue_targets", "hotspot_targets", "HOTSPOT_WEEKS"]

HOTSPOT_WEEKS = 8


def overdue_targets(store: Store, *, settings: Settings, now: datetime, limit: int = 30) -> list[Target]:
    """Return the open reports of ``store`` waiting longest, as targets (see :func:`targets_from_overdue`)."""
    taxonomy = load_taxonomy(settings.taxonomy_path)
    reports = store.read_reports(columns=["id", "observed_at", "lat", "lon", "category", "severity", "status"],
                                 timezone=settings.timezone)
    labels = {code: category.label for code, category in taxonomy.categories.items()}
    return targets_from_overdue(reports, open_statuses=taxonomy.open_statuses, now=pd.Timestamp(now),
                                limit=limit, labels=labels, status_labels=taxonomy.statuses)


def hotspot_targets(store: Store, *, settings: Settings, now: datetime, weeks: int = HOTSPOT_WEEKS,
                    limit: int = 30, worker: PermutationWorker | None = None) -> list[Target]:
    """Return the hot-spot cells of the last ``weeks`` weeks' reports as targets (:func:`targets_from_hotspots`).

    ``worker``: compute the permutation inference in that process (an app server: see
    :mod:`geo.analysis.permutation_worker`); by default in this one.

    Raises
    ------
    InputError
        "analyse des points chauds indisponible" while :mod:`geo.analysis.hotspots` is not part of the
        package; the analysis' own message when there are too few reports.
    """
    try:
        from geo.analysis.hotspots import report_hotspots  # noqa: PLC0415 - esda/numba only when asked for
    except ImportError:
        raise InputError(HOTSPOTS_UNAVAILABLE) from None
    end = pd.Timestamp(now)
    reports = store.read_reports(columns=["lat", "lon", "neighbourhood"], start=end - pd.Timedelta(weeks=weeks),
                                 end=end, timezone=settings.timezone)
    reports = reports[reports["neighbourhood"].notna()]
    grid, cells, _ = report_hotspots(reports, store.load_territory(), worker=worker)
    lat, lon = reports["lat"].to_numpy(float), reports["lon"].to_numpy(float)
    report_xy = to_lambert93(list(zip(lat.tolist(), lon.tolist(), strict=True)))
    cell_xy = np.column_stack([cells["x"].to_numpy(float), cells["y"].to_numpy(float)])
    return targets_from_hotspots(cells, cell_of_report=grid.locate(lat, lon), report_xy=report_xy,
                                 cell_xy=cell_xy, weeks=weeks, limit=limit)


def collect_targets(settings: Settings, *, files: Sequence[str | Path] = (), from_hotspots: bool = False,
                    from_overdue: bool = False, now: datetime, store: Store | None = None) -> list[Target]:
    """Return the candidate stops of the chosen sources, files first."""
    targets: list[Target] = []
    for path in files:
        targets += read_targets(path)
    if from_overdue or from_hotspots:
        store = store or Store(settings.db_url)
    if from_overdue:
        targets += overdue_targets(store, settings=settings, now=now)
    if from_hotspots:
        targets += hotspot_targets(store, settings=settings, now=now)
    return targets
