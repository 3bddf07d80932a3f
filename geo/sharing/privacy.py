"""The partner view of reports: what a partner may see, built where the data is read.

:func:`partner_view` is the only reader of reports for a partner, in the app and in every export. It reads the
store with :data:`SAFE_COLUMNS` only — never the free text, the author, the team, the raw row or any photo
field — keeps the partner's categories and quartiers, and generalises each point to the centre of its cell
(a square of the Lambert-93 grid, 100 m by default, or an H3 cell). Report ids are replaced by a keyed hash
(:func:`reference`), so that a partner can name an item without learning its source id.

Aggregates for partners go through :func:`mask_count`: a cell counting 1 or 2 reports shows « < 3 »; a total
over cells some of which are masked shows only « ≥ S » (S the sum of the unmasked cells), so that no total lets
one recompute a masked cell. Grid cells on maps show a class (« < 3 », « 3 à 9 »…), never a count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import h3.api.basic_int as h3
import numpy as np
import pandas as pd
import sqlalchemy as sa
from pyproj import Transformer

from geo.maps.explorer import ageing_band
from geo.sharing.config import SharingSettings
from geo.sharing.scope import PartnerScope, scope_keys
from geo.store import schema
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["SAFE_COLUMNS", "PARTNER_COLUMNS", "FORBIDDEN_COLUMNS", "PartnerView", "partner_view", "snap_points",
           "mask_count", "masked_total", "count_class", "COUNT_CLASSES", "quartier_figures", "grid_cells",
           "open_items", "reference"]

SAFE_COLUMNS: Final = ("id", "observed_at", "lat", "lon", "category", "severity", "status", "neighbourhood")
"""The only report columns read for a partner."""
FORBIDDEN_COLUMNS: Final = frozenset({"description", "author", "team", "raw", "row_number", "source_id", "batch_id",
                                      "flags", "id", "photo", "photos", "photo_meta", "exif"})
"""Columns that never appear in a partner view (checked on every view built)."""
PARTNER_COLUMNS: Final = ("ref", "observed_on", "category", "category_label", "severity", "status", "status_label",
                          "is_open", "neighbourhood", "neighbourhood_name", "age_days", "ageing_band", "lat", "lon")
"""Columns of :attr:`PartnerView.items`; ``lat``/``lon`` are cell centres, ``observed_on`` a day."""
COUNT_CLASSES: Final = ((0, 0, "0"), (1, 2, "< 3"), (3, 9, "3 à 9"), (10, 29, "10 à 29"), (30, None, "30 et plus"))
"""Classes of counts shown on partner maps: (lowest, highest or None, label)."""
_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
_TO_WGS84 = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True)
_SALT_KEY = "sharing_reference_salt"


@dataclass(frozen=True)
class PartnerView:
    """Reports as one partner may see them, for a period.

    Attributes
    ----------
    scope
        The partner.
    items
        One row per report in scope, columns :data:`PARTNER_COLUMNS`, oldest open items first.
    start, end
        Period (half-open, local times), ``None`` when open-ended.
    now
        When the view was built (ages are counted to it).
    min_count
        Aggregate cells below this are masked.
    """

    scope: PartnerScope
    items: pd.DataFrame
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    now: pd.Timestamp
    min_count: int = 3

    def mask(self, count: int) -> str:
        """Return ``count`` as a partner may see it."""
        return mask_count(count, min_count=self.min_count)


def _salt(store: Store) -> bytes:
    table = schema.meta
    with store.engine.begin() as conn:
        value = conn.execute(sa.select(table.c.value).where(table.c.key == _SALT_KEY)).scalar()
        if value is None:
            value = secrets.token_hex(32)
            conn.execute(table.insert().values(key=_SALT_KEY, value=value))
    return bytes.fromhex(value)


def reference(ids: Iterable[str], *, salt: bytes) -> list[str]:
    """Return a short keyed hash of each report id (the same id always gives the same reference)."""
    return [hmac.new(salt, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:10].upper() for i in ids]


def snap_points(lat: np.ndarray, lon: np.ndarray, *, settings: SharingSettings) -> tuple[np.ndarray, np.ndarray]:
    """Return each point moved to the centre of its cell (WGS84 in, WGS84 out).

    ``grid``: the centre of the ``settings.snap_metres`` square of the Lambert-93 grid holding the point;
    ``h3``: the centre of its H3 cell of resolution ``settings.h3_resolution``.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if len(lat) == 0:
        return lat, lon
    if settings.snap_mode == "h3":
        centres = [h3.cell_to_latlng(h3.latlng_to_cell(a, b, settings.h3_resolution)) for a, b in zip(lat, lon,
                                                                                                      strict=True)]
        out = np.array(centres, dtype=float)
        return np.round(out[:, 0], 6), np.round(out[:, 1], 6)
    size = float(settings.snap_metres)
    x, y = _TO_L93.transform(lon, lat)
    cx = (np.floor(np.asarray(x) / size) + 0.5) * size
    cy = (np.floor(np.asarray(y) / size) + 0.5) * size
    slon, slat = _TO_WGS84.transform(cx, cy)
    return np.round(np.asarray(slat), 6), np.round(np.asarray(slon), 6)


