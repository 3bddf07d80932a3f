"""Commands that look after the store itself: ``backup`` and ``restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.cli.output import emit, say
from geo.settings import Settings
from geo.store.backup import backup_store, restore_store
from geo.store.database import Store


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    result = backup_store(Store(settings.db_url), args.path)
    say(f"sauvegarde écrite : {result.path} ({result.reports} signalements, fichiers importés et photos compris)")
    emit(result.as_dict())
    return 0


def _cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        answer = input(f"Remplacer tout le contenu de {settings.db_url} par {args.path} ? [o/N] ")
        if answer.strip().lower() not in ("o", "oui", "y", "yes"):
            say("restauration abandonnée : rien n'a changé")
            return 1
    result = restore_store(Store(settings.db_url), args.path)
    say(f"stockage restauré depuis {result.path} : {result.reports} signalements")
    emit(result.as_dict())
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    backup = sub.add_parser("backup", parents=[common],
                            help="sauvegarder tout le stockage dans un fichier (l'application peut tourner)")
    backup.add_argument("path", type=Path, help="fichier à écrire (jamais écrasé)")
    backup.set_defaults(run=_cmd_backup)
    restore = sub.add_parser("restore", parents=[common],
                             help="remplacer le contenu du stockage par une sauvegarde du même type")
    restore.add_argument("path", type=Path)
    restore.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    restore.set_defaults(run=_cmd_restore)
