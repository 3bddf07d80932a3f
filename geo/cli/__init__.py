"""The command line, ``python -m geo``: one module per group of subcommands."""

from __future__ import annotations

from geo.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