def mask_count(count: int, *, min_count: int = 3) -> str:
    """Return a count for a partner: « < 3 » for 1 and 2, else the number (0 stays 0)."""
    count = int(count)
    if 0 < count < min_count:
        return f"< {min_count}"
    return str(count)


def masked_total(counts: Iterable[int], *, min_count: int = 3) -> str:
    """Return the total of some cells for a partner: exact if no cell is masked, else « ≥ S » (unmasked sum)."""
    values = [int(c) for c in counts]
    shown = sum(v for v in values if v == 0 or v >= min_count)
    if any(0 < v < min_count for v in values):
        return f"≥ {shown}"
    return str(shown)


def count_class(count: int, *, min_count: int = 3) -> str:
    """Return the class label of a count (:data:`COUNT_CLASSES`)."""
    count = int(count)
    for low, high, label in COUNT_CLASSES:
        if count >= low and (high is None or count <= high):
            return label.replace("< 3", f"< {min_count}")
    return COUNT_CLASSES[-1][2]


def partner_view(store: Store, scope: PartnerScope, *, taxonomy: Taxonomy, settings: SharingSettings,
                 territory: gpd.GeoDataFrame | None = None, start: pd.Timestamp | None = None,
                 end: pd.Timestamp | None = None, now: pd.Timestamp | None = None,
                 timezone: str = "Europe/Paris") -> PartnerView:
    """Read the reports a partner may see and return them generalised (see the module's description)."""
    now = pd.Timestamp.now(tz=timezone) if now is None else pd.Timestamp(now)
    frame = store.read_reports(columns=SAFE_COLUMNS, start=start, end=end, timezone=timezone)
    keep = frame["category"].isin(scope.categories)
    if scope.pairs is not None:  # exactly what the routing table sends to the partner
        keep &= scope_keys(frame["category"], frame["neighbourhood"]).isin(scope.pairs)
    elif scope.neighbourhoods is not None:
        keep &= frame["neighbourhood"].isin(scope.neighbourhoods)
    frame = frame[keep]
    if territory is None:
        territory = store.load_territory()
    names = dict(zip(territory["code"], territory["name"], strict=True)) if len(territory) else {}
    lat, lon = snap_points(frame["lat"].to_numpy(), frame["lon"].to_numpy(), settings=settings)
    hours = (now - frame["observed_at"]).dt.total_seconds().to_numpy() / 3600.0 if len(frame) else np.array([])
    is_open = frame["status"].isin(taxonomy.open_statuses).to_numpy()
    items = pd.DataFrame({
        "ref": reference(frame["id"], salt=_salt(store)),
        "observed_on": frame["observed_at"].dt.strftime("%Y-%m-%d").to_numpy(),
        "category": frame["category"].to_numpy(),
        "category_label": frame["category"].map(lambda c: taxonomy.categories[c].label
                                                if c in taxonomy.categories else c).to_numpy(),
        "severity": frame["severity"].astype(int).to_numpy(),
        "status": frame["status"].to_numpy(),
        "status_label": frame["status"].map(lambda s: taxonomy.statuses.get(s, s)).to_numpy(),
        "is_open": is_open,
        "neighbourhood": frame["neighbourhood"].to_numpy(),
        "neighbourhood_name": frame["neighbourhood"].map(lambda c: names.get(c, "Hors territoire")).to_numpy(),
        "age_days": np.floor(np.maximum(hours, 0) / 24).astype(int),
        "ageing_band": [ageing_band(h) for h in hours],
        "lat": lat,
        "lon": lon,
    }, columns=list(PARTNER_COLUMNS))
    items = items.sort_values(["is_open", "age_days"], ascending=[False, False], kind="stable").reset_index(drop=True)
    leaked = FORBIDDEN_COLUMNS & set(items.columns)
    if leaked:  # defensive: the column list above is the contract
        raise AssertionError(f"partner view would carry forbidden columns {sorted(leaked)}")
    return PartnerView(scope=scope, items=items, start=start, end=end, now=now, min_count=settings.min_count)


