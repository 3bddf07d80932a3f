"""Synthetic mediation reports with documented, detectable patterns.

Everything is drawn at once with numpy: a Poisson-like intensity is built on a
(source row × category × day) grid, ``n`` reports are spread over it with one
multinomial draw, then hours, places, severities, statuses and texts are drawn
per report in vectorised form. Source rows are the quartiers of the territory,
the planted hotspot discs and a ring just outside the territory.

Planted structure (all relative to ``end``, see ``data/README.md``):

* quartier rate proportional to population, x :data:`PRIORITY_FACTOR` in priority
  neighbourhoods (QPV), with more ``parties_communes``, ``rodeo`` and
  ``acces_droits`` there (:data:`PRIORITY_CATEGORY_FACTOR`);
* seasonality: ``eclairage`` follows (night length / 12 h)², so it peaks in
  December; evening incidents and ``espaces_verts`` peak in summer; every
  category x :data:`AUGUST_FACTOR` in August (holidays);
* weekdays: daytime categories mostly Monday-Friday 9h-19h; ``regroupement``,
  ``nuisance_sonore`` and ``rodeo`` mostly in the evening, Friday and Saturday;
* the four entries of :data:`PLANTED_PATTERNS` (persistent hotspot, emerging
  hotspot, spike, rise);
* :data:`OUTSIDE_SHARE` of reports in a ring 20-500 m outside the territory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

__all__ = [
    "AUGUST_FACTOR",
    "OUTSIDE_SHARE",
    "PLANTED_PATTERNS",
    "PRIORITY_CATEGORY_FACTOR",
    "PRIORITY_FACTOR",
    "REPORT_COLUMNS",
    "TEAMS",
    "PlantedPattern",
    "generate_demo_reports",
]

TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "data" / "taxonomy.json"
TZ = "Europe/Paris"
REPORT_COLUMNS = (
    "source_id", "observed_at", "lat", "lon", "category", "severity", "status",
    "description", "team",
)
TEAMS = ("Équipe A", "Équipe B", "Équipe C", "Équipe D")
STATUSES = ("nouveau", "transmis", "pris_en_charge", "resolu", "clos_sans_suite")

PRIORITY_FACTOR = 2.0
PRIORITY_CATEGORY_FACTOR = MappingProxyType(
    {"parties_communes": 2.0, "rodeo": 2.0, "acces_droits": 1.5}
)
AUGUST_FACTOR = 0.8
OUTSIDE_SHARE = 0.005
_OUTSIDE_RING_M = (20.0, 500.0)
_TRICKY_SHARE = 0.02  # descriptions with <, >, &, quotes or a leading = + - @
_TEAM_MIX = 0.1  # share of reports made by another team than the quartier's


@dataclass(frozen=True)
class PlantedPattern:
    """A pattern planted in the demo reports, for tests of later analyses.

    Attributes
    ----------
    kind : str
        ``"persistent_hotspot"``, ``"emerging_hotspot"``, ``"spike"`` or ``"rise"``.
    quartier : str
        Territory ``code`` the pattern lies in.
    category : str
        Taxonomy code of the planted reports.
    lat, lon : float or None
        Centre of the disc (WGS84); None for a whole-quartier spike.
    radius_m : float or None
        Disc radius in metres; points are uniform in the disc.
    weeks_before_end : tuple of float or None
        ``(start, stop)``: active in days with age in ``[7*stop, 7*start)``
        before ``end``'s last day; None for the whole period.
    share : float
        Fraction of ``n`` added inside the disc (0 for a spike).
    factor : float
        Spike: multiplier of the quartier x category baseline over the window;
        rise: the multiplier reached on the window's last day, from 1 at its start.
        Unused (1.0) for hotspots; an emerging hotspot's rate instead grows
        linearly from ~0 on the window's first day to its maximum on the last.
    """

    kind: str
    quartier: str
    category: str
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    weeks_before_end: tuple[float, float] | None = None
    share: float = 0.0
    factor: float = 1.0


PLANTED_PATTERNS = MappingProxyType({
    # Dumped waste near the Grésilles shopping square, all period long.
    "persistent_hotspot": PlantedPattern(
        "persistent_hotspot", "gresilles", "proprete", lat=47.3380, lon=5.0640,
        radius_m=150.0, share=0.04,
    ),
    # Tags near the campus: nothing planted before 8 weeks ago, then a linear rise.
    "emerging_hotspot": PlantedPattern(
        "emerging_hotspot", "universite", "tags", lat=47.3140, lon=5.0720,
        radius_m=150.0, weeks_before_end=(8.0, 0.0), share=0.005,
    ),
    # Lifts and halls in Fontaine d'Ouche: 6x the usual rate in the last 2 weeks.
    "spike": PlantedPattern(
        "spike", "fontaine-d-ouche", "parties_communes", weeks_before_end=(2.0, 0.0),
        factor=6.0,
    ),
    # Incivilities in the city centre: the rate rises linearly to 4x over the last 78 weeks.
    "rise": PlantedPattern(
        "rise", "centre-ville", "incivilite", weeks_before_end=(78.0, 0.0), factor=4.0,
    ),
})

_BASE_WEIGHT = {
    "eclairage": 0.07, "voirie": 0.06, "proprete": 0.18, "tags": 0.08, "mobilier": 0.05,
    "espaces_verts": 0.04, "parties_communes": 0.07, "transport": 0.03,
    "signalisation": 0.02, "vehicule_epave": 0.03, "eau_energie": 0.015,
    "incivilite": 0.07, "regroupement": 0.06, "conflit_voisinage": 0.04,
    "nuisance_sonore": 0.05, "rodeo": 0.02, "personne_vulnerable": 0.03,
    "acces_droits": 0.04, "information": 0.02, "concertation": 0.01,
    "action_collective": 0.015,
}
_EVENING = {"regroupement", "nuisance_sonore", "rodeo"}
_MIXED = {"incivilite", "conflit_voisinage"}
# Hour-of-day weights (0h..23h) and Monday..Sunday factors per profile.
_HOURS = np.array([
    [0, 0, 0, 0, 0, 0, .1, .5, 2, 4, 5, 5, 3, 2.5, 4, 4.5, 4.5, 4, 2.5, 1, .4, .2, .1, 0],
    [1.2, .6, .3, .1, 0, 0, 0, .1, .3, .5, .8, 1, 1.2, 1.2, 1.5, 2, 3, 4, 5, 5.5, 5, 4.5, 3.5, 2],
])
_HOURS = _HOURS / _HOURS.sum(axis=1, keepdims=True)
_HOURS = np.vstack([_HOURS, _HOURS.mean(axis=0)])  # day, evening, mixed
_WEEKDAYS = np.array([
    [1, 1, 1, 1, 1, .3, .1], [.8, .8, .9, 1, 1.3, 1.2, .6], [1, 1, 1, 1, 1.1, .6, .3]
])
# Summer peaks: (amplitude, day of year of the peak).
_SUMMER = {"regroupement": (.35, 200), "nuisance_sonore": (.35, 200), "rodeo": (.5, 190),
           "espaces_verts": (.4, 160)}
_STATUS_TAU_DAYS = {"degradation": 21.0, "incident": 5.0, "besoin": 30.0}
_SEVERITY_P = {1: (.7, .25, .05), 2: (.2, .65, .15), 3: (.1, .3, .6)}

_PHRASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "eclairage": (("Lampadaire éteint", "Éclairage en panne sur toute la rue",
                   "Candélabre qui clignote", "Rue dans le noir depuis plusieurs jours"),
                  ("- lampadaire éteint depuis 3 jours (relance)", "Éclairage HS rue & parking")),
    "voirie": (("Nid-de-poule sur la chaussée", "Trottoir défoncé",
                "Bordure de trottoir descellée", "Plaque d'égout instable"),
               ("Trou > 20 cm sur la chaussée",)),
    "proprete": (("Dépôt sauvage d'encombrants", "Sacs poubelle au pied de l'immeuble",
                  "Déchets éparpillés près des conteneurs", "Matelas abandonné sur le trottoir"),
                 ("Dépôt sauvage <b>récurrent</b> près des conteneurs",
                  "=Encombrants devant le local (voir photo)")),
    "tags": (("Tags sur la façade", "Graffiti sur un mur d'école",
              "Affichage sauvage sur les poteaux"),
             ("Tag « <script>alert(1)</script> » sur abribus",)),
    "mobilier": (("Banc cassé", "Vitre d'abribus brisée", "Poubelle de rue arrachée"),
                 ("Abribus vandalisé : vitre & banc",)),
    "espaces_verts": (("Jeu pour enfants dégradé", "Pelouse jonchée de détritus",
                       "Branche cassée dangereuse"),
                      ("Aire de jeux : portillon <cassé>",)),
    "parties_communes": (("Ascenseur en panne", "Porte de hall qui ne ferme plus",
                          "Éclairage du hall défaillant", "Cave squattée",
                          "Boîtes aux lettres forcées"),
                         ('Hall "sale" & ascenseur bloqué au 3e',)),
    "transport": (("Arrêt de bus sans affichage", "Poteau d'arrêt tordu",
                   "Horaires arrachés à l'arrêt"),
                  ("Arrêt tram : écran <erreur 500>",)),
    "signalisation": (("Panneau stop tordu", "Feu tricolore en panne", "Marquage au sol effacé"),
                      ('Panneau "sens interdit" retourné',)),
    "vehicule_epave": (("Véhicule ventouse depuis plusieurs semaines", "Voiture brûlée",
                        "Scooter abandonné"),
                       ("+ voiture sans plaques sur le parking",)),
    "eau_energie": (("Fuite d'eau sur la voie", "Coffret électrique ouvert",
                     "Bouche d'incendie qui fuit"),
                    ("Coffret ouvert & câbles apparents",)),
    "incivilite": (("Stationnement gênant sur le trottoir", "Jets de déchets par les fenêtres",
                    "Incivilités répétées devant les commerces"),
                   ("Propos injurieux & menaces envers un commerçant",)),
    "regroupement": (("Regroupement de jeunes dans le hall", "Regroupement en soirée sur la place",
                      "Occupation d'un hall d'immeuble"),
                     ("Regroupement (~15 pers.) <devant l'entrée>",)),
    "conflit_voisinage": (("Conflit entre voisins de palier", "Différend lié au bruit",
                           "Tension entre locataires"),
                          ("Conflit voisins 3e & 4e étage",)),
    "nuisance_sonore": (("Musique forte en soirée", "Bruit de moteurs la nuit",
                         "Cris dans la cour"),
                        ("@bruit : musique forte après 22h",)),
    "rodeo": (("Rodéo de motos dans le quartier", "Quads sur les espaces verts",
               "Motos sur les trottoirs"),
              ("Rodéo <motos & quads> sur le parking",)),
    "personne_vulnerable": (("Personne âgée isolée", "Personne sans abri en difficulté",
                             "Habitant en détresse signalé par un voisin"),
                            ("Personne isolée, pas vue depuis > 1 semaine",)),
    "acces_droits": (("Besoin d'aide pour un dossier CAF", "Demande d'accompagnement administratif",
                      "Question sur le chèque énergie"),
                     ("Dossier CAF & APL en attente",)),
    "information": (("Sensibilisation au tri des déchets",
                     "Information sur les économies d'énergie",
                     "Présentation des travaux aux habitants"),
                    ("Atelier « éco-gestes » & goûter",)),
    "concertation": (("Réunion de concertation avec le bailleur",
                      "Dialogue habitants–mairie de quartier",
                      "Porte-à-porte sur le projet de rénovation"),
                     ('Réunion "cadre de vie" <salle polyvalente>',)),
    "action_collective": (("Animation de pied d'immeuble", "Fête des voisins",
                           "Atelier collectif pour les enfants"),
                          ("Goûter partagé & jeux",)),
}
_GENERIC = (("Signalement de l'équipe de médiation",), ("Signalé & transmis <à vérifier>",))


def _categories() -> list[dict]:
    """Taxonomy categories a demo report may use (every kind but ``autre``)."""
    data = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))
    return [c for c in data["categories"] if c.get("kind") != "autre"]


def _pick(rng: np.random.Generator, cdf: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Draw one index per element from the per-group discrete laws in ``cdf``.

    ``cdf`` is (groups, k) cumulative probabilities; returns column indices.
    """
    k = cdf.shape[1]
    flat = (cdf + np.arange(cdf.shape[0])[:, None]).ravel()
    idx = np.searchsorted(flat, group + rng.random(group.size), side="right")
    return np.minimum(idx - group * k, k - 1)


