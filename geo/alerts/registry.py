"""Stored alerts: evidence, one open alert per series, lifecycle with history; partner subscriptions; digest log.

Statuses: ``nouvelle`` (detected, not sent) → ``envoyee`` (sent to its partner) → ``acquittee`` (the partner or
the coordinator has taken it into account) → ``close``. An alert may be acknowledged or closed without being
sent; a closed alert does not reopen (a new detection on its series makes a new alert).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from geo.errors import InputError
from geo.store.alerts_schema import alert_history, alert_subscriptions, alerts, digests
from geo.store.database import Store

__all__ = ["STATUSES", "OPEN_STATUSES", "TRANSITIONS", "PUBLIC_KEYS", "AlertDraft", "Subscription", "record",
           "list_alerts", "get_alert", "set_status", "alert_history_rows", "public_view", "get_subscription",
           "set_subscription", "list_subscriptions", "log_digest", "digest_sent"]

STATUSES = ("nouvelle", "envoyee", "acquittee", "close")
OPEN_STATUSES = ("nouvelle", "envoyee", "acquittee")
TRANSITIONS = {
    "nouvelle": {"envoyee", "acquittee", "close"},
    "envoyee": {"acquittee", "close"},
    "acquittee": {"close"},
    "close": set(),
}
# The keys of an alert in ``python -m geo alerts --format json``, in this order.
PUBLIC_KEYS = ("neighbourhood", "category", "week", "observed", "expected", "threshold", "method", "partner",
               "report_ids", "status")


@dataclass(frozen=True)
class AlertDraft:
    """An alert as detection or a rule raises it, before it is stored."""

    series_key: str
    kind: str
    neighbourhood: str | None
    category: str | None
    week: str
    observed: int
    expected: float | None
    threshold: float | None
    method: str
    partner: str | None
    report_ids: list[str]
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """How a partner receives alerts, and its threshold rules.

    The proximity rule: ``cluster_n`` reports of a category within ``cluster_distance_m`` metres in
    ``cluster_hours`` hours.
    """

    partner: str
    mode: str = "weekly"
    weekday: int = 0
    severity3: bool = True
    cluster_n: int = 5
    cluster_distance_m: float = 200.0
    cluster_hours: float = 48.0


def _now() -> int:
    return int(time.time())


def _row_dict(row: sa.RowMapping) -> dict:
    alert = dict(row)
    alert["report_ids"] = json.loads(alert["report_ids"])
    alert["evidence"] = json.loads(alert["evidence"] or "{}")
    return alert


def record(store: Store, drafts: Sequence[AlertDraft], *, as_of: str, by: str = "détection") -> list[dict]:
    """Store the drafts, one open alert per series; return the stored alert of each draft.

    A draft whose series already has an open alert does not make a new one: when it is about a later week,
    the open alert's evidence moves to that week (its status is kept) and the history says so. A draft about a
    week no later than the series' last closed alert is not raised again (the coordinator closed it).
    """
    out = []
    with store.transaction() as conn:
        for draft in drafts:
            stamp = _now()
            existing = conn.execute(
                sa.select(alerts).where(alerts.c.series_key == draft.series_key,
                                        alerts.c.status.in_(OPEN_STATUSES))
                .order_by(alerts.c.id.desc())).mappings().first()
            values = {"observed": int(draft.observed), "expected": draft.expected, "threshold": draft.threshold,
                      "method": draft.method, "report_ids": json.dumps(list(draft.report_ids)),
                      "evidence": json.dumps(draft.evidence, ensure_ascii=False, default=str), "week": draft.week}
            if existing is not None:
                if draft.week > existing["week"]:
                    conn.execute(alerts.update().where(alerts.c.id == existing["id"])
                                 .values(**values, as_of=as_of, updated_at=stamp))
                    conn.execute(alert_history.insert().values(
                        alert_id=existing["id"], changed_at=stamp, changed_by=by, from_status=existing["status"],
                        to_status=existing["status"], note=f"de nouveau au-dessus du seuil la semaine du {draft.week}"))
                alert_id = existing["id"]
            elif (last := conn.execute(
                    sa.select(alerts.c.id, alerts.c.week).where(alerts.c.series_key == draft.series_key)
                    .order_by(alerts.c.id.desc())).first()) is not None and draft.week <= last.week:
                alert_id = last.id
            else:
                alert_id = int(conn.execute(alerts.insert().values(
                    series_key=draft.series_key, kind=draft.kind, neighbourhood=draft.neighbourhood,
                    category=draft.category, partner=draft.partner, status="nouvelle", as_of=as_of,
                    created_at=stamp, updated_at=stamp, **values)).inserted_primary_key[0])
                conn.execute(alert_history.insert().values(alert_id=alert_id, changed_at=stamp, changed_by=by,
                                                           from_status=None, to_status="nouvelle",
                                                           note=f"{draft.method} : {draft.observed} observé(s)"))
            out.append(_row_dict(conn.execute(sa.select(alerts).where(alerts.c.id == alert_id)).mappings().one()))
    return out


def list_alerts(store: Store, *, statuses: Sequence[str] | None = None, partner: str | None = None) -> list[dict]:
    """Return stored alerts (newest first), filtered by status and partner."""
    query = sa.select(alerts).order_by(alerts.c.id.desc())
    if statuses:
        query = query.where(alerts.c.status.in_(list(statuses)))
    if partner:
        query = query.where(alerts.c.partner == partner)
    with store.engine.connect() as conn:
        return [_row_dict(row) for row in conn.execute(query).mappings().all()]


def get_alert(store: Store, alert_id: int) -> dict | None:
    """Return one stored alert, or ``None``."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(alerts).where(alerts.c.id == int(alert_id))).mappings().first()
    return _row_dict(row) if row else None


