"""Which method evaluates which series: a documented rule on history length and sparsity, or configuration.

The rule (``method="auto"``), for the week evaluated with ``H`` weeks of history before it:

1. ``H`` < 9 weeks (EARS C2 needs 7 + 2): not evaluated — too little history to say what is usual.
2. The series is **sparse** when more than half of its last 52 weeks (or of all of them, when shorter) are
   zero weeks: **EARS C1**. A model of seasonal levels on a mostly-zero series gives levels of zero mean and a
   threshold of 0; C1's baseline is the freshest, and its standard deviation floored at ``min_sigma`` keeps a
   single report from alarming (the guard asks for 5 in 4 weeks anyway).
3. ``H`` ≥ 52 + w (one year back and its window, w = 3): **Farrington flexible** (seasonality and past
   outbreaks handled, Noufaily 2012 defaults); where the current season of past years holds no report at all,
   :func:`geo.alerts.detection.evaluate` falls back on EARS C2.
4. Otherwise (less than a year): **EARS C2** — the two-week lag keeps a starting outbreak out of its own
   baseline.

EARS C3 (the sum of three weeks' excesses: the most sensitive to a slow rise, and the most liberal, measured
in ``bench/alerts_backtest.py``) is used only when configured.

``method`` may instead name one method for every series (``farrington``, ``ears_c1``, ``ears_c2``,
``ears_c3``); a series too short for it is not evaluated.
"""

from __future__ import annotations

import numpy as np

from geo.alerts.ears import required_history
from geo.alerts.farrington import DEFAULT_FARRINGTON, WEEKS_PER_YEAR, FarringtonConfig

__all__ = ["METHODS", "choose_method", "is_sparse"]

METHODS = ("auto", "farrington", "ears_c1", "ears_c2", "ears_c3")
SPARSE_ZERO_SHARE = 0.5


def is_sparse(history: np.ndarray) -> bool:
    """Return whether more than half of the last 52 weeks of ``history`` are zero weeks."""
    recent = np.asarray(history)[-WEEKS_PER_YEAR:]
    return bool(len(recent) == 0 or np.mean(recent == 0) > SPARSE_ZERO_SHARE)


def _needs(method: str, config: FarringtonConfig) -> int:
    if method == "farrington":
        return WEEKS_PER_YEAR + config.w
    return required_history(method.removeprefix("ears_").upper())


def choose_method(counts: np.ndarray, *, method: str = "auto",
                  farrington_config: FarringtonConfig = DEFAULT_FARRINGTON) -> str | None:
    """Return the method for the last week of ``counts`` (oldest first), or ``None`` when it cannot be evaluated.

    Raises
    ------
    ValueError
        When ``method`` is not one of :data:`METHODS`.
    """
    if method not in METHODS:
        raise ValueError(f"méthode attendue parmi {METHODS} ; reçu {method!r}")
    history = len(counts) - 1
    if method != "auto":
        return method if history >= _needs(method, farrington_config) else None
    if history < _needs("ears_c2", farrington_config):
        return None
    if is_sparse(np.asarray(counts)[:-1]):
        return "ears_c1"
    if history >= _needs("farrington", farrington_config):
        return "farrington"
    return "ears_c2"