def _cdf(rows: list[np.ndarray]) -> np.ndarray:
    """Cumulative laws padded to a common width (padding has probability 0)."""
    width = max(len(r) for r in rows)
    out = np.ones((len(rows), width))
    for i, r in enumerate(rows):
        c = np.cumsum(r) / np.sum(r)
        out[i, : len(c)] = c
    return out


def _m_per_deg(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude at ``lat`` (WGS84)."""
    phi = np.radians(lat)
    m_lat = 111_132.92 - 559.82 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
    m_lon = 111_412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi)
    return float(m_lon), float(m_lat)


def _sample_polygon(rng: np.random.Generator, geom: shapely.Geometry, m: int) -> np.ndarray:
    """``m`` uniform points (lon, lat) in a (multi)polygon, via its triangles."""
    tri = shapely.get_coordinates(
        shapely.get_parts(shapely.constrained_delaunay_triangles(geom))
    ).reshape(-1, 4, 2)[:, :3]
    ab, ac = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    area = np.abs(ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0])  # ∝ m² at city scale
    cum = np.cumsum(area)
    t = np.minimum(np.searchsorted(cum, rng.random(m) * cum[-1], side="right"), len(cum) - 1)
    r = rng.random((2, m))
    flip = r.sum(axis=0) > 1
    r[:, flip] = 1 - r[:, flip]
    return tri[t, 0] + r[0, :, None] * ab[t] + r[1, :, None] * ac[t]


def _sample_disc(rng: np.random.Generator, lon: float, lat: float, radius: float, m: int) -> np.ndarray:
    """``m`` uniform points (lon, lat) in a disc of ``radius`` metres."""
    kx, ky = _m_per_deg(lat)
    rho = radius * np.sqrt(rng.random(m))
    theta = 2 * np.pi * rng.random(m)
    return np.column_stack([lon + rho * np.cos(theta) / kx, lat + rho * np.sin(theta) / ky])


def _take_str(labels: list[str], codes: np.ndarray) -> pd.Series:
    """Return ``labels[codes]`` as a ``str`` Series (an arrow take: fast, compact)."""
    return pd.Series(pd.array(pa.array(labels).take(pa.array(codes)), dtype="str"))


def _resolve_end(end: pd.Timestamp | None) -> pd.Timestamp:
    if end is None:
        return pd.Timestamp.now(tz=TZ).floor("h")
    end = pd.Timestamp(end)
    return end.tz_localize(TZ) if end.tzinfo is None else end.tz_convert(TZ)


def generate_demo_reports(
    territory: gpd.GeoDataFrame,
    *,
    n: int = 20_000,
    seed: int = 42,
    end: pd.Timestamp | None = None,
    years: float = 2.25,
) -> pd.DataFrame:
    """Generate synthetic field reports over a territory.

    Parameters
    ----------
    territory : geopandas.GeoDataFrame
        Quartiers with ``code``, ``population``, ``priority`` and polygon
        ``geometry`` (any CRS), e.g. :func:`geo.demo.territory.build_demo_territory`.
        Planted patterns whose quartier is absent are skipped.
    n : int, default 20_000
        Approximate number of reports (a few on ``end``'s last partial day are
        dropped, so the result is within 0.5 % of ``n``).
    seed : int, default 42
        Seed of the random generator; same seed and ``end`` give the same frame.
    end : pandas.Timestamp, optional
        Exclusive upper bound of ``observed_at``; naive values are read as
        Europe/Paris. Defaults to now, floored to the hour.
    years : float, default 2.25
        Length of the period before ``end``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REPORT_COLUMNS`, sorted by ``observed_at`` (tz-aware,
        Europe/Paris); ``source_id`` follows that order.
    """
    if n < 0 or years <= 0:
        raise ValueError("n must be >= 0 and years > 0")
    rng = np.random.default_rng(seed)
    end = _resolve_end(end)
    terr = territory.to_crs(4326).reset_index(drop=True)
    cats = _categories()
    codes = [c["code"] for c in cats]
    ci = {c: i for i, c in enumerate(codes)}
    n_cat = len(codes)

    # Day grid in local time: whole days from the first after `start` to the one holding `end`.
    end_naive = end.tz_localize(None)
    first = (end_naive - pd.Timedelta(days=years * 365.25)).ceil("D")
    days = pd.date_range(first, (end_naive - pd.Timedelta(1, "ns")).floor("D"), freq="D")
    if days.empty:
        raise ValueError("years is too short: the period holds no whole local day")
    day_ns = days.values.astype("datetime64[ns]").astype(np.int64)
    age = (days[-1] - days).days.to_numpy()
    doy, wday = days.day_of_year.to_numpy(), days.day_of_week.to_numpy()

    # Time profile per category: season x weekday x August.
    profile = np.array([2 if c in _MIXED else 1 if c in _EVENING else 0 for c in codes])
    decl = np.radians(23.44) * np.sin(2 * np.pi * (doy - 81) / 365.25)
    day_len = 24 / np.pi * np.arccos(-np.tan(np.radians(47.32)) * np.tan(decl))
    time_w = _WEEKDAYS[profile][:, wday] * np.where(days.month == 8, AUGUST_FACTOR, 1.0)
    for code, (amp, peak) in _SUMMER.items():
        if code in ci:
            time_w[ci[code]] *= 1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25)
    if "eclairage" in ci:
        time_w[ci["eclairage"]] *= ((24 - day_len) / 12) ** 2
    base_w = np.array([_BASE_WEIGHT.get(c, 0.02) for c in codes])

    # Source rows: quartiers, planted discs, outside ring -> (row, category, day) weights.
    qi = {c: i for i, c in enumerate(terr["code"])}
    prio = terr["priority"].to_numpy(bool)
    q_cat = np.outer(terr["population"].to_numpy(float) * np.where(prio, PRIORITY_FACTOR, 1.0),
                     base_w)
    for code, f in PRIORITY_CATEGORY_FACTOR.items():
        if code in ci:
            q_cat[prio, ci[code]] *= f
    patterns = [p for p in PLANTED_PATTERNS.values() if p.quartier in qi and p.category in ci]
    discs = [p for p in patterns if p.radius_m is not None]
    other_share = sum(p.share for p in discs) + OUTSIDE_SHARE
    weights = np.empty((len(terr) + len(discs) + 1, n_cat, len(days)))
    weights[: len(terr)] = q_cat[:, :, None] * time_w[None]
    weights[: len(terr)] *= (1 - other_share) / weights[: len(terr)].sum()
    for p in patterns:
        if p.kind == "spike":
            lo, hi = 7 * p.weeks_before_end[1], 7 * p.weeks_before_end[0]
            weights[qi[p.quartier], ci[p.category], (age >= lo) & (age < hi)] *= p.factor
        elif p.kind == "rise":  # 1x before the window, then linearly up to `factor` on its last day
            lo, hi = 7 * p.weeks_before_end[1], 7 * p.weeks_before_end[0]
            ramp = np.clip((hi - age) / (hi - lo), 0, 1)
            weights[qi[p.quartier], ci[p.category]] *= 1 + (p.factor - 1) * ramp
    row_q = list(range(len(terr)))
    for r, p in enumerate(discs, start=len(terr)):
        w = np.zeros((n_cat, len(days)))
        w[ci[p.category]] = time_w[ci[p.category]]
        if p.weeks_before_end is not None:  # linear ramp from 1/L to 1 over the window
            lo, hi = 7 * p.weeks_before_end[1], 7 * p.weeks_before_end[0]
            w[:, :] *= np.clip((hi - age) / (hi - lo), 0, 1) * (age >= lo)
        weights[r] = w * p.share / w.sum()
        row_q.append(qi[p.quartier])
    weights[-1] = base_w[:, None] * time_w
    weights[-1] *= OUTSIDE_SHARE / weights[-1].sum()
    row_q.append(-1)

    counts = rng.multinomial(n, (weights / weights.sum()).ravel())
    cell = np.repeat(np.flatnonzero(counts), counts[counts > 0])
    row, cat, day = np.unravel_index(cell, weights.shape)
    del cell, counts, weights

    # Places, drawn per source row (rows are contiguous after np.repeat).
    xy = np.empty((row.size, 2))
    bounds = np.searchsorted(row, np.arange(len(row_q) + 1))
    m2154 = terr.to_crs(2154).geometry.union_all()
    lo_m, hi_m = _OUTSIDE_RING_M
    ring = gpd.GeoSeries([m2154.buffer(hi_m).difference(m2154.buffer(lo_m))], crs=2154)
    for r in range(len(row_q)):
        a, b = bounds[r], bounds[r + 1]
        if b == a:
            continue
        if r < len(terr):
            xy[a:b] = _sample_polygon(rng, terr.geometry.iloc[r], b - a)
        elif r < len(terr) + len(discs):
            p = discs[r - len(terr)]
            xy[a:b] = _sample_disc(rng, p.lon, p.lat, p.radius_m, b - a)
        else:
            xy[a:b] = _sample_polygon(rng, ring.to_crs(4326).iloc[0], b - a)

    # Times: hour from the category's profile, uniform second within the hour.
    hour = _pick(rng, np.cumsum(_HOURS, axis=1), profile[cat])
    local = day_ns[day] + hour * 3_600_000_000_000 + rng.integers(0, 3600, row.size) * 10**9
    observed = pd.DatetimeIndex(local.view("datetime64[ns]")).tz_localize(
        TZ, ambiguous=np.zeros(row.size, bool), nonexistent="shift_forward"
    )
    utc = observed.asi8
    keep = np.flatnonzero(utc < end.value)
    order = keep[np.argsort(utc[keep], kind="stable")]
    row, cat, xy, observed = row[order], cat[order], xy[order], observed[order]
    size = row.size

    # Severity around the category's default.
    sev_cdf = np.cumsum([_SEVERITY_P[c.get("default_severity", 1)] for c in cats], axis=1)
    severity = _pick(rng, sev_cdf, cat) + 1

    # Status: the older the report, the likelier it is closed; actions are done.
    kind = [c.get("kind") for c in cats]
    tau = np.array([_STATUS_TAU_DAYS.get(k, 0.0) for k in kind])[cat]
    age_d = (end.value - observed.asi8) / 86_400e9
    u, v = rng.random(size), rng.random(size)
    is_open = (tau > 0) & (u < 0.03 + 0.97 * np.exp(-age_d / np.maximum(tau, 1e-9)))
    fresh = np.where(v < 0.6, 0, 1)  # nouveau / transmis
    open_code = np.where(age_d < 2, fresh, np.select([v < 0.1, v < 0.55], [0, 1], 2))
    closed_code = np.where((v < 0.8) | (tau == 0), 3, 4)  # resolu / clos_sans_suite
    status = np.where(is_open, open_code, closed_code)

    # Descriptions: generic phrases, a few needing HTML/CSV escaping.
    labels: list[str] = []
    laws = []
    for c in codes:
        normal, tricky = _PHRASES.get(c, _GENERIC)
        labels += [*normal, *tricky]
        laws.append(np.r_[np.full(len(normal), (1 - _TRICKY_SHARE) / len(normal)),
                          np.full(len(tricky), _TRICKY_SHARE / len(tricky))])
    offsets = np.cumsum([0] + [len(w) for w in laws[:-1]])
    phrase = offsets[cat] + _pick(rng, _cdf(laws), cat)

    # Team: the quartier's team (by row order), sometimes another one.
    rq = np.asarray(row_q)[row]
    team = np.where(rq >= 0, rq % len(TEAMS), 0)
    swap = (rng.random(size) < _TEAM_MIX) | (rq < 0)
    team[swap] = rng.integers(0, len(TEAMS), int(swap.sum()))

    width = max(7, len(str(size)))
    ids = pd.Series(np.arange(1, size + 1)).astype("str").str.zfill(width)
    return pd.DataFrame({
        "source_id": "demo-" + ids,
        "observed_at": observed,
        "lat": xy[:, 1],
        "lon": xy[:, 0],
        "category": _take_str(codes, cat),
        "severity": severity.astype(np.int64),
        "status": _take_str(list(STATUSES), status),
        "description": _take_str(labels, phrase),
        "team": _take_str(list(TEAMS), team),
    })
