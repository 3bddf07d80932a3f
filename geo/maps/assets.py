"""Make folium maps load their JavaScript and CSS from the app itself, never from a CDN.

folium and its plugins name their assets in ``default_js`` / ``default_css`` lists of
``(name, url)`` pairs pointing at public CDNs. :func:`use_local_assets` walks a finished map
and rewrites those lists, per element, to local URLs, and swaps every branca colormap (whose
legend needs d3 from a CDN, which ``streamlit_folium`` adds by itself) for a
:class:`ColorLegend` drawn in plain HTML. :func:`asset_urls` lists what a rendered map would
still fetch from outside, for tests.

Where the local files live is decided by the caller (``ui/offline.py`` serves them through
Streamlit); this module only knows paths relative to two roots:

``npm``
    ``ui/assets/node_modules`` (pinned by ``ui/assets/package-lock.json``).
``folium``
    folium's own ``templates`` folder (pinned by folium's version), which ships the
    Leaflet.heat build that ``folium.plugins.HeatMap`` is written for (it rescales to the
    densest cell; the npm ``leaflet.heat`` 0.2.0 does not and fades when zoomed out).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, NamedTuple, TypeVar

import folium
from branca.colormap import ColorMap, StepColormap
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from branca.utilities import legend_scaler
from folium.template import Template

from geo.errors import VeilleError

__all__ = [
    "FOLIUM_TEMPLATES_DIR",
    "LOCAL_ASSETS",
    "AssetRoots",
    "ColorLegend",
    "LocalAsset",
    "RootName",
    "UnsupportedAssetError",
    "asset_urls",
    "required_files",
    "use_local_assets",
]

FOLIUM_TEMPLATES_DIR: Final = Path(folium.__file__).resolve().parent / "templates"
"""Folder of folium's package holding the Leaflet.heat build used by ``HeatMap``."""

RootName = Literal["npm", "folium"]
"""Name of a folder the local files are served from."""


class LocalAsset(NamedTuple):
    """A file served locally: the root it lives under and its path relative to that root."""

    root: RootName
    path: str


LOCAL_ASSETS: Final[Mapping[str, LocalAsset | None]] = MappingProxyType(
    {
        # folium.Map (folium.Popup's template uses jQuery's $()).
        "leaflet": LocalAsset("npm", "leaflet/dist/leaflet.js"),
        "leaflet_css": LocalAsset("npm", "leaflet/dist/leaflet.css"),
        "jquery": LocalAsset("npm", "jquery/dist/jquery.min.js"),
        # Only needed by folium.Icon (awesome markers): not served, see use_local_assets.
        "bootstrap": None,
        "bootstrap_css": None,
        "glyphicons_css": None,
        "awesome_markers": None,
        "awesome_markers_css": None,
        "awesome_markers_font_css": None,
        "awesome_rotate_css": None,
        # folium.plugins.MarkerCluster
        "markerclusterjs": LocalAsset("npm", "leaflet.markercluster/dist/leaflet.markercluster.js"),
        "markerclustercss": LocalAsset("npm", "leaflet.markercluster/dist/MarkerCluster.css"),
        "markerclusterdefaultcss": LocalAsset("npm", "leaflet.markercluster/dist/MarkerCluster.Default.css"),
        # folium.plugins.HeatMap
        "leaflet-heat.js": LocalAsset("folium", "leaflet_heat.min.js"),
    }
)
"""folium asset name -> local file, or ``None`` for an asset dropped because nothing we draw uses it."""


class UnsupportedAssetError(VeilleError, ValueError):
    """A map element needs a JavaScript/CSS file that is not served locally."""


@dataclass(frozen=True)
class AssetRoots:
    """URL prefixes under which the local asset roots are served.

    Attributes
    ----------
    npm
        URL of ``ui/assets/node_modules``, e.g. ``"../ui.offline.map_npm"``.
    folium
        URL of :data:`FOLIUM_TEMPLATES_DIR`.
    """

    npm: str
    folium: str

    def url(self, asset: LocalAsset) -> str:
        """Return the URL of ``asset``."""
        prefix = self.npm if asset.root == "npm" else self.folium
        return f"{prefix.rstrip('/')}/{asset.path}"


