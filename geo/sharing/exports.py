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
from geo.sharing.privacy import PartnerView, listing_note, open_items, partner_view, quartier_figures
from geo.sharing.roles import COORDINATEUR, PARTENAIRE
from geo.sharing.scope import PartnerScope, partner_scope
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["FORMATS", "ExportRequest", "period_text", "partner_html", "full_html", "export"]

FORMATS = EXPORT_FORMATS


@dataclass(frozen=True)
class ExportRequest:
    """What to export: for whom, in which format, for which period (half-open, local times)."""

    role: str
    fmt: str
    partner_id: str | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


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


def partner_html(view: PartnerView, territory: gpd.GeoDataFrame) -> str:
    """Return the partner's standalone HTML map (with its figures per quartier and open items)."""
    return standalone_html(
        build_partner_map(view, territory), title=f"Signalements — {view.scope.name}",
        intro=[f"Période : {period_text(view.start, view.end)} ; édité le {view.now:%d/%m/%Y}.",
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

    A ``partenaire`` export is built from :func:`geo.sharing.privacy.partner_view` only. A ``coordinateur``
    export holds the full reports (exact points, free text) in ``html``, ``gpkg``, ``geojson`` and ``csv``; its
    ``pdf`` bulletin covers every category and is generalised as a partner's (a printed bulletin travels).

    Raises
    ------
    InputError
        Unknown role or format, or a partner export without a known partner.
    """
    if request.fmt not in FORMATS:
        raise InputError(f"format attendu : {', '.join(FORMATS)} ; trouvé {request.fmt!r}")
    if request.role not in (PARTENAIRE, COORDINATEUR):
        raise InputError(f"rôle d'export attendu : partner/partenaire ou coordinateur ; trouvé {request.role!r}")
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"dossier de sortie introuvable : {out.parent}")
    territory = store.load_territory()
    common = dict(taxonomy=taxonomy, settings=sharing, territory=territory, start=request.start, end=request.end,
                  now=now, timezone=settings.timezone)
    if request.role == PARTENAIRE:
        if not request.partner_id:
            raise InputError("un export partenaire demande --partner ID")
        scope = partner_scope(store, request.partner_id, taxonomy=taxonomy)
    else:
        scope = _all_categories(taxonomy)
    period = period_text(request.start, request.end)
    if request.role == PARTENAIRE or request.fmt == "pdf":
        view = partner_view(store, scope, **common)
        if request.fmt == "html":
            out.write_text(partner_html(view, territory), encoding="utf-8")
        elif request.fmt == "pdf":
            out.write_bytes(bulletin_pdf(view, territory, title=f"Bulletin de veille — {scope.name}", period=period))
        else:
            write_partner_file(view, territory, out, fmt=request.fmt)
        count = len(view.items)
    else:
        reports = store.read_reports(columns=FULL_COLUMNS, start=request.start, end=request.end,
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
