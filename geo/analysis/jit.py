"""Numba compilation of esda's permutation inference: cached on disk, warmed off the pages' path.

esda's conditional permutations are numba functions compiled on their first call (≈ 13–17 s on a 2-core
machine). :func:`enable_cache` turns on numba's on-disk cache for them (folder ``NUMBA_CACHE_DIR``, by
default ``~/.cache/veille/numba``), so a later process loads their machine code instead — all but the chunk
loop that takes the statistic as an argument, which numba cannot cache (see ``_UNCACHEABLE``) and which every
process compiles again. :func:`warm_up` compiles (or loads) them on a tiny grid, and :func:`is_warm` tells
whether that is done. In the app, all of this runs in the permutation worker process
(:mod:`geo.analysis.permutation_worker`, which calls :func:`warm_up` when it starts), never in the Streamlit
process; :func:`warm_up_in_background` remains for other long-lived processes.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path

__all__ = ["cache_dir", "enable_cache", "warm_up", "warm_up_in_background", "is_warm"]

_WARM = threading.Event()
_LOCK = threading.Lock()
_STARTED = threading.Event()
_START_LOCK = threading.Lock()  # several sessions' script threads may ask at once
_CACHED = threading.Event()
# Functions that take another compiled function as an argument (esda's ``stat_func``): numba keys their
# cache entries on that function's address, so no later process ever finds them, every process appends an
# entry to the index, and saving the index can fail ("underlying object has vanished"). numba#6251.
_UNCACHEABLE = frozenset({"compute_chunk"})


def cache_dir() -> Path:
    """Return the folder of numba's on-disk cache, set in ``NUMBA_CACHE_DIR`` if it was not."""
    if "NUMBA_CACHE_DIR" not in os.environ:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        os.environ["NUMBA_CACHE_DIR"] = str(base / "veille" / "numba")
    return Path(os.environ["NUMBA_CACHE_DIR"])


def enable_cache() -> None:
    """Turn on numba's on-disk cache for esda's compiled functions (idempotent, before their first call)."""
    if _CACHED.is_set():
        return
    folder = cache_dir()
    from esda import crand, getisord  # noqa: PLC0415 - numba reads NUMBA_CACHE_DIR when first imported
    from numba.core import config  # noqa: PLC0415
    from numba.core.registry import CPUDispatcher  # noqa: PLC0415

    if not config.CACHE_DIR:  # numba was imported before the variable was set (libpysal imports it)
        config.CACHE_DIR = str(folder)

    for module in (crand, getisord):
        for name in dir(module):
            func = getattr(module, name)
            if isinstance(func, CPUDispatcher) and name not in _UNCACHEABLE:
                try:
                    func.enable_caching()
                except Exception:
                    continue
    _CACHED.set()


def warm_up() -> None:
    """Compile (or load from the cache) esda's permutation inference on a tiny grid; idempotent."""
    with _LOCK:
        if _WARM.is_set():
            return
        import numpy as np  # noqa: PLC0415
        from esda import G_Local  # noqa: PLC0415
        from libpysal.weights import lat2W  # noqa: PLC0415
        from libpysal.weights.util import fill_diagonal  # noqa: PLC0415

        enable_cache()
        w = fill_diagonal(lat2W(3, 3), 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # esda's notice about its future "alternative" default
            G_Local(np.arange(9, dtype=float), w, transform="B", star=True, permutations=9, seed=0, n_jobs=1,
                    keep_simulations=True)
        _WARM.set()


def warm_up_in_background(*, delay: float = 0.0) -> threading.Thread | None:
    """Start :func:`warm_up` in a daemon thread once per process; return it (``None`` if already started).

    Parameters
    ----------
    delay
        Seconds to wait first, so that the compilation does not compete with a page's first render.
    """
    with _START_LOCK:
        if _STARTED.is_set():
            return None
        _STARTED.set()

    def run() -> None:
        time.sleep(delay)
        warm_up()

    thread = threading.Thread(target=run, name="warm-esda-numba", daemon=True)
    thread.start()
    return thread


def is_warm() -> bool:
    """Tell whether esda's permutation inference is compiled in this process."""
    return _WARM.is_set()
