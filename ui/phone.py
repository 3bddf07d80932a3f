"""Phone behaviour of the page: the sidebar closes after a page is chosen in it on a narrow screen.

With ``st.navigation(position="top")`` Streamlit shows the pages in the top bar on a wide screen, and in
the sidebar on a phone, where the open sidebar covers 300 of 390 px and stays open after a tap on a
page. :func:`close_sidebar_on_navigation` injects once a small script (no network) that closes it
when a page link of the sidebar is tapped on a screen narrower than Streamlit's ``md`` breakpoint.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

__all__ = ["NARROW_PX", "close_sidebar_on_navigation", "script"]

NARROW_PX: Final = 768
"""Streamlit's ``md`` breakpoint: below it the sidebar overlays the page."""

_SCRIPT = """
<script>
(function () {
  if (window.__veilleSidebar) { return; }
  window.__veilleSidebar = true;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[data-testid="stSidebarNavLink"]');
    if (!link || window.innerWidth >= %(narrow)d) { return; }
    var tries = 0;
    (function close() {
      var sidebar = document.querySelector('[data-testid="stSidebar"]');
      var button = document.querySelector('[data-testid="stSidebarCollapseButton"] button')
        || document.querySelector('button[data-testid="stSidebarCollapseButton"]');
      var open = sidebar && sidebar.getBoundingClientRect().right > 1;
      if (open && button) { button.click(); }
      else if (open && tries++ < 20) { setTimeout(close, 100); }
    })();
  }, true);
})();
</script>
"""


def script() -> str:
    """Return the ``<script>`` closing the sidebar after navigation on narrow screens."""
    return _SCRIPT % {"narrow": NARROW_PX}


def close_sidebar_on_navigation() -> None:
    """Inject the script; call it once per run (it installs its listener once per browser page)."""
    st.html(script(), unsafe_allow_javascript=True, width="content")
