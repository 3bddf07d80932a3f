"""The partner view drawn in the app: the same code for a partner's session and the coordinator's preview.

Everything shown comes from :func:`geo.sharing.privacy.partner_view` (generalised, no text, no identity,
masked counts); this module only caches it and lays it out.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import InputError
from geo.maps.assets import use_local_assets
from geo.sharing.config import SharingSettings
from geo.sharing.exports import ExportRequest, export
from geo.sharing.partner_map import build_partner_map
from geo.sharing.period_view import fixed_partner_view
from geo.sharing.periods import KINDS, FixedPeriod, available_periods, first_report_month
from geo.sharing.privacy import PartnerView, listing_note, open_items, quartier_figures
from geo.sharing.roles import COORDINATEUR, PARTENAIRE
from geo.sharing.scope import PartnerScope, list_partners, partner_scope
from ui import auth, loaders
from ui.offline import register_assets

__all__ = ["partners", "scope_of", "view_for", "show_partner_view", "period_inputs", "fixed_period_input",
           "scope_or_stop",
           "download_buttons", "full_export_buttons", "EXPORT_FORMATS"]

EXPORT_FORMATS = {"html": ("Carte HTML autonome (hors ligne)", "text/html"),
                  "pdf": ("Bulletin PDF imprimable", "application/pdf"),
                  "csv": ("CSV pour Excel (;)", "text/csv"),
                  "gpkg": ("GeoPackage (QGIS)", "application/geopackage+sqlite3"),
                  "geojson": ("GeoJSON (QGIS)", "application/geo+json")}


def partners() -> dict[str, str]:
    """Return partner id -> name."""
    return list_partners(loaders.store(), taxonomy=loaders.taxonomy())


def scope_of(partner_id: str) -> PartnerScope:
    """Return a partner's scope (categories, quartiers)."""
    return partner_scope(loaders.store(), partner_id, taxonomy=loaders.taxonomy())


@st.cache_data(max_entries=16, show_spinner="Préparation de la vue partenaire…")
def _view(url: str, version: int, scope: PartnerScope, period: FixedPeriod, *, day: str,
          sharing: SharingSettings) -> PartnerView:
    tz = loaders.settings().timezone
    return fixed_partner_view(loaders.store(), scope, period, taxonomy=loaders.taxonomy(), settings=sharing,
                              territory=loaders.territory(), now=pd.Timestamp(day).tz_localize(tz), timezone=tz)


def view_for(scope: PartnerScope, period: FixedPeriod) -> PartnerView:
    """Return the partner view of ``scope`` for a fixed period (cached per data version and day).

    Ages and open states are those of the start of the day, for every period and every partner of that day: the
    views a partner takes in one day are consistent with each other (:mod:`geo.sharing.period_view`).
    """
    day = pd.Timestamp.now(tz=loaders.settings().timezone).strftime("%Y-%m-%d")
    return _view(loaders.settings().db_url, loaders.data_version(), scope, period, day=day,
                 sharing=auth.sharing_settings())


