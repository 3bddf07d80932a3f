"""Serve the maps' JavaScript/CSS from this Streamlit app, so maps draw with no network.

Each root of :class:`geo.maps.assets.AssetRoots` is declared as a Streamlit custom component
with a ``path``: Streamlit then serves its files at ``<base>/component/<module>.<name>/<file>``
on the app's own origin. ``streamlit_folium`` draws in the iframe
``<base>/component/streamlit_folium.st_folium/index.html``, so the URL prefixes returned are
relative to it (``../ui.offline.map_npm``) and survive ``server.baseUrlPath`` or a proxy prefix.

Usage, in a page, on every run::

    roots = register_assets()
    m = build_map(...)                      # every child added
    use_local_assets(m, roots=roots)        # from geo.maps.assets
    st_folium(m, ...)
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import streamlit.components.v1 as components

from geo.maps.assets import FOLIUM_TEMPLATES_DIR, AssetRoots, RootName, required_files

__all__ = ["NODE_MODULES", "MissingAssetsError", "check_assets", "register_assets"]

NODE_MODULES: Final = Path(__file__).resolve().parent / "assets" / "node_modules"
"""Where ``npm ci --prefix ui/assets`` installs the pinned map libraries."""


class MissingAssetsError(RuntimeError):
    """The local map libraries are not installed."""


def check_assets(*, node_modules: Path = NODE_MODULES) -> None:
    """Check that every local map file exists.

    Parameters
    ----------
    node_modules
        Folder installed by ``npm ci --prefix ui/assets``.

    Raises
    ------
    MissingAssetsError
        Naming the missing files and the command that installs them.
    """
    roots: dict[RootName, Path] = {"npm": node_modules, "folium": FOLIUM_TEMPLATES_DIR}
    missing = [
        str(folder / rel)
        for name, folder in roots.items()
        for rel in required_files(name)
        if not (folder / rel).is_file()
    ]
    if missing:
        raise MissingAssetsError(
            "Fichiers JS/CSS des cartes absents — lancez : npm ci --prefix ui/assets "
            "(depuis la racine du projet). / Map JS/CSS files missing — run: "
            "npm ci --prefix ui/assets (from the project root). Missing: " + ", ".join(missing)
        )


def register_assets() -> AssetRoots:
    """Have Streamlit serve the local map files and return their URL prefixes.

    Idempotent and cheap: call it on every script run, before building maps (Streamlit only
    registers a component while a script runs, and declaring the same one again is a no-op).

    Returns
    -------
    AssetRoots
        Prefixes to give to :func:`geo.maps.assets.use_local_assets`; they are relative to
        the ``streamlit_folium`` iframe and meaningless elsewhere.

    Raises
    ------
    MissingAssetsError
        If ``npm ci --prefix ui/assets`` has not been run.
    """
    check_assets()
    npm = components.declare_component("map_npm", path=str(NODE_MODULES))
    fol = components.declare_component("map_folium", path=str(FOLIUM_TEMPLATES_DIR))
    return AssetRoots(npm=f"../{npm.name}", folium=f"../{fol.name}")
