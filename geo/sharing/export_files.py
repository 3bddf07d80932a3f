"""Files a partner or a coordinator takes away: GeoPackage and GeoJSON (for QGIS), CSV for Excel.

Partner files are built from a :class:`geo.sharing.privacy.PartnerView` only (generalised points, no text, no
identity, masked counts). Coordinator files hold the full reports (exact points, descriptions), for in-house
use. Every CSV goes through :mod:`geo.export.safe_csv` (``;``, UTF-8 with a byte-order mark, formulas
neutralised).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.export.safe_csv import csv_text
from geo.sharing.privacy import PartnerView, quartier_figures

__all__ = ["partner_items_frame", "partner_points", "partner_quartiers", "write_partner_file", "write_full_file",
           "FULL_COLUMNS"]

FULL_COLUMNS = ("id", "observed_at", "lat", "lon", "category", "registre", "severity", "status", "neighbourhood",
                "description", "team", "author", "source_id", "batch_id")
"""Columns of a coordinator's export (everything but the raw row)."""


def partner_items_frame(view: PartnerView) -> pd.DataFrame:
    """Return the partner's items as a French table, one row per listed report.

    Place: the centre of its cell, empty where withheld; quartier « non précisé » for the quartiers holding a
    masked count.
    """
    items = view.items
    return pd.DataFrame({
        "reference": items["ref"], "date": items["observed_on"], "categorie": items["category_label"],
        "categorie_code": items["category"], "gravite": items["severity"], "statut": items["status_label"],
        "ouvert": items["is_open"].map({True: "oui", False: "non"}), "quartier": items["neighbourhood_name"],
        "attente_jours": items["age_days"].where(items["is_open"]), "anciennete": items["ageing_band"]
        .where(items["is_open"]), "lat_generalisee": items["lat"], "lon_generalisee": items["lon"],
    })


def partner_points(view: PartnerView, territory: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Return the partner's items as points (WGS84), with ``lieu`` saying what the point is.

    ``centre de maille``: the centre of the item's cell (at least 3 listed items share it); ``quartier``: a point
    inside its quartier (``territory`` given), when its cell is withheld but its quartier is listed — it tells
    nothing the ``quartier`` column does not; ``non précisé``: no geometry.
    """
    frame = partner_items_frame(view)
    lon, lat = frame.pop("lon_generalisee"), frame.pop("lat_generalisee")
    geometry = gpd.GeoSeries(gpd.points_from_xy(lon, lat), index=frame.index, crs="EPSG:4326")
    withheld = (lat.isna() | lon.isna()).to_numpy()
    geometry[withheld] = None
    frame["lieu"] = np.where(withheld, "non précisé", "centre de maille")
    if territory is not None and len(territory):
        terr = territory.to_crs("EPSG:4326")
        inside = dict(zip(terr["code"], terr.geometry.representative_point(), strict=True))
        codes = view.items["neighbourhood"].to_numpy()
        for i in np.flatnonzero(withheld):
            point = inside.get(codes[i]) if isinstance(codes[i], str) else None
            if point is not None:
                geometry.iloc[i] = point
                frame.iloc[i, frame.columns.get_loc("lieu")] = "quartier"
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def partner_quartiers(view: PartnerView, territory: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the partner's quartiers with their protected figures (text columns: « < 3 » is not a number)."""
    labels = {code: [view.figures.label(i, j) for j in range(3)] for i, (code, _) in enumerate(view.rows)}
    terr = territory.to_crs("EPSG:4326")
    if view.scope.neighbourhoods is not None:
        terr = terr[terr["code"].isin(view.scope.neighbourhoods)]
    terr = terr.reset_index(drop=True)
    shown = [labels.get(code, ["0", "0", "0"]) for code in terr["code"]]
    return gpd.GeoDataFrame({
        "quartier": terr["name"],
        "signalements": [v[0] for v in shown],
        "ouverts": [v[1] for v in shown],
        "ouverts_plus_10_jours": [v[2] for v in shown],
    }, geometry=terr.geometry, crs="EPSG:4326")


def _csv_bytes(*frames: pd.DataFrame) -> bytes:
    return ("\ufeff" + "\r\n".join(csv_text(f, sep=";") for f in frames)).encode("utf-8")


def write_partner_file(view: PartnerView, territory: gpd.GeoDataFrame, out: Path, *, fmt: str) -> int:
    """Write a partner export (``gpkg``, ``geojson`` or ``csv``); return the number of items written.

    ``gpkg`` has two layers, ``signalements`` (points) and ``quartiers`` (masked figures); ``geojson`` the points;
    ``csv`` the masked figures per quartier with their « Ensemble » row, an empty line, then the items.
    """
    out = Path(out)
    if fmt == "csv":
        out.write_bytes(_csv_bytes(quartier_figures(view, territory), partner_items_frame(view)))
    elif fmt == "geojson":
        out.unlink(missing_ok=True)
        partner_points(view, territory).to_file(out, driver="GeoJSON")
    elif fmt == "gpkg":
        out.unlink(missing_ok=True)
        partner_points(view, territory).to_file(out, layer="signalements", driver="GPKG")
        partner_quartiers(view, territory).to_file(out, layer="quartiers", driver="GPKG", mode="a")
    else:
        raise ValueError(f"format de fichier attendu : csv, geojson ou gpkg ; trouvé {fmt!r}")
    return len(view.items)


def write_full_file(reports: pd.DataFrame, out: Path, *, fmt: str) -> int:
    """Write a coordinator export of full reports (exact points, free text); return the number of rows."""
    out = Path(out)
    frame = reports.copy()
    frame["observed_at"] = frame["observed_at"].dt.strftime("%Y-%m-%d %H:%M:%S%z")
    if fmt == "csv":
        out.write_bytes(_csv_bytes(frame))
        return len(frame)
    out.unlink(missing_ok=True)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
    if fmt == "geojson":
        gdf.to_file(out, driver="GeoJSON")
    elif fmt == "gpkg":
        gdf.to_file(out, layer="signalements", driver="GPKG")
    else:
        raise ValueError(f"format de fichier attendu : csv, geojson ou gpkg ; trouvé {fmt!r}")
    return len(frame)

