"""Walking on a street network loaded offline from an OSM XML or GraphML file.

OSM XML (``.osm``, as exported by the OpenStreetMap editor or Overpass) is read with :mod:`xml.etree`: every
``way`` tagged ``highway`` that a pedestrian may use becomes edges between its consecutive nodes. GraphML
(``.graphml``, e.g. saved by OSMnx ``save_graphml``) is read with networkx; nodes need ``x`` (longitude) and
``y`` (latitude), edges may carry ``length`` in metres. Points are joined to their nearest network node in a
straight line; walking times are shortest paths on the graph (Dijkstra, networkx).
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from geo.errors import InputError
from geo.patrol.walking import DEFAULT_SPEED_KMH, to_lambert93

__all__ = ["StreetNetwork", "NetworkWalking", "load_network"]

# Ways a pedestrian cannot use (unless tagged foot=yes/designated).
_NOT_WALKABLE = {"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed", "raceway"}


class StreetNetwork:
    """An undirected street graph whose nodes have ``lat``, ``lon`` and Lambert-93 ``x``, ``y``.

    Edge attribute ``length`` is in metres.
    """

    def __init__(self, graph: nx.Graph, *, source: str) -> None:
        if graph.number_of_nodes() == 0 or graph.number_of_edges() == 0:
            raise InputError(f"{source} : réseau de rues vide (aucune voie piétonne trouvée)")
        self.graph = graph
        self.source = source
        self.nodes = list(graph.nodes)
        coords = [(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in self.nodes]
        self.xy = to_lambert93(coords)
        self._tree = cKDTree(self.xy)

    def nearest(self, points: Sequence[tuple[float, float]]) -> tuple[list[object], np.ndarray]:
        """Return the nearest node of each ``(lat, lon)`` point and the straight distance to it (metres)."""
        distance, index = self._tree.query(to_lambert93(points))
        return [self.nodes[i] for i in np.atleast_1d(index)], np.atleast_1d(distance)


def _osm_graph(path: Path) -> nx.Graph:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(f"{path.name} : XML OSM illisible ({exc})") from None
    if root.tag != "osm":
        raise InputError(f"{path.name} : élément racine <osm> attendu, trouvé <{root.tag}>")
    positions = {}
    for node in root.iter("node"):
        try:
            positions[node.get("id")] = (float(node.get("lat")), float(node.get("lon")))
        except (TypeError, ValueError):
            raise InputError(f"{path.name} : nœud {node.get('id')!r} sans lat/lon valides") from None
    graph = nx.Graph()
    for way in root.iter("way"):
        tags = {tag.get("k"): tag.get("v") for tag in way.iter("tag")}
        highway = tags.get("highway")
        foot = tags.get("foot")
        if highway is None or foot == "no" or (highway in _NOT_WALKABLE and foot not in {"yes", "designated"}):
            continue
        refs = [nd.get("ref") for nd in way.iter("nd") if nd.get("ref") in positions]
        for a, b in itertools.pairwise(refs):
            for ref in (a, b):
                graph.add_node(ref, lat=positions[ref][0], lon=positions[ref][1])
            graph.add_edge(a, b, name=tags.get("name"))
    return graph


def _graphml_graph(path: Path) -> nx.Graph:
    try:
        raw = nx.read_graphml(path)
    except (ET.ParseError, nx.NetworkXError) as exc:
        raise InputError(f"{path.name} : GraphML illisible ({exc})") from None
    graph = nx.Graph()
    for node, data in raw.nodes(data=True):
        try:
            graph.add_node(node, lat=float(data["y"]), lon=float(data["x"]))
        except (KeyError, ValueError):
            raise InputError(f"{path.name} : nœud {node!r} sans attributs x (longitude) et y (latitude)") from None
    for a, b, data in raw.edges(data=True):
        length = data.get("length")
        if graph.has_edge(a, b) and "length" in graph.edges[a, b]:
            if length is not None and float(length) < graph.edges[a, b]["length"]:
                graph.edges[a, b]["length"] = float(length)
            continue
        graph.add_edge(a, b)
        if length is not None:
            graph.edges[a, b]["length"] = float(length)
    return graph


def load_network(path: str | Path) -> StreetNetwork:
    """Load a street network from an OSM XML (``.osm``, ``.xml``) or GraphML (``.graphml``) file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"fichier de réseau introuvable : {path}")
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        graph = _graphml_graph(path)
    elif suffix in {".osm", ".xml"}:
        graph = _osm_graph(path)
    else:
        raise InputError(f"{path.name} : réseau attendu en OSM XML (.osm) ou GraphML (.graphml), trouvé {suffix!r}")
    network_nodes = list(graph.nodes)
    xy = to_lambert93([(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in network_nodes])
    index = {n: i for i, n in enumerate(network_nodes)}
    for a, b, data in graph.edges(data=True):
        if "length" not in data:
            data["length"] = float(np.hypot(*(xy[index[a]] - xy[index[b]])))
    return StreetNetwork(graph, source=path.name)


class NetworkWalking:
    """Walking times along shortest paths of a street network.

    Each point walks in a straight line to its nearest node; between nodes, the shortest path on the graph.
    Points in parts of the network that do not connect get an infinite time.

    Parameters
    ----------
    network
        The loaded street network.
    speed_kmh
        Walking speed (default 4.5 km/h).
    """

    def __init__(self, network: StreetNetwork, *, speed_kmh: float = DEFAULT_SPEED_KMH) -> None:
        if speed_kmh <= 0:
            raise ValueError(f"la vitesse de marche doit être positive, trouvé {speed_kmh}")
        self.network = network
        self.speed_kmh = float(speed_kmh)

    def distances(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Return walked metres between every pair of points (``inf`` when not connected)."""
        nodes, access = self.network.nearest(points)
        n = len(points)
        result = np.full((n, n), np.inf)
        lengths: dict[object, dict[object, float]] = {}
        for node in dict.fromkeys(nodes):
            lengths[node] = nx.single_source_dijkstra_path_length(self.network.graph, node, weight="length")
        for i in range(n):
            from_i = lengths[nodes[i]]
            for j in range(n):
                if i == j:
                    result[i, j] = 0.0
                elif nodes[j] in from_i:
                    result[i, j] = access[i] + from_i[nodes[j]] + access[j]
        return result

    def matrix(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Return walking seconds between every pair of ``(lat, lon)`` points."""
        return self.distances(points) / (self.speed_kmh / 3.6)

    def path(self, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        """Return the ``(lat, lon)`` polyline from ``a`` through the network's shortest path to ``b``."""
        (na, nb), _ = self.network.nearest([a, b])
        graph = self.network.graph
        try:
            route = nx.shortest_path(graph, na, nb, weight="length")
        except nx.NetworkXNoPath:
            return [a, b]
        return [a, *[(graph.nodes[n]["lat"], graph.nodes[n]["lon"]) for n in route], b]
