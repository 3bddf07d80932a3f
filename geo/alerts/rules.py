"""Threshold rules on top of detection, configurable per partner (:class:`geo.alerts.registry.Subscription`).

* **Severity 3**: any report of severity 3 (danger: immediate relay) observed in the last ``window_days``
  before the evaluation cut raises an alert for its partner at once (one alert per report).
* **Proximity**: ``N`` reports of one category within ``D`` metres of one of them (Lambert-93 distances,
  EPSG:2154) observed within the last ``H`` hours before the cut. Clusters are taken greedily: the report with
  the most neighbours first, its neighbours removed, and so on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.alerts.registry import AlertDraft, Subscription
from geo.alerts.series import week_of

__all__ = ["severity_alerts", "proximity_alerts", "to_lambert93"]

_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def to_lambert93(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return ``(x, y)`` metres in Lambert-93 for WGS84 longitudes and latitudes."""
    x, y = _TO_L93.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def _week(times: pd.Series) -> pd.Series:
    return times.map(lambda t: week_of(t).date().isoformat())


def severity_alerts(reports: pd.DataFrame, *, cut: pd.Timestamp, route: Callable[[str, str | None], str | None],
                    subscription: Callable[[str | None], Subscription], window_days: float = 7.0
                    ) -> list[AlertDraft]:
    """Return one alert per severity-3 report observed in ``[cut − window_days, cut)``.

    Reports whose partner's subscription has ``severity3`` off raise none.
    """
    recent = reports[(reports["observed_at"] < cut) & (reports["observed_at"] >= cut - pd.Timedelta(days=window_days))
                     & (reports["severity"] == 3)]
    drafts = []
    for row, week in zip(recent.itertuples(index=False), _week(recent["observed_at"]), strict=True):
        partner = route(row.category, row.neighbourhood)
        if not subscription(partner).severity3:
            continue
        drafts.append(AlertDraft(
            series_key=f"sev|{row.id}", kind="severite", neighbourhood=row.neighbourhood, category=row.category,
            week=week, observed=1, expected=None, threshold=None, method="regle_gravite_3", partner=partner,
            report_ids=[str(row.id)], evidence={"observed_at": row.observed_at.isoformat()}))
    return drafts


def _clusters(xy: np.ndarray, n: int, distance: float) -> list[np.ndarray]:
    tree = cKDTree(xy)
    neighbours = [np.asarray(v) for v in tree.query_ball_point(xy, r=distance)]
    free = np.ones(len(xy), dtype=bool)
    found = []
    for i in np.argsort([-len(v) for v in neighbours], kind="stable"):
        if not free[i]:
            continue
        members = neighbours[i][free[neighbours[i]]]
        if len(members) >= n:
            found.append(members)
            free[members] = False
    return found


def proximity_alerts(reports: pd.DataFrame, *, cut: pd.Timestamp,
                     route: Callable[[str, str | None], str | None],
                     subscription: Callable[[str | None], Subscription]) -> list[AlertDraft]:
    """Return one alert per cluster of ``N`` reports of a category within ``D`` metres in ``H`` hours.

    Each report is judged with its partner's rule (``N``, ``D``, ``H`` of the partner it routes to).
    """
    window = reports[(reports["observed_at"] < cut)
                     & (reports["observed_at"] >= cut - pd.Timedelta(days=31))].copy()
    if window.empty:
        return []
    window["partner"] = [route(c, n) for c, n in zip(window["category"], window["neighbourhood"], strict=True)]
    drafts = []
    for (category, partner), candidates in window.groupby(["category", window["partner"].fillna("")], sort=True):
        rule = subscription(partner or None)
        group = candidates[candidates["observed_at"] >= cut - pd.Timedelta(hours=rule.cluster_hours)]
        if len(group) < rule.cluster_n:
            continue
        xy = to_lambert93(group["lon"].to_numpy(), group["lat"].to_numpy())
        for members in _clusters(xy, rule.cluster_n, rule.cluster_distance_m):
            part = group.iloc[members]
            nbh = part["neighbourhood"].dropna().mode()
            neighbourhood = str(nbh.iloc[0]) if len(nbh) else None
            centre = xy[members].mean(axis=0)
            drafts.append(AlertDraft(
                series_key=f"prox|{category}|{partner}|{neighbourhood}", kind="proximite",
                neighbourhood=neighbourhood, category=category,
                week=week_of(part["observed_at"].max()).date().isoformat(), observed=len(part), expected=None,
                threshold=float(rule.cluster_n), method="regle_proximite", partner=partner or None,
                report_ids=sorted(part["id"].astype(str)),
                evidence={"distance_m": rule.cluster_distance_m, "hours": rule.cluster_hours,
                          "centre_l93": [round(float(centre[0]), 1), round(float(centre[1]), 1)]}))
    return drafts
