"""The scriptable face of the package: ``python -m geo COMMAND``.

Each group of subcommands lives in its own module with a ``register(sub, common)`` function; summaries meant
for scripts are printed as one JSON object on the last line of standard output, messages for people go to
standard error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from geo.cli import analysis, data, demo, sharing, workflow
from geo.cli.output import say
from geo.errors import VeilleError
from geo.settings import load_settings

__all__ = ["main", "build_parser", "GROUPS"]

# The modules whose ``register`` adds subcommands, in the order ``--help`` lists them.
GROUPS = (data, analysis, demo, workflow, sharing)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m geo``."""
    db_help = "URL SQLAlchemy du stockage (défaut : VEILLE_DB_URL ou data/veille.sqlite)"
    parser = argparse.ArgumentParser(prog="python -m geo", description="Veille territoriale : données et analyses.")
    parser.add_argument("--db", help=db_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for group in GROUPS:
        group.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input, nothing stored)."""
    args = build_parser().parse_args(argv)
    settings = load_settings(db_url=args.db)
    try:
        return args.run(args, settings)
    except (VeilleError, ValueError) as exc:
        say(f"erreur : {exc}")
        return 2
