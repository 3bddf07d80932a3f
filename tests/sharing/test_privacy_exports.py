"""The partner view and every partner export: no personal data, no exact place, no count below 3."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
import shapely
from pyproj import Transformer

from geo.maps.assets import asset_urls
from geo.settings import load_settings
from geo.sharing.config import SharingSettings
from geo.sharing.export_files import partner_items_frame
from geo.sharing.exports import ExportRequest, export
from geo.sharing.privacy import (
    FORBIDDEN_COLUMNS,
    PARTNER_COLUMNS,
    mask_count,
    masked_total,
    partner_view,
    quartier_figures,
    snap_points,
)
from geo.sharing.scope import PartnerScope, partner_scope
from geo.store.database import Store
from tests.sharing.conftest import PARTNER, PLANTED, PLANTED_POINTS, PLANTED_STRINGS, TAXONOMY, masked_month

SETTINGS = SharingSettings()
L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def _exact_places_in(text: str, store: Store) -> list[tuple[float, float]]:
    """Return the reports' exact places found in ``text``: a coordinate written to 7 decimals or more, or a
    pair of numbers side by side (lat, lon or lon, lat) within about a metre of a report's place."""
    frame = store.read_reports(columns=("lat", "lon"))
    # the demo puts a few reports exactly on quartier borders: the territory's own vertices are public
    vertices = shapely.get_coordinates(store.load_territory().geometry.to_numpy())
    public = set(np.round(vertices.ravel(), 7))
    public_pairs = set(zip(np.round(vertices[:, 1], 5), np.round(vertices[:, 0], 5), strict=True))
    values = [float(v) for v in np.concatenate([frame["lat"], frame["lon"]]) if round(float(v), 7) not in public]
    exact_values = {repr(v) for v in values} | {f"{v:.7f}" for v in values}
    pairs = set(zip(np.round(frame["lat"], 5), np.round(frame["lon"], 5), strict=True)) - public_pairs
    tokens = re.findall(r"-?\d+\.\d{4,}", text)
    found = [(float(t), float(t)) for t in tokens if t in exact_values]
    numbers = [float(t) for t in tokens]
    for a, b in itertools.pairwise(numbers):
        for pair in ((round(a, 5), round(b, 5)), (round(b, 5), round(a, 5))):
            if pair in pairs:
                found.append(pair)
    return found


def _assert_nothing_personal(text: str, where: str) -> None:
    for planted in PLANTED_STRINGS:
        assert planted not in text, f"{planted!r} reached {where}"


def _assert_small_counts_masked(text: str, where: str) -> None:
    """No « 1 » or « 2 » as a count: masked cells read « < 3 »."""
    assert "< 3" in text or "&lt; 3" in text, f"{where}: expected masked cells in this data"


@pytest.fixture
def store(planted_db) -> Store:
    return Store(planted_db)


@pytest.fixture
def scope(store) -> PartnerScope:
    return partner_scope(store, PARTNER, taxonomy=TAXONOMY)


def test_snapping_moves_each_point_to_the_centre_of_its_100_m_cell():
    lat = np.array([47.3217391, 47.3217395, 47.33])
    lon = np.array([5.0412347, 5.0412349, 5.05])
    slat, slon = snap_points(lat, lon, settings=SETTINGS)
    assert (slat[0], slon[0]) == (slat[1], slon[1])  # same cell, same place
    x, y = L93.transform(lon, lat)
    sx, sy = L93.transform(slon, slat)
    assert np.all(np.abs(np.asarray(sx) % 100 - 50) < 0.5) and np.all(np.abs(np.asarray(sy) % 100 - 50) < 0.5)
    assert np.all(np.hypot(np.asarray(sx) - x, np.asarray(sy) - y) <= 50 * np.sqrt(2) + 0.5)
    coarse = snap_points(lat, lon, settings=SharingSettings(snap_metres=500))
    assert not np.allclose(coarse[0], slat)


def test_h3_snapping_gives_the_cell_centre():
    import h3

    slat, slon = snap_points(np.array([47.3217391]), np.array([5.0412347]),
                             settings=SharingSettings(snap_mode="h3", h3_resolution=9))
    cell = h3.latlng_to_cell(47.3217391, 5.0412347, 9)
    assert np.allclose((slat[0], slon[0]), h3.cell_to_latlng(cell), atol=1e-6)


def test_masking_and_totals():
    assert [mask_count(n) for n in (0, 1, 2, 3, 17)] == ["0", "< 3", "< 3", "3", "17"]
    assert masked_total([5, 7, 3]) == "15"
    assert masked_total([5, 7, 1]) == "≥ 12"  # the exact total would give the masked cell away
    assert mask_count(4, min_count=5) == "< 5"


