"""Map controls shared by the maps.

A metric scale, popups instead of tooltips on touch screens, and a view fitted around the corner controls
(legends, layer box) so that they hide no quartier.
"""

from __future__ import annotations

from typing import Final, Literal

import folium
from branca.element import MacroElement
from folium.template import Template

__all__ = ["NARROW_MAP_PX", "FitAroundControls", "FrenchLabels", "MetricScale", "TouchPopups"]

NARROW_MAP_PX: Final = 480
"""Below this map width (a phone) the layer box starts folded into its button, away from the zoom buttons."""


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's ``control_scale`` adds miles).

    The attribution (bottom right) is kept clear of it: narrower than the map less the scale's room, it
    wraps onto a second line on a phone instead of running under the scale.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                if (document.getElementById("veille-scale-style")) { return; }
                var style = document.createElement("style");
                style.id = "veille-scale-style";
                style.textContent = ".leaflet-control-attribution{max-width:calc(100vw - 140px);"
                    + "white-space:normal;line-height:1.3;font-size:11px}";
                document.head.appendChild(style);
            })();
            L.control.scale({position: {{ this.position|tojson }}, metric: true, imperial: false,
                             maxWidth: 100}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, *, position: Literal["topleft", "topright", "bottomleft", "bottomright"] = "bottomleft"
                 ) -> None:
        super().__init__()
        self._name = "MetricScale"
        self.position = position

class TouchPopups(MacroElement):
    """On a touch screen, show the quartiers' and cells' texts as popups opened by a tap, not as tooltips.

    A tapped feature's sticky tooltip stays on screen and is cut by the map's edge; a popup pans the map
    to show itself whole and closes with its button or a tap elsewhere. Add it after every layer.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map) {
                if (!(window.matchMedia && window.matchMedia("(hover: none)").matches)) { return; }
                map.eachLayer(function (layer) {
                    var tip = layer instanceof L.GeoJSON && layer.getTooltip && layer.getTooltip();
                    if (!tip) { return; }
                    var content = tip._content;
                    layer.unbindTooltip();
                    layer.bindPopup(content, {maxWidth: 260, autoPan: true, autoPanPadding: [12, 12]});
                });
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "TouchPopups"


class FitAroundControls(MacroElement):
    """Fit the map to ``bounds`` leaving room for the controls of the top and bottom corners.

    Legends and the scale sit in the bottom corners, the zoom buttons and the layer box in the top ones:
    the view is fitted inside what they leave free, so none of them hides a quartier when the map opens.
    On a narrow map (a phone) the layer box starts folded into its button, away from the zoom buttons, and
    folds again after a tap on the map. Add it last (after the legends and the layer control).

    Parameters
    ----------
    bounds
        ``[[south, west], [north, east]]``.
    layer_control
        The map's layer control, if any.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map, layers, bounds, narrow) {
                if (layers) {
                    var toggle = layers.getContainer().querySelector(".leaflet-control-layers-toggle");
                    if (toggle) { toggle.title = "Couches"; toggle.setAttribute("aria-label", "Couches"); }
                    if (map.getSize().x < narrow) {
                        layers.collapse();
                        map.on("click popupopen", function () { layers.collapse(); });
                    }
                }
                function room(corner) {
                    var box = map.getContainer().querySelector(".leaflet-" + corner);
                    return box ? box.offsetHeight : 0;
                }
                function fit() {
                    var top = Math.max(room("top.leaflet-left"), room("top.leaflet-right"));
                    var bottom = Math.max(room("bottom.leaflet-left"), room("bottom.leaflet-right"));
                    var free = map.getSize().y - top - bottom;
                    if (free < 120) { top = bottom = 0; }  // a very low map: fit first, controls float over it
                    map.fitBounds(bounds, {paddingTopLeft: [8, top], paddingBottomRight: [8, bottom],
                                           animate: false});
                }
                fit();
                // The controls take their real size once leaflet.css applies (it loads after this script):
                // fit again then, unless the person has already moved the map.
                var moved = false;
                map.on("dragstart", function () { moved = true; });
                map.getContainer().addEventListener("wheel", function () { moved = true; }, {passive: true});
                map.getContainer().addEventListener("pointerdown", function () { moved = true; }, {passive: true});
                function refit() { if (!moved) { fit(); } }
                if (document.readyState === "complete") { setTimeout(refit, 0); }
                else { window.addEventListener("load", refit); }
            })({{ this._parent.get_name() }}, {{ this.layers_name }}, {{ this.bounds|tojson }},
               {{ this.narrow }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]], *, layer_control: folium.LayerControl | None = None) -> None:
        super().__init__()
        self._name = "FitAroundControls"
        self.bounds = bounds
        self.layer_control = layer_control
        self.narrow = NARROW_MAP_PX

    @property
    def layers_name(self) -> str:
        """JavaScript name of the layer control, or ``null``."""
        return self.layer_control.get_name() if self.layer_control is not None else "null"


class FrenchLabels(MacroElement):
    """French titles for Leaflet's own buttons: zoom (« Zoom avant / arrière ») and the popup's close button."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map) {
                var box = map.getContainer();
                function label(selector, text) {
                    box.querySelectorAll(selector).forEach(function (el) {
                        el.title = text; el.setAttribute("aria-label", text);
                    });
                }
                label(".leaflet-control-zoom-in", "Zoom avant");
                label(".leaflet-control-zoom-out", "Zoom arrière");
                map.on("popupopen", function () { label(".leaflet-popup-close-button", "Fermer"); });
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FrenchLabels"
