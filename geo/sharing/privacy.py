"""The partner view of reports: what a partner may see, built where the data is read.

:func:`partner_view` is the only reader of reports for a partner, in the app and in every export. It reads the
store with :data:`SAFE_COLUMNS` only — never the free text, the author, the team, the raw row or any photo
field — keeps the partner's categories and quartiers, and generalises each point to the centre of its cell
(a square of the Lambert-93 grid, 100 m by default, or an H3 cell). Report ids are replaced by a keyed hash
(:func:`reference`), so that a partner can name an item without learning its source id.

Every count a partner reaches is protected once, here, when the view is built (:mod:`geo.sharing.disclosure`):
the table quartier × (reports, open, open for more than 10 days) gets primary suppression (1 or 2 reports show
« < 3 ») and complementary suppression (« masqué »), audited so that no masked cell can be recomputed from the
published cells, the totals (« ≥ S » where a column holds a masked cell), the map or the lists of items. To
that end the items of a quartier holding a masked cell are either listed without their quartier, place (and,
when it would tell the quartier, category) — the pool « Quartier non précisé » — or, when pooling cannot
protect, the items forming the masked cell are left out of the lists. An item keeps its generalised place only
when at least 3 listed items share it; map cells are drawn from those places only, with a class (« 3 à 9 »…),
never a count. Every page, map and export formats :attr:`PartnerView.figures`, :attr:`PartnerView.cells` and
:attr:`PartnerView.items`: none counts the reports again.

A view protects ONE period. A partner reaches fixed calendar periods only (:mod:`geo.sharing.periods`):
:func:`geo.sharing.period_view.fixed_partner_view` builds one view per calendar month here and derives longer
periods from the months' published views, so that subtracting two periods gives nothing away.
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
from geo.sharing.disclosure import POOLED, PRIMARY, SHOWN, WITHHELD, ProtectedTable, protect_counts
from geo.sharing.periods import FixedPeriod
from geo.sharing.scope import PartnerScope, scope_keys, uniform_places
from geo.store import schema
from geo.store.database import Store
from geo.taxonomy import Taxonomy

__all__ = ["SAFE_COLUMNS", "PARTNER_COLUMNS", "FORBIDDEN_COLUMNS", "PartnerView", "partner_view", "snap_points",
           "mask_count", "masked_total", "count_class", "COUNT_CLASSES", "quartier_figures", "grid_cells",
           "open_items", "reference", "FIGURE_COLUMNS", "POOLED_NAME", "MASKED_CLASS", "HIDDEN_CATEGORY",
           "quartier_classes", "listing_note", "read_scope", "view_of_frame", "salt_of", "place_cells"]

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
FIGURE_COLUMNS: Final = ("Signalements", "Ouverts", "Ouverts depuis plus de 10 jours")
"""Columns of the partner's table per quartier (nested: each counts a part of the previous one)."""
LATE_DAYS: Final = 10
"""An open item older than this many days counts in the last column of :data:`FIGURE_COLUMNS`."""
POOLED_NAME: Final = "Quartier non précisé (faibles effectifs)"
"""Quartier shown for the items of a quartier holding a masked count."""
HIDDEN_CATEGORY: Final = "Catégorie non précisée"
"""Category shown for a pooled item when the category would tell its quartier."""
MASKED_CLASS: Final = "masqué"
"""Map class of a quartier whose count is a complementary suppression."""
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
    figures
        The protected counts per row of :attr:`rows` and column of :data:`FIGURE_COLUMNS`.
    rows
        ``(code, name)`` of each row of :attr:`figures` (code ``None``: outside the territory).
    cells
        Places drawn on the map: ``lat``, ``lon`` (cell centre) and ``classe`` (at least ``min_count`` listed
        items each).
    period
        The fixed calendar period of the view (:mod:`geo.sharing.periods`); ``None`` for a free period (the
        coordinator's bulletin).
    """

    scope: PartnerScope
    items: pd.DataFrame
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    now: pd.Timestamp
    min_count: int = 3
    figures: ProtectedTable | None = None
    rows: tuple[tuple[str | None, str], ...] = ()
    cells: pd.DataFrame | None = None
    period: FixedPeriod | None = None

    def mask(self, count: int) -> str:
        """Return ``count`` as a partner may see it."""
        return mask_count(count, min_count=self.min_count)


def salt_of(store: Store) -> bytes:
    """Return the store's secret key of :func:`reference` (created on first use)."""
    return _salt(store)


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
    """Read the reports a partner may see and return them generalised (see the module's description).

    This protects the counts of ONE period. Two free periods differing by a day give that day's counts by
    difference: what a partner reaches goes through :func:`geo.sharing.period_view.fixed_partner_view`
    (fixed calendar periods), which builds its views with this function, one calendar month at a time.
    """
    now = pd.Timestamp.now(tz=timezone) if now is None else pd.Timestamp(now)
    frame = read_scope(store, scope, start=start, end=end, timezone=timezone)
    if territory is None:
        territory = store.load_territory()
    return view_of_frame(frame, scope, taxonomy=taxonomy, settings=settings, territory=territory, start=start,
                         end=end, now=now, salt=_salt(store))


def read_scope(store: Store, scope: PartnerScope, *, start: pd.Timestamp | None = None,
               end: pd.Timestamp | None = None, timezone: str = "Europe/Paris") -> pd.DataFrame:
    """Return the reports of ``scope`` observed in ``[start, end)``, columns :data:`SAFE_COLUMNS` only."""
    frame = store.read_reports(columns=SAFE_COLUMNS, start=start, end=end, timezone=timezone)
    keep = frame["category"].isin(scope.categories)
    if scope.pairs is not None:  # exactly what the routing table sends to the partner
        keep &= scope_keys(frame["category"], frame["neighbourhood"]).isin(scope.pairs)
    elif scope.neighbourhoods is not None:
        keep &= frame["neighbourhood"].isin(scope.neighbourhoods)
    return frame[keep]


def view_of_frame(frame: pd.DataFrame, scope: PartnerScope, *, taxonomy: Taxonomy, settings: SharingSettings,
                  territory: gpd.GeoDataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None,
                  now: pd.Timestamp, salt: bytes) -> PartnerView:
    """Return the protected view of the reports ``frame`` (from :func:`read_scope`) for one period."""
    names = dict(zip(territory["code"], territory["name"], strict=True)) if len(territory) else {}
    lat, lon = snap_points(frame["lat"].to_numpy(), frame["lon"].to_numpy(), settings=settings)
    hours = (now - frame["observed_at"]).dt.total_seconds().to_numpy() / 3600.0 if len(frame) else np.array([])
    is_open = frame["status"].isin(taxonomy.open_statuses).to_numpy()
    items = pd.DataFrame({
        "ref": reference(frame["id"], salt=salt),
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
    rows = _rows(items, scope, territory, names)
    figures = protect_counts(_row_counts(items, rows), min_count=settings.min_count)
    items, cells = _publishable(items, rows, figures, min_count=settings.min_count,
                                hide_category=not uniform_places(scope))
    return PartnerView(scope=scope, items=items, start=start, end=end, now=now, min_count=settings.min_count,
                       figures=figures, rows=tuple(rows), cells=cells)


def _rows(items: pd.DataFrame, scope: PartnerScope, territory: gpd.GeoDataFrame,
          names: dict[str, str]) -> list[tuple[str | None, str]]:
    """Return the rows of the partner's table: its quartiers (with none or some items), then « Hors territoire »."""
    codes = list(territory["code"]) if len(territory) else []
    if scope.neighbourhoods is not None:
        codes = [c for c in codes if c in scope.neighbourhoods]
    present = items["neighbourhood"]
    codes += sorted(set(present.dropna()) - set(codes))
    rows: list[tuple[str | None, str]] = [(c, names.get(c, "Hors territoire")) for c in codes]
    if present.isna().any():
        rows.append((None, "Hors territoire"))
    return rows


def _row_keys(items: pd.DataFrame, rows: list[tuple[str | None, str]]) -> np.ndarray:
    """Return each item's row index in ``rows``."""
    index = {code: i for i, (code, _) in enumerate(rows)}
    return np.array([index[None] if pd.isna(c) else index[c] for c in items["neighbourhood"]], dtype=int)


def _row_counts(items: pd.DataFrame, rows: list[tuple[str | None, str]]) -> np.ndarray:
    """Return the exact counts per row and column of :data:`FIGURE_COLUMNS`."""
    keys = _row_keys(items, rows)
    is_open = items["is_open"].to_numpy(dtype=bool)
    late = is_open & (items["age_days"].to_numpy() > LATE_DAYS)
    size = len(rows)
    return np.column_stack([np.bincount(keys, minlength=size), np.bincount(keys[is_open], minlength=size),
                            np.bincount(keys[late], minlength=size)]).astype(int).reshape(size, 3)


def _group_keys(items: pd.DataFrame, rows: list[tuple[str | None, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Return each item's row and class (0 closed, 1 open for at most 10 days, 2 open for more)."""
    is_open = items["is_open"].to_numpy(dtype=bool)
    late = is_open & (items["age_days"].to_numpy() > LATE_DAYS)
    return _row_keys(items, rows), is_open.astype(int) + late.astype(int)


def _publishable(items: pd.DataFrame, rows: list[tuple[str | None, str]], figures: ProtectedTable, *,
                 min_count: int, hide_category: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the items as they may be listed, and the places drawn on the map.

    Items of withheld groups are left out; items of pooled groups lose their quartier and their place
    (:mod:`geo.sharing.disclosure`) — and their category when the partner's categories are routed to it in
    different places (``hide_category``: the category would tell the quartier); an item keeps its place only
    when at least ``min_count`` listed items share it.
    """
    if len(items):
        row, klass = _group_keys(items, rows)
        listing = figures.listing[row, klass]
    else:
        listing = np.zeros(0, dtype=int)
    items = items[listing != WITHHELD].reset_index(drop=True)
    pooled = listing[listing != WITHHELD] == POOLED
    items.loc[pooled, "neighbourhood"] = None
    items.loc[pooled, "neighbourhood_name"] = POOLED_NAME
    items.loc[pooled, ["lat", "lon"]] = np.nan
    if hide_category:
        items.loc[pooled, "category"] = None
        items.loc[pooled, "category_label"] = HIDDEN_CATEGORY
    placed = items[~pooled]
    sizes = placed.groupby(["lat", "lon"])["ref"].transform("size") if len(placed) else pd.Series(dtype=int)
    crowded = pd.Series(False, index=items.index)
    crowded.loc[placed.index] = sizes >= min_count
    items.loc[~crowded.to_numpy(), ["lat", "lon"]] = np.nan
    return items, place_cells(items, min_count=min_count)


def place_cells(items: pd.DataFrame, *, min_count: int) -> pd.DataFrame:
    """Return the map's places: the listed items that keep a place, counted per place as a class."""
    shown = items[items["lat"].notna() & items["lon"].notna()]
    if shown.empty:
        return pd.DataFrame({"lat": pd.Series(dtype=float), "lon": pd.Series(dtype=float),
                             "classe": pd.Series(dtype=object)})
    cells = shown.groupby(["lat", "lon"]).size().rename("n").reset_index()
    cells["classe"] = [count_class(n, min_count=min_count) for n in cells["n"]]
    return cells[["lat", "lon", "classe"]]


def quartier_figures(view: PartnerView, territory: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Return per quartier: reports, open reports, open for more than 10 days — protected — and a total row.

    Quartiers of the partner's scope with no report are listed with 0. Cells read « < 3 » (small count) or
    « masqué » (complementary suppression); the « Ensemble » row is exact only for a column with no masked
    cell, else « ≥ S » (S: the sum of its published cells). ``territory`` is not used (kept for callers).
    """
    figures = view.figures
    rows = [{"Quartier": name, **{label: figures.label(i, j) for j, label in enumerate(FIGURE_COLUMNS)}}
            for i, (_, name) in enumerate(view.rows)]
    rows.append({"Quartier": "Ensemble", **{label: figures.total_label(j) for j, label in enumerate(FIGURE_COLUMNS)}})
    return pd.DataFrame(rows, columns=["Quartier", *FIGURE_COLUMNS])


def quartier_classes(view: PartnerView) -> dict[str | None, tuple[str, str, str]]:
    """Return per quartier code: its map class, and its reports and open reports as a partner sees them."""
    figures = view.figures
    lower = getattr(figures, "lower", None)  # a period made of months: cells known from below (« ≥ L »)
    top_low, top_label = COUNT_CLASSES[-1][0], COUNT_CLASSES[-1][2]
    out = {}
    for i, (code, _) in enumerate(view.rows):
        state = figures.status[i, 0]
        classe = (count_class(figures.counts[i, 0], min_count=view.min_count) if state == SHOWN
                  else f"< {view.min_count}" if state == PRIMARY
                  else top_label if lower is not None and lower[i, 0] >= top_low else MASKED_CLASS)
        out[code] = (classe, figures.label(i, 0), figures.label(i, 1))
    return out


def listing_note(view: PartnerView) -> str:
    """Return, in French, how the lists treat the quartiers with a masked count and the places."""
    note = (f"Un lieu (centre de maille) n'est indiqué que s'il réunit au moins {view.min_count} signalements "
            "listés.")
    listing = view.figures.listing if view.figures is not None else np.zeros((0, 0))
    if (listing == POOLED).any():
        note = (f"Les signalements des quartiers à effectif masqué sont listés sans quartier ni lieu "
                f"(« {POOLED_NAME} »). " + note)
    if (listing == WITHHELD).any():
        note = ("Les signalements qui forment un effectif masqué ne sont pas listés (secret statistique). "
                + note)
    return note


def grid_cells(view: PartnerView) -> pd.DataFrame:
    """Return the places drawn on the map: ``lat``, ``lon`` (centre) and ``classe`` (at least 3 items each)."""
    return view.cells.copy()


def open_items(view: PartnerView) -> pd.DataFrame:
    """Return the open items, oldest first, as a French table (no id, no text, no exact place)."""
    items = view.items[view.items["is_open"]]
    return pd.DataFrame({  # the quartier of a pooled item reads POOLED_NAME
        "Référence": items["ref"].to_numpy(),
        "Catégorie": items["category_label"].to_numpy(),
        "Quartier": items["neighbourhood_name"].to_numpy(),
        "Statut": items["status_label"].to_numpy(),
        "Gravité": items["severity"].to_numpy(),
        "Signalé le": pd.to_datetime(items["observed_on"]).dt.strftime("%d/%m/%Y").to_numpy(),
        "Attente (jours)": items["age_days"].to_numpy(),
        "Ancienneté": items["ageing_band"].to_numpy(),
    })