def set_status(store: Store, alert_ids: Sequence[int], to_status: str, *, by: str | None = None,
               note: str | None = None, at: int | None = None, conn: sa.Connection | None = None) -> None:
    """Move alerts to ``to_status`` (all or none), keeping the history.

    Raises
    ------
    InputError
        When the status is unknown, an alert does not exist, or the transition is not allowed.
    """
    if to_status not in STATUSES:
        raise InputError(f"statut d'alerte attendu parmi {STATUSES} ; reçu {to_status!r}")
    if conn is None:
        with store.transaction() as own:
            set_status(store, alert_ids, to_status, by=by, note=note, at=at, conn=own)
        return
    stamp = at or _now()
    for alert_id in alert_ids:
        row = conn.execute(sa.select(alerts.c.status).where(alerts.c.id == int(alert_id))).first()
        if row is None:
            raise InputError(f"alerte {alert_id} introuvable")
        if to_status not in TRANSITIONS[row.status]:
            raise InputError(f"alerte {alert_id} : passage de « {row.status} » à « {to_status} » impossible "
                             f"(possibles : {sorted(TRANSITIONS[row.status]) or 'aucun'})")
        conn.execute(alerts.update().where(alerts.c.id == int(alert_id)).values(status=to_status, updated_at=stamp))
        conn.execute(alert_history.insert().values(alert_id=int(alert_id), changed_at=stamp, changed_by=by,
                                                   from_status=row.status, to_status=to_status, note=note))


def alert_history_rows(store: Store, alert_id: int) -> list[dict]:
    """Return an alert's history, oldest first."""
    query = sa.select(alert_history).where(alert_history.c.alert_id == int(alert_id)).order_by(alert_history.c.id)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def public_view(alert: dict) -> dict:
    """Return an alert with exactly :data:`PUBLIC_KEYS` (what the CLI prints)."""
    view = {key: alert.get(key) for key in PUBLIC_KEYS}
    for key in ("expected", "threshold"):
        if view[key] is not None:
            view[key] = round(float(view[key]), 3)
    view["report_ids"] = list(view["report_ids"] or [])
    return view


def get_subscription(store: Store, partner: str) -> Subscription:
    """Return a partner's subscription, the defaults (weekly digest on Monday) when none is stored."""
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(alert_subscriptions).where(alert_subscriptions.c.partner == partner)
                           ).mappings().first()
    if row is None:
        return Subscription(partner)
    return Subscription(partner=row["partner"], mode=row["mode"], weekday=int(row["weekday"]),
                        severity3=bool(row["severity3"]),
                        cluster_n=int(row["cluster_n"] if row["cluster_n"] is not None else Subscription.cluster_n),
                        cluster_distance_m=float(row["cluster_distance_m"] or Subscription.cluster_distance_m),
                        cluster_hours=float(row["cluster_hours"] or Subscription.cluster_hours))


def set_subscription(store: Store, subscription: Subscription) -> None:
    """Store a partner's subscription (replacing its previous one).

    Raises
    ------
    InputError
        When the mode, weekday or rule parameters are out of range.
    """
    if subscription.mode not in ("immediate", "weekly"):
        raise InputError(f"abonnement attendu « immediate » ou « weekly » ; reçu {subscription.mode!r}")
    if not 0 <= subscription.weekday <= 6:
        raise InputError(f"jour de la semaine attendu entre 0 (lundi) et 6 ; reçu {subscription.weekday}")
    if subscription.cluster_n < 2 or subscription.cluster_distance_m <= 0 or subscription.cluster_hours <= 0:
        raise InputError("règle de proximité : N ≥ 2, distance et durée positives attendues")
    values = {"mode": subscription.mode, "weekday": subscription.weekday, "severity3": subscription.severity3,
              "cluster_n": subscription.cluster_n, "cluster_distance_m": subscription.cluster_distance_m,
              "cluster_hours": subscription.cluster_hours, "updated_at": _now()}
    with store.transaction() as conn:
        updated = conn.execute(alert_subscriptions.update()
                               .where(alert_subscriptions.c.partner == subscription.partner).values(**values))
        if updated.rowcount == 0:
            conn.execute(alert_subscriptions.insert().values(partner=subscription.partner, **values))


def list_subscriptions(store: Store) -> dict[str, Subscription]:
    """Return every stored subscription by partner."""
    with store.engine.connect() as conn:
        partners = conn.execute(sa.select(alert_subscriptions.c.partner)).scalars().all()
    return {p: get_subscription(store, p) for p in partners}


def log_digest(store: Store, *, partner: str, mode: str, period: str, alert_ids: Sequence[int], status: str,
               attempts: int, error: str | None = None, conn: sa.Connection | None = None) -> None:
    """Record a digest attempt (``envoye`` or ``echec``)."""
    values = {"partner": partner, "mode": mode, "period": period, "alert_ids": json.dumps(list(alert_ids)),
              "status": status, "attempts": attempts, "error": error, "created_at": _now()}
    if conn is not None:
        conn.execute(digests.insert().values(**values))
        return
    with store.transaction() as own:
        own.execute(digests.insert().values(**values))


def digest_sent(store: Store, *, partner: str, mode: str, period: str) -> bool:
    """Return whether this partner's digest for ``period`` already went out."""
    query = sa.select(sa.func.count()).select_from(digests).where(
        digests.c.partner == partner, digests.c.mode == mode, digests.c.period == period,
        digests.c.status == "envoye")
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar()) > 0
