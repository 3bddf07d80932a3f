"""One watch run: statistical detection and threshold rules as of a date, routed to partners, optionally stored."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from geo.alerts.detection import DEFAULT_CONFIG, Detection, DetectionConfig, detect
from geo.alerts.partner_lookup import PartnerDirectory
from geo.alerts.registry import AlertDraft, get_subscription, public_view, record
from geo.alerts.rules import proximity_alerts, severity_alerts
from geo.alerts.series import evaluation_cut
from geo.store.database import Store

__all__ = ["WATCH_COLUMNS", "read_watch_reports", "draft_alerts", "run_watch"]

WATCH_COLUMNS = ("id", "observed_at", "lat", "lon", "category", "severity", "status", "neighbourhood")


def read_watch_reports(store: Store, *, timezone: str, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Read the reports detection needs (no free text), observed before the end of ``as_of``."""
    end = evaluation_cut(as_of, timezone=timezone) if as_of is not None else None
    return store.read_reports(columns=WATCH_COLUMNS, end=end, timezone=timezone)


def _partner_of(detection: Detection, reports: pd.DataFrame, directory: PartnerDirectory) -> str | None:
    key = detection.series
    if key.category is not None:
        return directory.route(key.category, key.neighbourhood)
    # all categories: the partner who receives most of the week's reports (ties: first by id)
    behind = reports[reports["id"].isin(detection.report_ids)]
    votes = Counter(p for p in (directory.route(c, key.neighbourhood) for c in behind["category"]) if p)
    if not votes:
        return None
    best = max(votes.values())
    return sorted(p for p, v in votes.items() if v == best)[0]


def draft_alerts(store: Store, reports: pd.DataFrame, *, as_of: pd.Timestamp | str, timezone: str,
                 directory: PartnerDirectory, config: DetectionConfig = DEFAULT_CONFIG,
                 rules: bool = True) -> list[AlertDraft]:
    """Return the alerts of a run as of ``as_of``: statistical alarms, then severity-3 and proximity rules."""
    territory = store.load_territory()
    detections = detect(reports, as_of=as_of, timezone=timezone, config=config,
                        neighbourhoods=territory["code"].astype(str).tolist())
    drafts = []
    for d in detections:
        ev = d.evaluation
        drafts.append(AlertDraft(
            series_key=d.series.key(), kind="statistique", neighbourhood=d.series.neighbourhood,
            category=d.series.category, week=d.week.date().isoformat(), observed=ev.observed,
            expected=ev.expected, threshold=ev.threshold, method=ev.method or "",
            partner=_partner_of(d, reports, directory), report_ids=d.report_ids,
            evidence={**ev.detail, "guard": f"{config.min_reports} en {config.guard_weeks} sem."}))
    if rules:
        cut = evaluation_cut(as_of, timezone=timezone)
        subscriptions: dict[str | None, object] = {}

        def subscription(partner: str | None):  # noqa: ANN202 - cached look-up
            if partner not in subscriptions:
                subscriptions[partner] = get_subscription(store, partner or "")
            return subscriptions[partner]

        drafts += severity_alerts(reports, cut=cut, route=directory.route, subscription=subscription)
        drafts += proximity_alerts(reports, cut=cut, route=directory.route, subscription=subscription)
    return drafts


def run_watch(store: Store, *, as_of: pd.Timestamp | str, timezone: str, directory: PartnerDirectory,
              config: DetectionConfig = DEFAULT_CONFIG, persist: bool = False, rules: bool = True) -> list[dict]:
    """Evaluate as of ``as_of`` using only reports observed up to then; store the alerts when ``persist``.

    Returns
    -------
    list of dict
        One :func:`geo.alerts.registry.public_view` per alert; ``status`` is the stored alert's when
        ``persist`` (or ``None`` for a dry evaluation).
    """
    reports = read_watch_reports(store, timezone=timezone, as_of=as_of)
    drafts = draft_alerts(store, reports, as_of=as_of, timezone=timezone, directory=directory, config=config,
                          rules=rules)
    if persist:
        return [public_view(a) | {"id": a["id"]} for a in record(store, drafts, as_of=str(pd.Timestamp(as_of).date()))]
    return [public_view({**d.__dict__, "status": None}) for d in drafts]