def test_partner_view_reads_safe_columns_only_in_scope_and_generalised(store, scope):
    view = partner_view(store, scope, taxonomy=TAXONOMY, settings=SETTINGS)
    assert tuple(view.items.columns) == PARTNER_COLUMNS
    assert not FORBIDDEN_COLUMNS & set(view.items.columns)
    assert set(view.items["category"]) <= scope.categories and len(view.items) > 25
    # the routing table sends Chenôve's and Talant's street lighting to their own towns
    assert not {"le-mail", "le-belvedere"} & set(view.items["neighbourhood"].dropna())
    everywhere = store.read_reports(columns=("category", "neighbourhood"))
    elsewhere = everywhere["neighbourhood"].isin(["le-mail", "le-belvedere"])
    routed_here = (everywhere["category"] == "eclairage") & ~elsewhere
    assert int(view.figures.counts[:, 0].sum()) == int(routed_here.sum())  # every routed report is counted
    assert len(view.items) <= int(routed_here.sum())  # (the items of quartiers with a masked count may be unlisted)
    _assert_nothing_personal(view.items.to_csv(), "the partner view")
    exact = store.read_reports(columns=("lat", "lon", "category"))
    exact = exact[exact["category"].isin(scope.categories)]
    pairs = set(zip(exact["lat"].round(7), exact["lon"].round(7), strict=True))
    assert not pairs & set(zip(view.items["lat"].round(7), view.items["lon"].round(7), strict=True))
    assert view.items["ref"].str.fullmatch(r"[0-9A-F]{10}").all() and view.items["ref"].is_unique


def test_quartier_figures_mask_small_cells_and_their_total(store, scope):
    start = pd.Timestamp.now(tz="Europe/Paris") - pd.Timedelta(days=14)
    view = partner_view(store, scope, taxonomy=TAXONOMY, settings=SETTINGS, start=start)
    figures = quartier_figures(view, store.load_territory())
    body = figures.iloc[:-1]
    cells = body.drop(columns="Quartier").to_numpy().ravel()
    assert not {"1", "2"} & set(cells) and "< 3" in set(cells)
    # the column with a masked cell has no exact total
    masked_columns = [c for c in body.columns[1:] if (body[c] == "< 3").any()]
    for column in masked_columns:
        assert figures.iloc[-1][column].startswith("≥ ")


FORMATS = ("html", "csv", "geojson", "gpkg", "pdf")


def _text_of(path: Path, fmt: str) -> str:
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    if fmt == "gpkg":
        parts = []
        for layer in ("signalements", "quartiers"):
            frame = gpd.read_file(path, layer=layer)
            parts.append(frame.drop(columns="geometry").to_csv())
            if layer == "signalements":
                parts.append(" ".join(f"{p.y:.6f} {p.x:.6f} {p.y!r} {p.x!r}" for p in frame.geometry if p is not None))
        with sqlite3.connect(path) as conn:  # every text of every table, whatever the layer
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
                parts.extend(str(row) for row in conn.execute(f'SELECT * FROM "{table}"').fetchall())
        return "\n".join(parts)
    return path.read_bytes().decode("utf-8-sig")


@pytest.mark.parametrize(("fmt", "partner"), [(fmt, PARTNER) for fmt in FORMATS] + [("csv", "ville-proprete"),
                                                                                    ("html", "ville-proprete")])
def test_every_partner_export_holds_nothing_personal_nor_exact(store, tmp_path, fmt, partner):
    out = tmp_path / f"partner.{fmt}"
    # no period: « depuis le début », which holds the planted reports of 6 weeks ago
    summary = export(store, ExportRequest(role="partenaire", fmt=fmt, partner_id=partner), out, taxonomy=TAXONOMY,
                     settings=load_settings(db_url=store.url), sharing=SETTINGS, by="test")
    assert summary["period"].startswith("depuis le début")
    assert summary["reports"] > (5 if partner == PARTNER else 100) and out.stat().st_size == summary["bytes"]
    text = _text_of(out, fmt)
    _assert_nothing_personal(text, f"the {fmt} export")
    found = _exact_places_in(text, store)
    assert not found, f"exact places in the {fmt} export: {found[:5]}"
    if fmt in ("html", "csv", "pdf") and partner == PARTNER:  # (ville-proprete's cells are large or « ≥ »)
        _assert_small_counts_masked(text, fmt)


