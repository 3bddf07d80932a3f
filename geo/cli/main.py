"""The scriptable face of the package: ``python -m geo COMMAND``.

Each group of subcommands lives in its own module with a ``register(sub, common)`` function; summaries meant
for scripts are printed as one JSON object on the last line of standard output, messages for people go to
standard error.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from collections.abc import Sequence

from geo.cli.output import say
from geo.errors import VeilleError
from geo.settings import load_settings

__all__ = ["main", "build_parser", "GROUPS"]

# The modules of ``geo.cli`` whose ``register`` adds subcommands, with the subcommands each adds, in the order
# ``--help`` lists them. A run imports only the module of its subcommand (their imports cost up to a second).
GROUPS: dict[str, tuple[str, ...]] = {
    "data": ("import", "territory", "recategorize", "batches"),
    "analysis": ("aggregate", "hotspots", "emerging", "trends"),
    "demo": ("demo",),
    "workflow": ("partners", "status", "reports", "report"),
    "alerts": ("alerts", "digest"),
    "maintenance": ("backup", "restore"),
    "patrol": ("patrol",),
    "sharing": ("users", "retention", "export"),
    "structures": ("structures",),
}


def _groups_for(argv: Sequence[str]) -> list[str]:
    """Return the group modules to import for ``argv``: the one owning its subcommand, else all of them."""
    words = [a for a in argv if not a.startswith("-")]
    for word in words[:3]:  # the subcommand, possibly after the values of --db and --structure
        for group, commands in GROUPS.items():
            if word in commands:
                return [group]
    return list(GROUPS)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m geo`` (every subcommand, or only the one ``argv`` names)."""
    db_help = "URL SQLAlchemy du stockage (défaut : VEILLE_DB_URL ou data/veille.sqlite)"
    parser = argparse.ArgumentParser(prog="python -m geo", description="Veille territoriale : données et analyses.")
    structure_help = "code de la structure dont lire et écrire les données (base PostgreSQL partagée)"
    parser.add_argument("--db", help=db_help)
    parser.add_argument("--structure", dest="structure_code", metavar="CODE", help=structure_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    common.add_argument("--structure", dest="structure_code", metavar="CODE", default=argparse.SUPPRESS,
                        help=structure_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for group in _groups_for(argv) if argv is not None else GROUPS:
        importlib.import_module(f"geo.cli.{group}").register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input, nothing stored)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    settings = load_settings(db_url=args.db)
    try:
        if args.structure_code:  # every command then reads and writes that structure's data only
            from geo.store.structures import scoped_url  # noqa: PLC0415 - SQLAlchemy: only when asked for

            settings = dataclasses.replace(settings, db_url=scoped_url(settings.db_url, args.structure_code))
        return args.run(args, settings)
    except (VeilleError, ValueError) as exc:
        say(f"erreur : {exc}")
        return 2
    except Exception as exc:
        if not type(exc).__module__.startswith("sqlalchemy."):
            raise
        # the database went away or refused the work (server stopped, disk full, network): what was under way
        # is rolled back, so say so plainly rather than print a traceback
        cause = getattr(exc, "orig", None) or exc
        detail = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        say(f"erreur : le stockage n'a pas pu terminer l'opération ({detail}). Ce qui était en cours est annulé "
            "et rien n'en est enregistré ; relancez la commande quand le stockage répond.")
        return 1
