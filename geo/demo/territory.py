"""Approximate demo territory: quartiers of Dijon and two priority neighbourhoods.

The official boundary files (IGN Contours-IRIS, QPV from data.gouv.fr) are not
available offline, so the demo ships an honest approximation: one seed point per
quartier placed near its real centre, Voronoi cells computed in Lambert-93
(EPSG:2154) and clipped to a hand-drawn outline of the commune of Dijon. The two
priority neighbourhoods outside Dijon (Le Mail in Chenôve, Le Belvédère in
Talant) are small hand-drawn polygons. Nothing here is an official boundary.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping

__all__ = [
    "DEMO_TERRITORY_NOTE",
    "DEMO_TERRITORY_PATH",
    "build_demo_territory",
    "read_demo_territory",
    "write_demo_territory",
]

DEMO_TERRITORY_NOTE = (
    "Territoire de démonstration : les limites et les populations des quartiers sont "
    "approximatives et non officielles ; les fichiers officiels (Contours-IRIS de l'IGN, "
    "QPV de data.gouv.fr) se chargent avec « python -m geo territory »."
)

DEMO_TERRITORY_PATH = Path(__file__).resolve().parents[2] / "data" / "demo_territory.geojson"

# code, French name, approximate population, priority (QPV), seed (lon, lat).
# Seeds are near each quartier's real centre; populations are rounded guesses that
# sum to about 160,000 for Dijon (the QPVs of the two other communes add ~7,000).
_DIJON_QUARTIERS: tuple[tuple[str, str, int, bool, tuple[float, float]], ...] = (
    ("centre-ville", "Centre-ville", 27_000, False, (5.0405, 47.3225)),
    ("montchapet", "Montchapet", 20_000, False, (5.0230, 47.3345)),
    ("toison-d-or", "Toison d'Or", 20_000, False, (5.0470, 47.3530)),
    ("maladiere", "Maladière", 19_000, False, (5.0560, 47.3265)),
    ("universite", "Université", 20_000, False, (5.0700, 47.3130)),
    ("chevreul-parc", "Chevreul-Parc", 17_000, False, (5.0450, 47.3050)),
    ("bourroches-port-du-canal", "Bourroches – Port du Canal", 16_000, False, (5.0230, 47.3080)),
    ("fontaine-d-ouche", "Fontaine d'Ouche", 12_000, True, (5.0040, 47.3170)),
    ("gresilles", "Grésilles", 9_000, True, (5.0620, 47.3380)),
)

# Rough outline of the commune of Dijon (lon, lat), clockwise from the north.
_DIJON_OUTLINE: tuple[tuple[float, float], ...] = (
    (5.0500, 47.3710), (5.0700, 47.3620), (5.0820, 47.3480), (5.0880, 47.3300),
    (5.0850, 47.3120), (5.0720, 47.3000), (5.0550, 47.2950), (5.0350, 47.2990),
    (5.0180, 47.3040), (4.9980, 47.3060), (4.9700, 47.3140), (4.9720, 47.3280),
    (4.9980, 47.3290), (5.0120, 47.3390), (5.0250, 47.3510), (5.0350, 47.3640),
)

# Priority neighbourhoods of the metropolis outside Dijon: hand-drawn, ~0.5 km².
_OTHER_QPV: tuple[tuple[str, str, int, tuple[tuple[float, float], ...]], ...] = (
    (
        "le-mail",
        "Le Mail (Chenôve)",
        4_500,
        ((5.0040, 47.2960), (5.0140, 47.2985), (5.0205, 47.2945), (5.0170, 47.2885),
         (5.0060, 47.2880), (5.0010, 47.2915)),
    ),
    (
        "le-belvedere",
        "Le Belvédère (Talant)",
        3_000,
        ((4.9930, 47.3390), (5.0010, 47.3410), (5.0070, 47.3385), (5.0055, 47.3352),
         (4.9975, 47.3335), (4.9915, 47.3355)),
    ),
)


def build_demo_territory() -> gpd.GeoDataFrame:
    """Build the approximate demo territory of Dijon.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per quartier with columns ``code`` (stable slug), ``name``
        (French), ``population`` (int, approximate), ``priority`` (bool, QPV) and
        ``geometry`` (Polygon), CRS EPSG:4326. Polygons are valid and do not
        overlap. Boundaries and populations are approximations, see
        :data:`DEMO_TERRITORY_NOTE`.
    """
    qpv = [Polygon(ring) for *_, ring in _OTHER_QPV]
    outline = Polygon(_DIJON_OUTLINE).difference(shapely.union_all(qpv))  # no-op unless edited

    # Voronoi cells in metres (true perpendicular bisectors), then back to degrees.
    seeds = gpd.GeoSeries.from_xy(
        [q[4][0] for q in _DIJON_QUARTIERS], [q[4][1] for q in _DIJON_QUARTIERS], crs=4326
    ).to_crs(2154)
    extent = gpd.GeoSeries([outline], crs=4326).to_crs(2154).buffer(5_000).iloc[0]
    cells = shapely.voronoi_polygons(MultiPoint(list(seeds.values)), extend_to=extent, ordered=True)
    cells = gpd.GeoSeries(list(cells.geoms), crs=2154).to_crs(4326).values
    dijon = shapely.intersection(cells, outline)
    geoms = shapely.orient_polygons(list(dijon) + list(qpv))  # RFC 7946 ring order
    rows = [(c, n, p, pr) for c, n, p, pr, _ in _DIJON_QUARTIERS]
    rows += [(c, n, p, True) for c, n, p, _ in _OTHER_QPV]
    return gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "population": [r[2] for r in rows],
            "priority": [r[3] for r in rows],
        },
        geometry=geoms,
        crs=4326,
    )


def write_demo_territory(path: str | Path = DEMO_TERRITORY_PATH) -> Path:
    """Write the demo territory as RFC 7946 GeoJSON (WGS84, one feature a line).

    Parameters
    ----------
    path : str or pathlib.Path, default ``data/demo_territory.geojson``
        Destination file; overwritten.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    gdf = build_demo_territory()
    features = []
    for row in gdf.itertuples(index=False):
        props = {
            "code": row.code,
            "name": row.name,
            "population": int(row.population),
            "priority": bool(row.priority),
        }
        feature = {"type": "Feature", "properties": props, "geometry": mapping(row.geometry)}
        features.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(features) + "\n]}\n"
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


def read_demo_territory(path: str | Path = DEMO_TERRITORY_PATH) -> gpd.GeoDataFrame:
    """Read the committed demo territory GeoJSON.

    Parameters
    ----------
    path : str or pathlib.Path, default ``data/demo_territory.geojson``
        GeoJSON written by :func:`write_demo_territory`.

    Returns
    -------
    geopandas.GeoDataFrame
        Same columns, dtypes and CRS as :func:`build_demo_territory`.
    """
    gdf = gpd.read_file(path)
    gdf = gdf[["code", "name", "population", "priority", "geometry"]]
    return gdf.astype({"population": "int64", "priority": "bool"})
