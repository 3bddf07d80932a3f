"""A standalone HTML map: one file that opens with no network and no CDN.

The map's JavaScript and CSS (Leaflet, jQuery, the marker-cluster and heat plugins) are copied into the page
from ``ui/assets/node_modules`` and folium's templates; the images Leaflet's CSS refers to become ``data:``
URIs; no tile layer is drawn. Every text added around the map is escaped.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import folium
import pandas as pd

from geo.errors import VeilleError
from geo.maps.assets import FOLIUM_TEMPLATES_DIR, AssetRoots, asset_urls, use_local_assets
from geo.settings import PROJECT_ROOT

__all__ = ["NODE_MODULES", "MissingAssetError", "standalone_html", "table_html"]

NODE_MODULES: Final = PROJECT_ROOT / "ui" / "assets" / "node_modules"
_PREFIX = "veille-asset:"
_ROOTS = AssetRoots(npm=f"{_PREFIX}npm", folium=f"{_PREFIX}folium")
_SCRIPT = re.compile(r'<script src="veille-asset:(npm|folium)/([^"]+)"></script>')
_CSS = re.compile(r'<link rel="stylesheet" href="veille-asset:(npm|folium)/([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((?!['\"]?(?:data:|#|https?:))['\"]?([^'\")]+)['\"]?\)")
_STYLE = """
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#222}
header,section{padding:8px 16px}
h1{font-size:20px;margin:4px 0} h2{font-size:16px;margin:12px 0 4px}
table{border-collapse:collapse;font-size:13px} th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}
.folium-map{height:70vh!important;position:relative!important}
"""


class MissingAssetError(VeilleError, FileNotFoundError):
    """A map file to inline is not installed."""


def _read(root: str, path: str) -> Path:
    base = NODE_MODULES if root == "npm" else FOLIUM_TEMPLATES_DIR
    file = (base / path).resolve()
    if not file.is_file() or base.resolve() not in file.parents:
        raise MissingAssetError(f"fichier de carte absent : {file} — lancez : npm ci --prefix ui/assets")
    return file


def _inline_css(file: Path) -> str:
    text = file.read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        target = (file.parent / match.group(1)).resolve()
        if not target.is_file():
            return "none"
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return f"url(data:{kind};base64,{base64.b64encode(target.read_bytes()).decode('ascii')})"

    return _CSS_URL.sub(data_uri, text).replace("</style", "<\\/style")


def _inline(page: str) -> str:
    page = _SCRIPT.sub(lambda m: "<script>" + _read(*m.groups()).read_text(encoding="utf-8")
                       .replace("</script", "<\\/script") + "</script>", page)
    page = _CSS.sub(lambda m: "<style>" + _inline_css(_read(*m.groups())) + "</style>", page)
    return page


def table_html(frame: pd.DataFrame) -> str:
    """Return a table as escaped HTML."""
    return frame.to_html(index=False, escape=True, border=0, na_rep="")


def standalone_html(fmap: folium.Map, *, title: str, intro: Sequence[str] = (),
                    sections: Sequence[tuple[str, pd.DataFrame]] = ()) -> str:
    """Return the map as one HTML page with its scripts and styles inlined.

    Parameters
    ----------
    fmap
        A map without tile layer (a tile layer would need the network).
    title, intro
        Heading and lines of text above the map (escaped).
    sections
        ``(heading, table)`` pairs shown under the map (escaped).

    Raises
    ------
    MissingAssetError
        When ``npm ci --prefix ui/assets`` has not been run.
    VeilleError
        If the page would still load anything from outside.
    """
    use_local_assets(fmap, roots=_ROOTS)
    page = _inline(fmap.get_root().render())
    left = asset_urls(page, external_only=False)
    if left:
        raise VeilleError(f"la page autonome chargerait encore des fichiers externes : {left}")
    head = (f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:\">")
    page = page.replace("<head>", "<head>" + head, 1)
    header = f"<header><h1>{html.escape(title)}</h1>" + "".join(f"<p>{html.escape(line)}</p>" for line in intro)
    body = "".join(f"<section><h2>{html.escape(name)}</h2>{table_html(frame)}</section>" for name, frame in sections)
    page = page.replace("<body>", "<body>" + header + "</header>", 1)
    return page.replace("</body>", body + "</body>", 1)
