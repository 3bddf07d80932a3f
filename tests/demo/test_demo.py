"""Demo territory and synthetic reports: geometry, schema, and the planted patterns."""

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.demo.reports import PLANTED_PATTERNS, REPORT_COLUMNS, TEAMS, generate_demo_reports
from geo.demo.territory import (
    DEMO_TERRITORY_NOTE,
    DEMO_TERRITORY_PATH,
    build_demo_territory,
    read_demo_territory,
    write_demo_territory,
)

END = pd.Timestamp("2026-03-02 00:00", tz="Europe/Paris")  # a Monday: weeks align on days
N = 20_000
TAXONOMY = json.loads((Path(__file__).resolve().parents[2] / "data" / "taxonomy.json").read_text("utf-8"))
EVENING = ["regroupement", "nuisance_sonore", "rodeo"]


@pytest.fixture(scope="module")
def territory() -> gpd.GeoDataFrame:
    return build_demo_territory()


@pytest.fixture(scope="module")
def reports(territory: gpd.GeoDataFrame) -> pd.DataFrame:
    """The demo reports, with the quartier each point falls in and its age in days."""
    df = generate_demo_reports(territory, n=N, seed=42, end=END)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)
    joined = gpd.sjoin(pts, territory[["code", "geometry"]], how="left", predicate="within")
    assert not joined.index.duplicated().any()
    out = df.copy()
    out["quartier"] = joined["code"].to_numpy()
    out["age_days"] = (END - df["observed_at"]).dt.total_seconds() / 86_400
    xy = pts.to_crs(2154).geometry
    out["x"], out["y"] = xy.x.to_numpy(), xy.y.to_numpy()
    return out


def _centre_2154(pattern: object) -> tuple[float, float]:
    pt = gpd.GeoSeries.from_xy([pattern.lon], [pattern.lat], crs=4326).to_crs(2154).iloc[0]
    return pt.x, pt.y


def _in_disc(reports: pd.DataFrame, pattern: object) -> pd.Series:
    cx, cy = _centre_2154(pattern)
    return np.hypot(reports["x"] - cx, reports["y"] - cy) <= pattern.radius_m


# --- territory -----------------------------------------------------------------------------------------------


def test_territory_schema_and_populations(territory: gpd.GeoDataFrame) -> None:
    assert list(territory.columns) == ["code", "name", "population", "priority", "geometry"]
    assert territory.crs.to_epsg() == 4326
    assert territory["code"].is_unique
    assert (territory.geom_type == "Polygon").all()
    assert (territory["population"] > 0).all() and territory["population"].dtype == "int64"
    assert 150_000 <= territory.loc[~territory["code"].str.startswith("le-"), "population"].sum() <= 170_000
    assert set(territory.loc[territory["priority"], "code"]) == {
        "fontaine-d-ouche", "gresilles", "le-mail", "le-belvedere"}
    assert {"centre-ville", "universite", "montchapet", "chevreul-parc", "maladiere", "toison-d-or",
            "bourroches-port-du-canal"} <= set(territory["code"])
    assert "approximati" in DEMO_TERRITORY_NOTE and "python -m geo territory" in DEMO_TERRITORY_NOTE


def test_territory_polygons_valid_and_disjoint(territory: gpd.GeoDataFrame) -> None:
    assert territory.is_valid.all()
    metric = territory.to_crs(2154).geometry
    for a, b in itertools.combinations(metric, 2):
        assert a.intersection(b).area < 1.0  # m²
    area_km2 = shapely.union_all(metric.values).area / 1e6
    assert 35 <= area_km2 <= 60  # Dijon is ~40 km², plus two small QPVs
    minx, miny, maxx, maxy = territory.total_bounds
    assert 4.95 < minx < maxx < 5.11 and 47.28 < miny < maxy < 47.38