def required_files(root: RootName) -> list[str]:
    """Return the paths, relative to ``root``, of every file :data:`LOCAL_ASSETS` serves from it."""
    return sorted({a.path for a in LOCAL_ASSETS.values() if a is not None and a.root == root})


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def _rewrite(links: Sequence[tuple[str, str]], *, roots: AssetRoots, owner: Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, url in links:
        if name in LOCAL_ASSETS:
            asset = LOCAL_ASSETS[name]
            if asset is not None:
                out.append((name, roots.url(asset)))
        elif _is_external(url):
            raise UnsupportedAssetError(
                f"{type(owner).__name__} needs {name!r} from {url}, which is not served "
                "locally: add its npm package to ui/assets/package.json and its file to "
                "geo.maps.assets.LOCAL_ASSETS, or do not use this element."
            )
        else:
            out.append((name, url))
    return out


E = TypeVar("E", bound=Element)


def use_local_assets(element: E, *, roots: AssetRoots) -> E:
    """Point ``element`` and all its descendants at local JavaScript/CSS files.

    Call it on the finished map, after every child is added and before ``st_folium``; also
    on each FeatureGroup given to ``st_folium(feature_group_to_add=...)``, since those are
    added to the map inside ``st_folium``. It is idempotent, and changes only the given
    elements (and stale links in their page header), never folium's classes.

    Parameters
    ----------
    element
        A ``folium.Map`` (or any element of one).
    roots
        Where the local files are served (see ``ui.offline.register_assets``).

    Returns
    -------
    Element
        ``element`` itself, changed in place.

    Raises
    ------
    UnsupportedAssetError
        If an element needs a CDN file this module cannot replace (e.g. ``folium.Icon``,
        which needs Leaflet.awesome-markers, or a plugin not listed in :data:`LOCAL_ASSETS`).
    """
    _localize(element, roots=roots)
    root = element.get_root()
    if isinstance(root, Figure):
        # Links left in the page header by a render made before this call; the next render
        # adds back what is still needed, now local.
        header = root.header._children
        for key, child in list(header.items()):
            if isinstance(child, (JavascriptLink, CssLink)) and _is_external(child.url):
                del header[key]
    return element


def _localize(element: Element, *, roots: AssetRoots) -> None:
    if isinstance(element, folium.Icon):
        raise UnsupportedAssetError(
            "folium.Icon needs Leaflet.awesome-markers and Font Awesome, which are not served "
            "locally: use folium.CircleMarker or folium.DivIcon instead."
        )
    for attr in ("default_js", "default_css"):
        links = getattr(element, attr, None)
        if links is not None:
            # An instance attribute: folium's class-level lists stay untouched.
            setattr(element, attr, _rewrite(links, roots=roots, owner=element))
    for key, child in list(element._children.items()):
        if isinstance(child, ColorMap):
            legend = ColorLegend(child)
            legend._parent = element
            element._children[key] = legend
        else:
            _localize(child, roots=roots)


def _css_color(rgba_hex: str) -> str:
    return rgba_hex if len(rgba_hex) == 9 else rgba_hex + "ff"


def _format_tick(value: float) -> str:
    value = float(value)
    if value.is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.3g}".replace(".", ",")


class ColorLegend(MacroElement):
    """A branca colormap legend drawn as a Leaflet control in plain HTML (no d3).

    Parameters
    ----------
    colormap
        The colormap to show; its ``caption``, ``index``, ``tick_labels`` and
        ``text_color`` are used.
    position
        Leaflet control position.
    width
        Width of the colour bar in pixels.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "veille-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            {{ this.get_name() }}.addTo({{ this.map_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        colormap: ColorMap,
        *,
        position: Literal["topleft", "topright", "bottomleft", "bottomright"] = "topright",
        width: int = 240,
    ) -> None:
        super().__init__()
        self._name = "ColorLegend"
        self.position = position
        self.html = self._build_html(colormap, width=width)

    @staticmethod
    def _build_html(cm: ColorMap, *, width: int) -> str:
        # The index, not vmin/vmax, bounds the colours (branca keeps vmin=0, vmax=1 when only
        # an index is given).
        lo, hi = (float(cm.index[0]), float(cm.index[-1])) if len(cm.index) > 1 else (0.0, 1.0)
        span = (hi - lo) or 1.0

        def pct(v: float) -> float:
            return 100.0 * (float(v) - lo) / span

        if isinstance(cm, StepColormap):
            stops = [
                f"{_css_color(cm.rgba_hex_str((a + b) / 2))} {pct(a):.2f}% {pct(b):.2f}%" for a, b in pairwise(cm.index)
            ]
        else:
            xs = [lo + span * k / 31 for k in range(32)]
            stops = [f"{_css_color(cm.rgba_hex_str(x))} {pct(x):.2f}%" for x in xs]
        ticks = cm.tick_labels if cm.tick_labels is not None else legend_scaler(cm.index, cm.max_labels)
        values = [float(t) for t in ticks if not isinstance(t, str)]  # "" are skipped labels
        labels = "".join(
            f'<span style="position:absolute;left:{pct(v):.2f}%;transform:translateX(-50%)">'
            f"{html.escape(_format_tick(v))}</span>"
            for v in values
            if lo <= v <= hi
        )
        caption = html.escape(str(cm.caption or ""))
        return (
            f'<div style="background:rgba(255,255,255,.85);padding:4px 14px 2px;'
            f"border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:11px sans-serif;"
            f'color:{html.escape(cm.text_color)}">'
            + (f'<div style="font-weight:600;margin-bottom:2px">{caption}</div>' if caption else "")
            + f'<div style="width:{width}px;height:10px;'
            f'background:linear-gradient(to right,{",".join(stops)})"></div>'
            f'<div style="position:relative;width:{width}px;height:14px">{labels}</div></div>'
        )

    def map_name(self) -> str:
        """Return the JavaScript name of the map this legend belongs to."""
        node: Element | None = self._parent
        while node is not None and not isinstance(node, folium.Map):
            node = node._parent
        if node is None:
            raise UnsupportedAssetError("ColorLegend must be inside a folium.Map.")
        return node.get_name()


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def asset_urls(page: str, *, external_only: bool = True) -> list[str]:
    """List the ``<script src>`` and ``<link href>`` URLs of a rendered page.

    Parameters
    ----------
    page
        HTML, e.g. ``m.get_root().render()``.
    external_only
        Keep only ``http(s)://`` and protocol-relative ``//`` URLs (what would leave the
        machine); ``False`` keeps every URL.

    Returns
    -------
    list of str
        URLs in document order, without duplicates.
    """
    parser = _LinkCollector()
    parser.feed(page)
    parser.close()
    urls = dict.fromkeys(parser.urls)
    return [u for u in urls if _is_external(u) or not external_only]
