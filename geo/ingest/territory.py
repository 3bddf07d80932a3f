"""Read neighbourhood boundaries and assign report positions to them (metric work in Lambert-93)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.errors import InputError, TerritoryError
from geo.store.database import Store
from geo.store.postgis_schema import has_geometries

__all__ = ["METRIC_CRS", "read_boundaries", "assign_neighbourhoods", "looks_like_lonlat", "install_territory",
           "parse_crs", "left_to_database", "assigns_in_database", "DATABASE_ASSIGNMENT_MIN_BYTES"]

METRIC_CRS = "EPSG:2154"
PER_POLYGON_LIMIT = 64  # above this many neighbourhoods, assign through a spatial index
DATABASE_ASSIGNMENT_MIN_BYTES: int | None = 32 * 2**20
"""Files from this size on (about 250,000 rows) have their points assigned by PostGIS (:func:`assigns_in_database`);
``None``: never.

Both give the same neighbourhoods. A shared PostGIS deployment keeps its territory in the database, so a large
batch is placed there, where the polygons and their GiST index live. It costs more than shapely in the
validation workers: on 1,000,000 uniform points over the demo territory, 3.7 s for PostGIS's ``UPDATE``
against 1.3 s (2 cores, load average 11-17; the helper's ``bench/postgis.py`` run at load 18-30 measured 19 s),
a small part of a PostgreSQL import of that size (about 90 s).
"""
WGS84 = "EPSG:4326"
_YES = frozenset({"1", "true", "vrai", "oui", "yes", "o", "y", "x"})


def looks_like_lonlat(bounds: tuple[float, float, float, float]) -> bool:
    """Tell whether ``(minx, miny, maxx, maxy)`` can be longitudes and latitudes."""
    minx, miny, maxx, maxy = bounds
    return -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def parse_crs(value: str | int) -> pyproj.CRS:
    """Return the CRS given as ``--crs`` (``2154``, ``EPSG:2154``, a WKT or PROJ string).

    Raises
    ------
    InputError
        When PROJ does not know it.
    """
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(
            f"--crs {value!r} : système de coordonnées inconnu ({exc}). "
            "Donnez un code EPSG, par exemple --crs 2154 pour le Lambert-93."
        ) from exc


def _flags(values: pd.Series) -> pd.Series:
    """Read a yes/no field: booleans, numbers (non-zero is yes) or words (``oui``, ``true``, ``1``…)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return values.fillna(0).astype(bool)
    return values.astype(str).str.strip().str.lower().isin(_YES)


def read_boundaries(
    path: Path | str, *, code: str, name: str, population: str | None = None, crs: str | int | None = None,
    priority: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a boundary file (GeoJSON, GeoPackage, Shapefile) as neighbourhoods in WGS84.

    Parameters
    ----------
    path
        The boundary file.
    code, name
        Fields holding the neighbourhood's code and name.
    population
        Optional field holding the population (for rates per 1,000 inhabitants).
    crs
        CRS of the coordinates when the file does not declare one (e.g. ``2154``).
    priority
        Optional boolean field telling priority neighbourhoods (QPV).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name``, ``population``, ``priority``, ``geometry`` in EPSG:4326.

    Raises
    ------
    TerritoryError
        When the file cannot be read, a field is missing, a geometry is not a polygon, codes repeat,
        or the file declares no CRS (or a geographic one) and its coordinates are not longitudes/latitudes.
    """
    path = Path(path)
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types; each means the file is unusable
        raise TerritoryError(f"cannot read boundary file {path}: {exc}") from exc
    if gdf.empty:
        raise TerritoryError(f"boundary file {path} holds no feature")
    wanted = {"--code": code, "--name": name, "--population": population, "--priority": priority}
    missing = {opt: col for opt, col in wanted.items() if col is not None and col not in gdf.columns}
    if missing:
        fields = sorted(c for c in gdf.columns if c != "geometry")
        raise TerritoryError(
            f"boundary file {path} has no field {', '.join(f'{c!r} ({o})' for o, c in missing.items())}; "
            f"its fields are {fields}"
        )
    if crs is not None:
        gdf = gdf.set_crs(parse_crs(crs), allow_override=True)
    elif gdf.crs is None or gdf.crs.is_geographic:
        # GeoJSON is WGS84 by definition, so GDAL declares EPSG:4326 whatever the coordinates are
        if not looks_like_lonlat(tuple(gdf.total_bounds)):
            declared = "declares no CRS" if gdf.crs is None else f"declares {gdf.crs.to_string()}"
            raise TerritoryError(
                f"boundary file {path} {declared} but its coordinates {tuple(np.round(gdf.total_bounds, 1))} "
                "are not longitudes/latitudes; give the CRS with --crs (for example --crs 2154 for Lambert-93)"
            )
        if gdf.crs is None:
            gdf = gdf.set_crs(WGS84)
    kinds = set(gdf.geometry.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise TerritoryError(f"boundary file {path} must hold polygons; found {sorted(kinds)}")
    if gdf.geometry.isna().any():
        raise TerritoryError(f"boundary file {path} has {int(gdf.geometry.isna().sum())} feature(s) with no geometry")
    out = gpd.GeoDataFrame(
        {
            "code": gdf[code].astype(str).str.strip(),
            "name": gdf[name].astype(str).str.strip(),
            "population": pd.to_numeric(gdf[population], errors="coerce").round().astype("Int64")
            if population else pd.array([pd.NA] * len(gdf), dtype="Int64"),
            "priority": _flags(gdf[priority]) if priority else False,
        },
        geometry=shapely.make_valid(gdf.geometry.to_crs(WGS84).values),
        crs=WGS84,
    )
    repeated = out["code"][out["code"].duplicated()].unique()
    if len(repeated):
        raise TerritoryError(f"boundary file {path}: codes must be unique; {list(repeated)[:5]} repeat")
    return out


def assign_neighbourhoods(lon: np.ndarray, lat: np.ndarray, territory: gpd.GeoDataFrame) -> np.ndarray:
    """Return the code of the neighbourhood each WGS84 point falls in (``None`` outside).

    The result is GeoPandas' spatial join, ``gpd.sjoin(points, territory, predicate="intersects")``
    (``tests/ingest/test_territory.py`` checks it), computed without building a point GeoDataFrame: per
    polygon behind its bounding box for a few quartiers, through the territory's spatial index
    (what ``sjoin`` uses) for many. A point on a shared border goes to the first neighbourhood in
    ``territory`` order. The test runs
    in WGS84, the CRS the boundaries are stored in, so that it agrees with every other reader of them
    (a point-in-polygon test is topological: reprojecting would only bend the stored edges).
    """
    n = len(lon)
    codes = np.full(n, None, dtype=object)
    if n == 0 or territory.empty:
        return codes
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    if len(territory) > PER_POLYGON_LIMIT:
        return _assign_with_index(lon, lat, territory, codes)
    # a few polygons (quartiers): test points against each, behind its bounding box, with no
    # point geometry built at all
    todo = np.ones(n, dtype=bool)
    for code, geometry in zip(territory["code"].to_numpy(), territory.geometry.to_numpy(), strict=True):
        minx, miny, maxx, maxy = geometry.bounds
        candidates = np.flatnonzero(todo & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
        if len(candidates) == 0:
            continue
        shapely.prepare(geometry)
        inside = candidates[shapely.intersects_xy(geometry, lon[candidates], lat[candidates])]
        codes[inside] = code
        todo[inside] = False
    return codes


def _assign_with_index(lon: np.ndarray, lat: np.ndarray, territory: gpd.GeoDataFrame, codes: np.ndarray
                       ) -> np.ndarray:
    """Assign through the territory's spatial index (many polygons: IRIS, a whole metropolis)."""
    points = shapely.points(lon, lat)
    point_idx, poly_idx = territory.geometry.sindex.query(points, predicate="intersects")
    # keep the first polygon for each point
    order = np.lexsort((poly_idx, point_idx))
    point_idx, poly_idx = point_idx[order], poly_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    codes[point_idx[first]] = territory["code"].to_numpy()[poly_idx[first]]
    return codes


def left_to_database(lon: np.ndarray, lat: np.ndarray, territory: gpd.GeoDataFrame) -> np.ndarray | None:
    """Return which points the database may assign instead of :func:`assign_neighbourhoods`, or ``None``.

    A point is left to the database when it lies in the territory's bounding box (closed): every point of a
    neighbourhood does. The importer also retries, with latitude and longitude swapped, each point that
    falls in no neighbourhood; a point of the box never gains a neighbourhood that way when the box's
    longitudes and latitudes do not overlap (swapped, it leaves the box), so that leaving it unassigned here
    changes nothing but who assigns it. When they overlap (a territory astride the line lon = lat, near
    the Gulf of Guinea), ``None``: every point is assigned here.
    """
    if territory.empty:
        return None
    minx, miny, maxx, maxy = territory.total_bounds
    if not (maxx < miny or maxy < minx):
        return None
    return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)


def assigns_in_database(store: Store, size: int) -> bool:
    """Tell whether an import of a file of ``size`` bytes into ``store`` leaves its points to PostGIS.

    Only a PostgreSQL store with the PostGIS geometries (:mod:`geo.store.postgis_schema`) can, and only files
    from :data:`DATABASE_ASSIGNMENT_MIN_BYTES` on (``bench/postgis.py`` measures both ways).
    """
    if store.is_sqlite or DATABASE_ASSIGNMENT_MIN_BYTES is None or size < DATABASE_ASSIGNMENT_MIN_BYTES:
        return False
    with store.engine.connect() as conn:
        return has_geometries(conn)


def install_territory(store: Store, territory: gpd.GeoDataFrame, *, source_name: str) -> dict[str, int]:
    """Replace the store's neighbourhoods and re-assign every stored report, in one transaction.

    Returns
    -------
    dict
        ``neighbourhoods`` loaded, ``reports`` re-assigned, ``changed`` assignments and ``outside_territory``.
    """
    with store.transaction() as conn:
        store.replace_territory(conn, territory, source_name=source_name)
        positions = store.read_positions(conn)
        codes = assign_neighbourhoods(positions["lon"].to_numpy(), positions["lat"].to_numpy(), territory)
        stored = positions["neighbourhood"]
        before = np.where(stored.isna(), None, stored.to_numpy(dtype=object))
        changed = np.asarray(before != codes, dtype=bool)  # element-wise; None equals None
        store.set_neighbourhoods(conn, pd.DataFrame({"id": positions["id"][changed],
                                                     "neighbourhood": codes[changed]}))
    return {"neighbourhoods": len(territory), "reports": len(positions), "changed": int(changed.sum()),
            "outside_territory": int(pd.isna(codes).sum())}
