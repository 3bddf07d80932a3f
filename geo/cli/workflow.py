"""Commands of the follow-up workflow: ``partners load``."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli.output import emit, say
from geo.settings import Settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from geo.workflow.routing import load_registry_files, missing_routes


def _cmd_partners_load(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    result = load_registry_files(store, args.path, args.routing, taxonomy=taxonomy)
    missing = missing_routes(store, taxonomy)
    if len(missing):
        pairs = ", ".join(f"{r.category} × {r.neighbourhood}" for r in missing.head(10).itertuples())
        more = f" (et {len(missing) - 10} autres)" if len(missing) > 10 else ""
        say(f"attention : {len(missing)} couple(s) catégorie × quartier sans partenaire : {pairs}{more}. "
            "Ajoutez une route (ou une route par défaut « * ») pour ces catégories.")
    say(f"{result['partners']} partenaire(s) et {result['routes']} route(s) enregistrés")
    emit(result)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    partners = sub.add_parser("partners", parents=[common], help="registre des partenaires et table de routage")
    psub = partners.add_subparsers(dest="partners_command", required=True, metavar="ACTION")
    load = psub.add_parser("load", parents=[common],
                           help="remplacer le registre (id;name;type;emails;target_days) et la table de routage")
    load.add_argument("path", type=Path, metavar="PARTNERS.csv")
    load.add_argument("--routing", type=Path, metavar="ROUTING.csv",
                      help="table de routage category;neighbourhood;partner (* : route par défaut de la catégorie)")
    load.set_defaults(run=_cmd_partners_load)
