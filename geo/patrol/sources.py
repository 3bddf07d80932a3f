"""Gather a plan's candidate stops from the sources a coordinator picks: files, open reports, hot spots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from geo.patrol.targets import Target, read_targets, targets_from_hotspots, targets_from_overdue
from geo.settings import Settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

__all__ = ["collect_targets", "overdue_targets"]


def overdue_targets(store: Store, *, settings: Settings, now: datetime, limit: int = 30) -> list[Target]:
    """Return the open reports of ``store`` waiting longest, as targets (see :func:`targets_from_overdue`)."""
    taxonomy = load_taxonomy(settings.taxonomy_path)
    reports = store.read_reports(columns=["id", "observed_at", "lat", "lon", "category", "severity", "status"],
                                 timezone=settings.timezone)
    labels = {code: category.label for code, category in taxonomy.categories.items()}
    return targets_from_overdue(reports, open_statuses=taxonomy.open_statuses, now=pd.Timestamp(now),
                                limit=limit, labels=labels, status_labels=taxonomy.statuses)


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
        targets += targets_from_hotspots(store, settings=settings, now=now)
    return targets
