"""Errors raised by the package, each saying what was expected and what was found."""

from __future__ import annotations

__all__ = ["VeilleError", "InputError", "StoreError", "TerritoryError"]


class VeilleError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(VeilleError, ValueError):
    """An input file or option cannot be used as given (nothing was stored)."""


class TerritoryError(InputError):
    """A boundary file cannot be used as a territory."""


class StoreError(VeilleError, RuntimeError):
    """The store cannot be opened, migrated or written."""