def quartier_figures(view: PartnerView, territory: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return per quartier: reports, open reports, open for more than 10 days — all masked — and a total row.

    Quartiers of the partner's scope with no report are listed with 0.
    """
    items = view.items
    codes = list(territory["code"]) if len(territory) else []
    if view.scope.neighbourhoods is not None:
        codes = [c for c in codes if c in view.scope.neighbourhoods]
    names = dict(zip(territory["code"], territory["name"], strict=True)) if len(territory) else {}
    grouped = items.groupby("neighbourhood", dropna=False)
    total = grouped.size()
    open_ = items[items["is_open"]].groupby("neighbourhood", dropna=False).size()
    late = items[items["is_open"] & (items["age_days"] > 10)].groupby("neighbourhood", dropna=False).size()
    if items["neighbourhood"].isna().any():
        codes.append(None)
    rows = []
    columns = {"Signalements": total, "Ouverts": open_, "Ouverts depuis plus de 10 jours": late}
    raw: dict[str, list[int]] = {k: [] for k in columns}
    for code in codes:
        row = {"Quartier": names.get(code, "Hors territoire") if code is not None else "Hors territoire"}
        for label, series in columns.items():
            value = int(series.get(code, 0)) if code is not None else int(series[series.index.isna()].sum())
            raw[label].append(value)
            row[label] = view.mask(value)
        rows.append(row)
    rows.append({"Quartier": "Ensemble", **{label: masked_total(values, min_count=view.min_count)
                                            for label, values in raw.items()}})
    return pd.DataFrame(rows, columns=["Quartier", *columns])


def grid_cells(view: PartnerView) -> pd.DataFrame:
    """Return the generalised points' cells: ``lat``, ``lon`` (centre), ``classe`` and ``classe_ouverts``."""
    items = view.items
    if items.empty:
        return pd.DataFrame(columns=["lat", "lon", "classe", "classe_ouverts"])
    grouped = items.groupby(["lat", "lon"])
    cells = grouped.agg(n=("ref", "size"), n_open=("is_open", "sum")).reset_index()
    cells["classe"] = [count_class(n, min_count=view.min_count) for n in cells["n"]]
    cells["classe_ouverts"] = [count_class(n, min_count=view.min_count) for n in cells["n_open"]]
    return cells[["lat", "lon", "classe", "classe_ouverts"]]


def open_items(view: PartnerView) -> pd.DataFrame:
    """Return the open items, oldest first, as a French table (no id, no text, no exact place)."""
    items = view.items[view.items["is_open"]]
    return pd.DataFrame({
        "Référence": items["ref"].to_numpy(),
        "Catégorie": items["category_label"].to_numpy(),
        "Quartier": items["neighbourhood_name"].to_numpy(),
        "Statut": items["status_label"].to_numpy(),
        "Gravité": items["severity"].to_numpy(),
        "Signalé le": pd.to_datetime(items["observed_on"]).dt.strftime("%d/%m/%Y").to_numpy(),
        "Attente (jours)": items["age_days"].to_numpy(),
        "Ancienneté": items["ageing_band"].to_numpy(),
    })
