"""The *note de veille* sent to a partner: its new alerts, a small map, the reports to act on, what is overdue.

Partners never see personal data: no free description, no author, no team — only the report's id, category,
quartier, date, age, severity and status (see ``shared/domain.md`` §7). Every text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geo.alerts.partner_lookup import Partner, PartnerDirectory
from geo.alerts.static_map import render_map_png
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["Digest", "DIGEST_COLUMNS", "OPEN_REPORT_STATUSES", "build_digest", "overdue_reports", "METHOD_LABELS"]

# Report fields a partner may see (no description, author, team or raw row).
DIGEST_COLUMNS = ("id", "source_id", "observed_at", "lat", "lon", "category", "severity", "status", "neighbourhood")
OPEN_REPORT_STATUSES = ("nouveau", "transmis", "pris_en_charge")
MAP_CID = "carte-veille"
METHOD_LABELS = {
    "farrington": "Farrington flexible", "ears_c1": "EARS C1", "ears_c2": "EARS C2", "ears_c3": "EARS C3",
    "regle_gravite_3": "Gravité 3 (relais immédiat)", "regle_proximite": "Signalements rapprochés",
}


@dataclass(frozen=True)
class Digest:
    """A rendered note de veille.

    Attributes
    ----------
    html
        The HTML body for e-mail, the map referenced as ``cid:`` :data:`MAP_CID`.
    images
        ``{cid: PNG bytes}``.
    """

    partner: Partner
    subject: str
    html: str
    text: str
    images: dict[str, bytes]
    alert_ids: list[int]
    report_ids: list[str]
    overdue: int
    tables: dict[str, tuple[tuple[str, ...], list[tuple]]] = field(default_factory=dict)
    """The digest's tables (title → headers, rows), as shown in the HTML: for the PDF."""

    def standalone_html(self) -> str:
        """Return the HTML with the map embedded (``data:`` URI): for a download or a preview."""
        page = self.html
        for cid, data in self.images.items():
            page = page.replace(f"cid:{cid}", "data:image/png;base64," + base64.b64encode(data).decode("ascii"))
        return page


def _age_band(days: float) -> str:
    if days < 2:
        return "< 48 h"
    return "48 h – 10 j" if days <= 10 else "> 10 j"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th style='text-align:left;padding:4px 8px;border-bottom:1px solid #ccc'>{html.escape(h)}</th>"
                   for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='padding:4px 8px;border-bottom:1px solid #eee'>"
                                    f"{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table style='border-collapse:collapse;font-size:13px'><tr>{head}</tr>{body}</table>"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".replace(".", ",")


def overdue_reports(store: Store, partner: Partner, *, directory: PartnerDirectory, timezone: str,
                    now: pd.Timestamp) -> pd.DataFrame:
    """Return the open reports routed to ``partner`` older than its target delay (none without a delay)."""
    if not partner.target_days:
        return pd.DataFrame(columns=DIGEST_COLUMNS)
    recent = store.read_reports(columns=DIGEST_COLUMNS, start=now - pd.Timedelta(days=400), end=now,
                                timezone=timezone)
    recent = recent[recent["status"].isin(OPEN_REPORT_STATUSES)]
    routed = [directory.route(c, n) == partner.id
              for c, n in zip(recent["category"], recent["neighbourhood"], strict=True)]
    recent = recent[routed]
    overdue = recent[(now - recent["observed_at"]).dt.total_seconds() > partner.target_days * 86400]
    return overdue.sort_values("observed_at")


