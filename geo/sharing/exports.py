"""One entry point for every export, partner or coordinator, used by the CLI and the *Partage* page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError
from geo.maps.explorer import build_map
from geo.settings import Settings
from geo.sharing.accounts import record_action
from geo.sharing.bulletin_pdf import bulletin_pdf
from geo.sharing.config import EXPORT_FORMATS, SharingSettings
from geo.sharing.export_files import FULL_COLUMNS, write_full_file, write_partner_file
from geo.sharing.export_html import standalone_html
from geo.sharing.partner_map import build_partner_map
from geo.sharing.period_view import fixed_partner_view
from geo.sharing.periods import FixedPeriod, ensure_completed, first_report_month, period_from_dates
from geo.sharing.privacy import PartnerView, listing_note, open_items, partner_view, quartier_figures
from geo.sharing.roles import COORDINATEUR, PARTENAIRE
from geo.sharing.scope import PartnerScope, partner_scope
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["FORMATS", "ExportRequest", "partner_period", "period_text", "partner_html", "full_html", "export"]

FORMATS = EXPORT_FORMATS


@dataclass(frozen=True)
class ExportRequest:
    """What to export: for whom, in which format, for which period.

    A partner export covers a fixed calendar period (:mod:`geo.sharing.periods`): ``period``, or else
    ``start``/``end`` when they are exactly the bounds of a completed month, quarter or year (both ``None``:
    « depuis le début »). A coordinator's export covers ``period`` or any ``[start, end)`` (local times).
    """

    role: str
    fmt: str
    partner_id: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    period: FixedPeriod | None = None


def partner_period(store: Store, request: ExportRequest, *, now: pd.Timestamp, timezone: str) -> FixedPeriod:
    """Return the fixed period of a partner export, or raise :class:`InputError` (French) for any other period."""
    if request.period is not None:
        return ensure_completed(request.period, now=now, timezone=timezone)
    start = request.start.tz_convert(timezone) if request.start is not None else None
    end = request.end.tz_convert(timezone) if request.end is not None else None
    for bound in (start, end):
        if bound is not None and bound != bound.floor("D"):
            raise InputError(f"un partenaire ne reçoit que des périodes fixes (mois, trimestre, année civils "
                             f"terminés, ou depuis le début) ; trouvé une borne à {bound:%d/%m/%Y %H:%M}")
    first = start.date() if start is not None else None
    last = (end - pd.Timedelta(days=1)).date() if end is not None else None
    return period_from_dates(first, last, now=now, timezone=timezone,
                             first_month=first_report_month(store, timezone=timezone))


def period_text(start: pd.Timestamp | None, end: pd.Timestamp | None) -> str:
    """Return a period in French words (``end`` is exclusive)."""
    last = (end - pd.Timedelta(days=1)) if end is not None else None
    if start is None and last is None:
        return "toutes dates"
    if start is None:
        return f"jusqu'au {last:%d/%m/%Y}"
    if last is None:
        return f"depuis le {start:%d/%m/%Y}"
    return f"du {start:%d/%m/%Y} au {last:%d/%m/%Y}"


def view_period_text(view: PartnerView) -> str:
    """Return the period of a view in French: its fixed period's label, else its dates."""
    return view.period.label if view.period is not None else period_text(view.start, view.end)


def partner_html(view: PartnerView, territory: gpd.GeoDataFrame) -> str:
    """Return the partner's standalone HTML map (with its figures per quartier and open items)."""
    return standalone_html(
        build_partner_map(view, territory), title=f"Signalements — {view.scope.name}",
        intro=[f"Période : {view_period_text(view)} ; édité le {view.now:%d/%m/%Y}.",
               f"Lieux généralisés (centre de maille) ; effectifs inférieurs à {view.min_count} affichés "
               f"« < {view.min_count} » ; aucune donnée personnelle.", listing_note(view)],
        sections=[("Chiffres par quartier", quartier_figures(view, territory)),
                  ("Signalements ouverts, du plus ancien au plus récent", open_items(view))],
    )