def period_inputs(key: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Draw a free period choice (coordinator and réseau only) and return it as a half-open local interval."""
    tz = loaders.settings().timezone
    today = dt.date.today()
    chosen = st.date_input("Période (du … au …)", value=(today - dt.timedelta(days=89), today), format="DD/MM/YYYY",
                           key=f"{key}_periode")
    if not (isinstance(chosen, tuple | list) and len(chosen) == 2):
        st.info("Choisissez la date de fin de la période.")
        st.stop()
    start, last = chosen
    return pd.Timestamp(start).tz_localize(tz), (pd.Timestamp(last) + pd.Timedelta(days=1)).tz_localize(tz)


def fixed_period_input(key: str) -> FixedPeriod:
    """Draw the choice of a partner's period — completed calendar months, quarters, years, or since the start.

    A partner never chooses its dates: two periods differing by a day would give that day's counts by
    difference (:mod:`geo.sharing.periods`).
    """
    tz = loaders.settings().timezone
    now = pd.Timestamp.now(tz=tz)
    offered = available_periods(first_report_month(loaders.store(), timezone=tz), now=now, timezone=tz)
    kinds = [kind for kind, periods in offered.items() if periods]
    left, right = st.columns([1, 2])
    kind = left.selectbox("Type de période", kinds, format_func=KINDS.get, key=f"{key}_type_periode")
    periods = {p.code: p for p in offered[kind]}
    if not offered["mois"]:
        right.info("Aucun mois clos pour l'instant : les signalements du mois en cours seront visibles à sa fin.")
    code = right.selectbox("Période", list(periods), format_func=lambda c: periods[c].label.capitalize(),
                           key=f"{key}_periode_{kind}")
    return periods[code]


def show_partner_view(scope: PartnerScope, period: FixedPeriod, *, key: str) -> PartnerView:
    """Draw what a partner sees of a fixed period: the map, the figures per quartier, the open items by age."""
    view = view_for(scope, period)
    st.markdown(f"**Période : {period.label}**")
    st.caption("Périodes proposées : mois, trimestres et années civils terminés, ou depuis le début ; le mois en "
               "cours n'est visible qu'une fois terminé (secret statistique).")
    st.caption(f"Lieux généralisés (centre de maille) ; effectifs inférieurs à {view.min_count} affichés "
               f"« < {view.min_count} » ; aucune description, aucun auteur, aucune équipe. {listing_note(view)}")
    fmap = build_partner_map(view, loaders.territory())
    use_local_assets(fmap, roots=register_assets())
    st_folium(fmap, key=f"{key}_carte", height=520, use_container_width=True, returned_objects=[])
    st.subheader("Chiffres par quartier")
    st.dataframe(quartier_figures(view, loaders.territory()), hide_index=True, width="stretch")
    items = open_items(view)
    st.subheader(f"Signalements ouverts, du plus ancien au plus récent ({len(items)})")
    if items.empty:
        st.info("Aucun signalement ouvert sur la période.")
    else:
        st.dataframe(items, hide_index=True, width="stretch", height=360)
    return view


def scope_or_stop(partner_id: str | None) -> PartnerScope:
    """Return the scope of ``partner_id``, or say why there is none and stop."""
    try:
        return scope_of(partner_id or "")
    except InputError as exc:
        st.error(f"Aucun périmètre de partenaire : {exc}")
        st.stop()


def _export_bytes(request: ExportRequest, *, now: pd.Timestamp | None = None) -> bytes:
    """Run :func:`geo.sharing.exports.export` (the CLI's code path) into a temporary file; return its bytes."""
    user = auth.current_user()
    with tempfile.TemporaryDirectory(prefix="veille-export-") as folder:
        out = Path(folder) / f"export.{request.fmt}"
        export(loaders.store(), request, out, taxonomy=loaders.taxonomy(), settings=loaders.settings(),
               sharing=auth.sharing_settings(), by=user.login if user else "inconnu", now=now)
        return out.read_bytes()


def _prepare_and_download(request: ExportRequest, *, key: str, name: str, now: pd.Timestamp | None = None) -> None:
    """Draw « Préparer le fichier », keep the file for this request, then offer its download."""
    slot = f"{key}_fichier"
    wanted = (request.role, request.partner_id, str(request.start), str(request.end),
              request.period.code if request.period else None, request.fmt)
    if st.button("Préparer le fichier", key=f"{key}_preparer"):
        with st.spinner("Préparation du fichier…"):
            st.session_state[slot] = (wanted, _export_bytes(request, now=now))
    ready = st.session_state.get(slot)
    if ready and ready[0] == wanted:
        st.download_button(f"Télécharger {name}", ready[1], file_name=name, mime=EXPORT_FORMATS[request.fmt][1],
                           key=f"{key}_telecharger", type="primary")


def download_buttons(view: PartnerView, *, key: str) -> None:
    """Let the user prepare one export of ``view`` (the partner's exports: same data as the view) and download it."""
    fmt = st.radio("Format", list(EXPORT_FORMATS), format_func=lambda f: EXPORT_FORMATS[f][0], horizontal=True,
                   key=f"{key}_format")
    request = ExportRequest(role=PARTENAIRE, fmt=fmt, partner_id=view.scope.partner_id, period=view.period)
    code = view.period.code if view.period is not None else f"{view.now:%Y%m%d}"
    _prepare_and_download(request, key=key, name=f"veille-{view.scope.partner_id}-{code}.{fmt}",
                          now=view.now)


def full_export_buttons(start: pd.Timestamp | None, end: pd.Timestamp | None, *, key: str) -> None:
    """Let a coordinator prepare the full export of a period (``python -m geo export --role coordinateur``).

    Only for a role allowed ``export_full``; anyone else gets a refusal and no file.
    """
    if not auth.may("export_full"):
        st.error("Votre rôle ne permet pas l'export complet.")
        return
    st.warning("Document interne : l'export complet contient les descriptions, les auteurs, les équipes et les "
               "lieux exacts. Ne pas le transmettre à un partenaire (le bulletin PDF, lui, est généralisé).")
    fmt = st.radio("Format", list(EXPORT_FORMATS), format_func=lambda f: EXPORT_FORMATS[f][0], horizontal=True,
                   key=f"{key}_format")
    request = ExportRequest(role=COORDINATEUR, fmt=fmt, start=start, end=end)
    today = pd.Timestamp.now(tz=loaders.settings().timezone)
    _prepare_and_download(request, key=key, name=f"veille-complet-{today:%Y%m%d}.{fmt}")