def test_partner_csv_is_excel_french_with_masked_counts_and_no_exact_total(store, tmp_path):
    out = tmp_path / "p.csv"
    period = masked_month(store, PARTNER, now=pd.Timestamp.now(tz="Europe/Paris"))
    export(store, ExportRequest(role="partenaire", fmt="csv", partner_id=PARTNER, period=period), out,
           taxonomy=TAXONOMY, settings=load_settings(db_url=store.url), sharing=SETTINGS, by="test")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    figures_text = raw.decode("utf-8-sig").split("\r\n\r\n")[0]
    rows = [line.split(";") for line in figures_text.split("\r\n") if line]
    assert rows[0] == ["Quartier", "Signalements", "Ouverts", "Ouverts depuis plus de 10 jours"]
    counts = [cell for row in rows[1:] for cell in row[1:]]
    assert not {"1", "2"} & set(counts) and "< 3" in counts
    total = rows[-1]
    assert total[0] == "Ensemble"
    for i in range(1, 4):
        if any(row[i] == "< 3" for row in rows[1:-1]):
            assert total[i].startswith("≥ ")


def test_partner_html_is_standalone_and_its_tooltips_and_legend_mask_counts(store, tmp_path):
    out = tmp_path / "p.html"
    export(store, ExportRequest(role="partenaire", fmt="html", partner_id=PARTNER), out, taxonomy=TAXONOMY,
           settings=load_settings(db_url=store.url), sharing=SETTINGS, by="test")
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    assert asset_urls(page, external_only=False) == []  # nothing to fetch: every script and style is inline
    data = json.loads(re.search(r"var data = (\{.*?\});\n", page).group(1))
    lines = [line for f in data["quartiers"]["features"] for line in f["properties"]["lines"]]
    lines += [line for c in data["cells"] for line in c["lines"]]
    for line in lines:
        if line.startswith(("Signalements", "Ouverts")):
            assert re.fullmatch(r"(Signalements|Ouverts) : (0|< 3|masqué|≥ \d+|[3-9]|\d{2,}|3 à 9|10 à 29|"
                                r"30 et plus)", line), line
    assert any(line.endswith("< 3") for line in lines)
    assert data["legend"][:5] == ["0", "< 3", "3 à 9", "10 à 29", "30 et plus"]
    classes = {f["properties"]["classe"] for f in data["quartiers"]["features"]} | {c["classe"] for c in data["cells"]}
    assert classes <= set(data["legend"])  # « masqué » is in the legend when a quartier is coloured so
    assert all(c["classe"] != "< 3" for c in data["cells"])  # a place is drawn only when 3 listed items share it


def test_partner_items_frame_has_no_personal_column(store, scope):
    frame = partner_items_frame(partner_view(store, scope, taxonomy=TAXONOMY, settings=SETTINGS))
    assert not {"description", "author", "team", "raw", "id", "source_id"} & set(frame.columns)


def test_coordinator_export_has_the_full_data(store, tmp_path):
    out = tmp_path / "full.csv"
    summary = export(store, ExportRequest(role="coordinateur", fmt="csv"), out, taxonomy=TAXONOMY,
                     settings=load_settings(db_url=store.url), sharing=SETTINGS, by="test")
    text = out.read_bytes().decode("utf-8-sig")
    assert summary["reports"] == store.count_reports()
    assert "Josiane" in text and PLANTED["team"] in text
    assert f"{PLANTED_POINTS[0][0]}" in text
    assert _exact_places_in(text, store)  # the check above does find exact places where there are some


def test_partner_geojson_places_each_item_at_a_shared_cell_or_in_its_quartier(store, tmp_path):
    out = tmp_path / "p.geojson"
    export(store, ExportRequest(role="partenaire", fmt="geojson", partner_id="ville-proprete"), out, taxonomy=TAXONOMY,
           settings=load_settings(db_url=store.url), sharing=SETTINGS, by="test")
    points = gpd.read_file(out)
    assert set(points["lieu"]) <= {"centre de maille", "quartier", "non précisé"} and len(points) > 25
    assert points.loc[points["lieu"] == "non précisé", "geometry"].isna().all()
    cells = points[points["lieu"] == "centre de maille"]
    assert (cells.groupby([cells.geometry.x.round(7), cells.geometry.y.round(7)]).size() >= 3).all()
    territory = store.load_territory().to_crs("EPSG:4326").set_index("name")
    in_quartier = points[points["lieu"] == "quartier"]
    assert len(in_quartier) > 10  # (in this sparse store most 100 m cells hold fewer than 3 items)
    for row in in_quartier.itertuples():
        assert territory.geometry[row.quartier].contains(row.geometry)