def full_html(reports: pd.DataFrame, territory: gpd.GeoDataFrame, *, taxonomy: Taxonomy, title: str) -> str:
    """Return a coordinator's standalone HTML map: quartiers and the 2,000 latest reports with their text."""
    fmap = build_map(territory, reports, layers=("choropleth", "points"), basemap="none",
                     labels={c: k.label for c, k in taxonomy.categories.items()}, status_labels=taxonomy.statuses,
                     severity_labels=taxonomy.severities)
    return standalone_html(fmap, title=title, intro=[f"{len(reports)} signalements. Document interne : il contient "
                                                     "des données personnelles, ne pas transmettre."])


def _all_categories(taxonomy: Taxonomy) -> PartnerScope:
    return PartnerScope(partner_id="*", name="toutes catégories", categories=frozenset(taxonomy.categories))


def export(store: Store, request: ExportRequest, out: Path, *, taxonomy: Taxonomy, settings: Settings,
           sharing: SharingSettings, by: str, now: pd.Timestamp | None = None) -> dict:
    """Write one export to ``out`` and return its summary.

    A ``partenaire`` export covers a fixed calendar period only (:func:`partner_period`) and is built from
    :func:`geo.sharing.period_view.fixed_partner_view` only. A ``coordinateur``
    export holds the full reports (exact points, free text) in ``html``, ``gpkg``, ``geojson`` and ``csv``; its
    ``pdf`` bulletin covers every category and is generalised as a partner's (a printed bulletin travels).

    Raises
    ------
    InputError
        Unknown role or format, a partner export without a known partner, or for a period that is not a
        completed calendar month, quarter or year (or « depuis le début »).
    """
    if request.fmt not in FORMATS:
        raise InputError(f"format attendu : {', '.join(FORMATS)} ; trouvé {request.fmt!r}")
    if request.role not in (PARTENAIRE, COORDINATEUR):
        raise InputError(f"rôle d'export attendu : partner/partenaire ou coordinateur ; trouvé {request.role!r}")
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"dossier de sortie introuvable : {out.parent}")
    territory = store.load_territory()
    now = pd.Timestamp.now(tz=settings.timezone) if now is None else pd.Timestamp(now)
    start, end = ((request.period.start, request.period.end) if request.period is not None
                  else (request.start, request.end))
    if request.role == PARTENAIRE:
        if not request.partner_id:
            raise InputError("un export partenaire demande --partner ID")
        fixed = partner_period(store, request, now=now, timezone=settings.timezone)
        scope = partner_scope(store, request.partner_id, taxonomy=taxonomy)
        view = fixed_partner_view(store, scope, fixed, taxonomy=taxonomy, settings=sharing, territory=territory,
                                  now=now, timezone=settings.timezone)
        period = fixed.label
    else:
        scope = _all_categories(taxonomy)
        period = request.period.label if request.period is not None else period_text(start, end)
        if request.fmt == "pdf":  # the coordinator's own bulletin: any period (not a partner output)
            view = partner_view(store, scope, taxonomy=taxonomy, settings=sharing, territory=territory, start=start,
                                end=end, now=now, timezone=settings.timezone)
    if request.role == PARTENAIRE or request.fmt == "pdf":
        if request.fmt == "html":
            out.write_text(partner_html(view, territory), encoding="utf-8")
        elif request.fmt == "pdf":
            out.write_bytes(bulletin_pdf(view, territory, title=f"Bulletin de veille — {scope.name}", period=period))
        else:
            write_partner_file(view, territory, out, fmt=request.fmt)
        count = len(view.items)
    else:
        reports = store.read_reports(columns=FULL_COLUMNS, start=start, end=end,
                                     timezone=settings.timezone)
        if request.fmt == "html":
            out.write_text(full_html(reports, territory, taxonomy=taxonomy, title=f"Signalements — {period}"),
                           encoding="utf-8")
        else:
            write_full_file(reports, out, fmt=request.fmt)
        count = len(reports)
    summary = {"role": request.role, "partner": request.partner_id, "format": request.fmt, "out": str(out),
               "reports": count, "bytes": out.stat().st_size, "period": period}
    record_action(store, by, "export", f"{request.role} {request.partner_id or ''} {request.fmt} {period}".strip())
    return summary