def test_geojson_round_trip(tmp_path: Path, territory: gpd.GeoDataFrame) -> None:
    path = write_demo_territory(tmp_path / "t.geojson")
    doc = json.loads(path.read_text("utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert set(doc["features"][0]["properties"]) == {"code", "name", "population", "priority"}
    for back in (read_demo_territory(path), read_demo_territory(DEMO_TERRITORY_PATH)):  # committed file in sync
        assert back.drop(columns="geometry").equals(territory.drop(columns="geometry"))
        assert shapely.equals_exact(back.geometry.values, territory.geometry.values, tolerance=1e-9).all()
        assert shapely.is_ccw(shapely.get_exterior_ring(back.geometry.values)).all()  # RFC 7946


# --- schema --------------------------------------------------------------------------------------------------


def test_columns_and_dtypes(reports: pd.DataFrame) -> None:
    df = reports[list(REPORT_COLUMNS)]
    assert list(REPORT_COLUMNS) == ["source_id", "observed_at", "lat", "lon", "category", "severity", "status",
                                    "description", "team"]
    assert isinstance(df["observed_at"].dtype, pd.DatetimeTZDtype)
    assert str(df["observed_at"].dt.tz) == "Europe/Paris"
    assert df["lat"].dtype == np.float64 and df["lon"].dtype == np.float64
    assert pd.api.types.is_integer_dtype(df["severity"]) and set(df["severity"]) == {1, 2, 3}
    for col in ("source_id", "category", "status", "description", "team"):
        assert pd.api.types.is_string_dtype(df[col]), col
    assert df["source_id"].is_unique and df["source_id"].str.fullmatch(r"demo-\d{7}").all()
    assert df["observed_at"].is_monotonic_increasing
    codes = {c["code"] for c in TAXONOMY["categories"] if c["kind"] != "autre"}
    assert set(df["category"]) <= codes and "autre" not in set(df["category"])
    assert set(df["status"]) == {"nouveau", "transmis", "pris_en_charge", "resolu", "clos_sans_suite"}
    assert set(df["team"]) == set(TEAMS)
    tricky = df["description"].str.contains(r"[<>&\"]|^[=+@-]", regex=True).mean()
    assert 0.005 < tricky < 0.05
    assert df["description"].str.contains("<script>", regex=False).any()


def test_size_span_and_end(reports: pd.DataFrame) -> None:
    assert abs(len(reports) - N) <= 0.02 * N
    assert reports["observed_at"].max() < END
    assert reports["observed_at"].min() <= END - pd.DateOffset(years=2)


def test_deterministic_per_seed(territory: gpd.GeoDataFrame) -> None:
    a = generate_demo_reports(territory, n=3_000, seed=7, end=END)
    b = generate_demo_reports(territory, n=3_000, seed=7, end=END.tz_convert("UTC"))
    c = generate_demo_reports(territory, n=3_000, seed=8, end=END)
    pd.testing.assert_frame_equal(a, b)
    assert not a[["lat", "lon"]].equals(c[["lat", "lon"]])


def test_default_end_is_now(territory: gpd.GeoDataFrame) -> None:
    now = pd.Timestamp.now(tz="Europe/Paris")
    df = generate_demo_reports(territory, n=2_000, seed=1)
    assert df["observed_at"].max() <= now
    assert df["observed_at"].max() >= now - pd.Timedelta(days=7)
    assert df["observed_at"].min() <= now - pd.DateOffset(years=2)


def test_million_reports_scale(territory: gpd.GeoDataFrame) -> None:
    # timing lives in bench/ingest.py; here only that a million works
    df = generate_demo_reports(territory, n=1_000_000, seed=3, end=pd.Timestamp("2025-06-15 14:30"))
    assert abs(len(df) - 1_000_000) <= 20_000
    assert df["source_id"].is_unique


# --- places --------------------------------------------------------------------------------------------------


def test_points_inside_territory_except_outside_fraction(reports: pd.DataFrame,
                                                          territory: gpd.GeoDataFrame) -> None:
    outside = reports["quartier"].isna()
    assert 0.0025 <= outside.mean() <= 0.01
    metric = shapely.union_all(territory.to_crs(2154).geometry.values)
    dist = shapely.distance(metric, shapely.points(reports.loc[outside, ["x", "y"]].to_numpy()))
    assert (dist > 0).all() and (dist <= 520).all()  # "just outside"


# --- planted patterns ----------------------------------------------------------------------------------------


def test_eclairage_peaks_in_winter(reports: pd.DataFrame) -> None:
    month = reports.loc[reports["category"] == "eclairage", "observed_at"].dt.month
    assert month.isin([12, 1, 2]).sum() / month.isin([6, 7, 8]).sum() > 1.5


def test_weekday_and_hour_patterns(reports: pd.DataFrame) -> None:
    ts = reports["observed_at"]
    assert (ts.dt.day_of_week < 5).mean() > 0.8
    evening = reports["category"].isin(EVENING)
    day_hours = ts.dt.hour.between(9, 18)
    assert day_hours[~evening].mean() > 0.75
    late = ts.dt.hour >= 17
    assert late[evening].mean() > 0.5 > late[~evening].mean()


def test_priority_quartiers_report_more_per_inhabitant(reports: pd.DataFrame, territory: gpd.GeoDataFrame) -> None:
    t = territory.set_index("code")
    rate = reports.groupby("quartier").size() / t["population"] * 1_000
    assert rate[t["priority"]].min() > 1.5 * rate[~t["priority"]].max()


def test_persistent_hotspot(reports: pd.DataFrame, territory: gpd.GeoDataFrame) -> None:
    p = PLANTED_PATTERNS["persistent_hotspot"]
    poly = territory.set_index("code").to_crs(2154).geometry[p.quartier]
    disc = shapely.Point(_centre_2154(p)).buffer(p.radius_m)
    assert poly.contains(disc)
    inside = _in_disc(reports, p)
    in_q = reports["quartier"] == p.quartier
    density_disc = inside.sum() / disc.area
    density_rest = (in_q & ~inside).sum() / (poly.area - disc.area)
    assert density_disc > 5 * density_rest
    assert (reports.loc[inside, "category"] == p.category).mean() > 0.8
    # Hot in every 13-week block of the last two years.
    block = (reports.loc[inside, "age_days"] // 91).astype(int)
    assert (block.value_counts().reindex(range(8), fill_value=0) >= 8).all()


def test_emerging_hotspot(reports: pd.DataFrame, territory: gpd.GeoDataFrame) -> None:
    p = PLANTED_PATTERNS["emerging_hotspot"]
    poly = territory.set_index("code").to_crs(2154).geometry[p.quartier]
    assert poly.contains(shapely.Point(_centre_2154(p)).buffer(p.radius_m))
    inside = _in_disc(reports, p) & (reports["category"] == p.category)
    age = reports.loc[inside, "age_days"]
    last8, prev8 = (age < 56).sum(), ((age >= 56) & (age < 112)).sum()
    assert last8 >= 50 and last8 >= 5 * max(prev8, 1)
    assert (age < 28).sum() > 1.25 * ((age >= 28) & (age < 56)).sum()  # rising within the window (~2.9x)


def test_spike_last_two_weeks(reports: pd.DataFrame) -> None:
    p = PLANTED_PATTERNS["spike"]

    def weekly(mask: pd.Series) -> pd.Series:
        week = (reports.loc[mask, "age_days"] // 7).astype(int)
        return week.value_counts().reindex(range(104), fill_value=0).sort_index()

    in_q = reports["quartier"] == p.quartier
    counts = weekly(in_q & (reports["category"] == p.category))
    assert counts.iloc[:2].mean() >= 3 * counts.iloc[2:].mean()
    # Only that quartier x category: the rest of the quartier stays at its baseline.
    others = weekly(in_q & (reports["category"] != p.category))
    assert others.iloc[:2].mean() < 1.5 * others.iloc[2:].mean()


def test_older_reports_more_often_closed(reports: pd.DataFrame) -> None:
    is_open = reports["status"].isin(["nouveau", "transmis", "pris_en_charge"])
    assert is_open[reports["age_days"] < 7].mean() > 3 * is_open[reports["age_days"] > 90].mean()


def test_rise_over_the_last_year(reports: pd.DataFrame) -> None:
    p = PLANTED_PATTERNS["rise"]
    mask = (reports["quartier"] == p.quartier) & (reports["category"] == p.category)
    age = reports.loc[mask, "age_days"]
    last13, before = (age < 91).sum(), ((age >= 546) & (age < 819)).sum() / 3  # 13-week mean before the window
    assert last13 > 2 * before  # rate ≈ 3.75x over the window's last quarter, against 1x before it
    # the other categories of the quartier do not rise
    other = reports.loc[(reports["quartier"] == p.quartier) & (reports["category"] != p.category), "age_days"]
    assert (other < 91).sum() < 1.3 * ((other >= 546) & (other < 819)).sum() / 3
