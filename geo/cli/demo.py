"""The ``demo`` command: build the embedded demonstration store."""

from __future__ import annotations

import argparse

from geo.cli.output import emit, say
from geo.settings import Settings
from geo.sharing.demo_accounts import create_demo_accounts
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

OUTSIDE_NOTE = ("outside_territory : {n} signalements placés exprès juste à l'extérieur des quartiers de "
                "démonstration (20 à 500 m), pour montrer comment l'application traite ce qui tombe hors du "
                "territoire ; ils sont enregistrés, sans quartier.")
"""Said by ``python -m geo demo`` before its summary: the meaning of the ``outside_territory`` count."""


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from geo.demo.build import build_demo_store  # noqa: PLC0415 - only this command needs the generator

    store = Store(settings.db_url)
    if args.if_empty and store.count_reports():
        say("le stockage contient déjà des signalements : démonstration non chargée (--if-empty)")
        emit({"read": 0, "stored": 0, "duplicates": 0, "quarantined": 0, "outside_territory": 0, "skipped": True})
        return 0
    result = build_demo_store(store, taxonomy=load_taxonomy(settings.taxonomy_path), reports=args.reports,
                              seed=args.seed)
    say(result.pop("note"))
    result["accounts"] = create_demo_accounts(store)
    if result["accounts"]:
        say(f"comptes de démonstration créés (voir le README) : {', '.join(result['accounts'])}")
    say(OUTSIDE_NOTE.format(n=result.get("outside_territory", 0)))
    emit(result)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    demo = sub.add_parser("demo", parents=[common],
                          help="construire le territoire et les signalements de démonstration")
    demo.add_argument("--reports", type=int, default=20_000, help="nombre de signalements (défaut 20000)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--if-empty", action="store_true", help="ne rien faire si le stockage a déjà des signalements")
    demo.set_defaults(run=_cmd_demo)
