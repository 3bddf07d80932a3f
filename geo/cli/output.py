"""What commands print: messages for people on standard error, one JSON summary last on standard output."""

from __future__ import annotations

import json
import sys

__all__ = ["say", "emit"]


def say(message: str) -> None:
    """Print a message for people on standard error."""
    print(message, file=sys.stderr)


def emit(summary: dict) -> None:
    """Print a machine-readable summary as one JSON line on standard output."""
    print(json.dumps(summary, ensure_ascii=False, default=str))
