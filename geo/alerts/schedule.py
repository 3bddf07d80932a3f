"""What is due to each partner, and sending it exactly once.

* A partner subscribed to **immediate** alerts is due whenever it has alerts in ``nouvelle``.
* A partner subscribed to the **weekly** digest is due once per ISO week, from its weekday on, when it has
  alerts in ``nouvelle`` or overdue reports, and no digest of that week went out yet.

A sent digest moves its alerts to ``envoyee`` and is logged, so the next run finds nothing due; a failed send
is logged with its error and leaves the alerts ``nouvelle`` (the next run tries again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from geo.alerts.digest import Digest, build_digest
from geo.alerts.mail import SendResult, SmtpSettings, build_message, send_message
from geo.alerts.partner_lookup import Partner, PartnerDirectory
from geo.alerts.registry import digest_sent, get_subscription, list_alerts, log_digest, set_status
from geo.alerts.series import week_of
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["DueDigest", "due_digests", "send_digest"]


@dataclass(frozen=True)
class DueDigest:
    """A digest due to a partner: its mode, the period it covers and the alerts in it."""

    partner: Partner
    mode: str
    period: str
    alerts: list[dict]


def due_digests(store: Store, directory: PartnerDirectory, *, now: pd.Timestamp,
                overdue_count: Callable[[Partner], int] | None = None) -> list[DueDigest]:
    """Return the digests due at ``now`` (tz-aware), partner by partner (id order)."""
    due = []
    for pid in sorted(directory.partners):
        partner = directory.partners[pid]
        if not partner.emails:
            continue
        subscription = get_subscription(store, pid)
        fresh = list(reversed(list_alerts(store, statuses=["nouvelle"], partner=pid)))
        if subscription.mode == "immediate":
            if fresh:
                due.append(DueDigest(partner, "immediate", f"alertes {fresh[0]['id']}-{fresh[-1]['id']}", fresh))
            continue
        period = week_of(now).date().isoformat()
        if now.day_of_week < subscription.weekday or digest_sent(store, partner=pid, mode="weekly", period=period):
            continue
        if fresh or (overdue_count is not None and overdue_count(partner) > 0):
            due.append(DueDigest(partner, "weekly", period, fresh))
    return due


def send_digest(store: Store, digest: Digest, *, mode: str, period: str, smtp: SmtpSettings,
                sleep: Callable[[float], None] | None = None) -> SendResult:
    """Send a rendered digest to its partner's addresses, then mark its alerts ``envoyee`` and log it.

    On failure the alerts stay ``nouvelle`` and the failure is logged with its error.
    """
    message = build_message(sender=smtp.sender, recipients=list(digest.partner.emails), subject=digest.subject,
                            html=digest.html, text=digest.text, images=digest.images)
    result = send_message(message, smtp, **({"sleep": sleep} if sleep else {}))
    with store.transaction() as conn:
        if result.sent:
            fresh = [a["id"] for a in list_alerts(store, statuses=["nouvelle"], partner=digest.partner.id)
                     if a["id"] in digest.alert_ids]
            if fresh:
                set_status(store, fresh, "envoyee", by="envoi", note=f"note de veille ({mode} {period})", conn=conn)
        log_digest(store, partner=digest.partner.id, mode=mode, period=period, alert_ids=digest.alert_ids,
                   status="envoye" if result.sent else "echec", attempts=result.attempts, error=result.error,
                   conn=conn)
    return result


def render(store: Store, due: DueDigest, *, directory: PartnerDirectory, taxonomy: Taxonomy, timezone: str,
           now: pd.Timestamp) -> Digest:
    """Render a due digest."""
    return build_digest(store, due.partner, due.alerts, directory=directory, taxonomy=taxonomy,
                        territory=store.load_territory(), timezone=timezone, now=now)