def build_digest(store: Store, partner: Partner, alerts: Sequence[dict], *, directory: PartnerDirectory,
                 taxonomy: Taxonomy, territory: gpd.GeoDataFrame, timezone: str,
                 now: pd.Timestamp | None = None) -> Digest:
    """Render the note de veille of ``partner`` for ``alerts`` (stored alerts, see :mod:`geo.alerts.registry`).

    The reports to act on are those behind the alerts; *overdue* are the open reports routed to the partner
    that are older than its target delay (when it has one).
    """
    now = (pd.Timestamp.now(tz=timezone) if now is None else pd.Timestamp(now)).tz_convert(timezone)
    names = dict(zip(territory["code"].astype(str), territory["name"].astype(str), strict=True))
    label = {code: c.label for code, c in taxonomy.categories.items()}
    ids = sorted({rid for a in alerts for rid in a["report_ids"]})
    behind = store.read_reports_by_id(ids, columns=DIGEST_COLUMNS) if ids else pd.DataFrame(columns=DIGEST_COLUMNS)
    behind["observed_at"] = pd.to_datetime(behind["observed_at"].astype("int64"), unit="s", utc=True
                                           ).dt.tz_convert(timezone)
    behind = behind.sort_values("observed_at", ascending=False)
    overdue = overdue_reports(store, partner, directory=directory, timezone=timezone, now=now)
    date = now.strftime("%d/%m/%Y")
    subject = f"Note de veille du {date} – {partner.name} : {len(alerts)} alerte(s)"
    alert_rows = [(names.get(a["neighbourhood"] or "", a["neighbourhood"] or "—"),
                   label.get(a["category"], a["category"]) if a["category"] else "Toutes catégories",
                   a["week"], a["observed"], _fmt(a["expected"]), _fmt(a["threshold"]),
                   METHOD_LABELS.get(a["method"], a["method"])) for a in alerts]

    def report_rows(frame: pd.DataFrame) -> list[tuple]:
        rows = []
        for r in frame.itertuples(index=False):
            days = (now - r.observed_at).total_seconds() / 86400
            rows.append((r.id, label.get(r.category, r.category), names.get(r.neighbourhood or "", "—"),
                         r.observed_at.strftime("%d/%m/%Y %H:%M"), f"{days:.0f} j ({_age_band(days)})", r.severity,
                         r.status))
        return rows

    headers = ("Signalement", "Catégorie", "Quartier", "Observé le", "Âge", "Gravité", "Statut")
    alert_headers = ("Quartier", "Catégorie", "Semaine du", "Observés", "Attendus", "Seuil", "Méthode")
    tables = {"Alertes": (alert_headers, alert_rows), "Signalements à traiter": (headers, report_rows(behind)),
              "En retard": (headers, report_rows(overdue))}
    png = render_map_png(territory, lon=behind["lon"].tolist(), lat=behind["lat"].tolist(),
                         highlight=[a["neighbourhood"] for a in alerts if a["neighbourhood"]])
    parts = [
        "<html><body style='font-family:sans-serif;color:#222'>",
        f"<h2>Note de veille – {html.escape(partner.name)}</h2>",
        f"<p>Le {html.escape(date)}. Alertes nouvelles : {len(alerts)} ; signalements concernés : {len(behind)} ; "
        f"en retard : {len(overdue)}.</p>",
        "<h3>Alertes</h3>",
        _table(alert_headers, alert_rows)
        if alert_rows else "<p>Aucune nouvelle alerte.</p>",
        f"<p><img src='cid:{MAP_CID}' alt='Carte des signalements concernés' width='480'></p>",
        "<h3>Signalements à traiter</h3>",
        _table(headers, report_rows(behind)) if len(behind) else "<p>Aucun.</p>",
        "<h3>En retard</h3>",
        (_table(headers, report_rows(overdue)) if len(overdue) else "<p>Aucun.</p>")
        + (f"<p>Délai cible : {partner.target_days:g} jours.</p>" if partner.target_days else ""),
        "<p style='font-size:11px;color:#666'>Données de veille territoriale (médiation sociale). "
        "Sans donnée personnelle.</p></body></html>",
    ]
    text_lines = [f"Note de veille – {partner.name} – {date}", ""]
    text_lines += [f"- {r[0]} / {r[1]} : semaine du {r[2]}, {r[3]} observés (attendus {r[4]}, seuil {r[5]}, {r[6]})"
                   for r in alert_rows] or ["Aucune nouvelle alerte."]
    text_lines += ["", f"Signalements concernés : {len(behind)} ; en retard : {len(overdue)}."]
    return Digest(partner=partner, subject=subject, html="".join(parts), text="\n".join(text_lines),
                  images={MAP_CID: png}, alert_ids=[int(a["id"]) for a in alerts], report_ids=ids,
                  overdue=len(overdue), tables=tables)
