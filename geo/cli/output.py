"""What commands print: messages for people on standard error, one JSON summary last on standard output."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from geo.errors import InputError

__all__ = ["say", "emit", "check_output"]


def say(message: str) -> None:
    """Print a message for people on standard error."""
    print(message, file=sys.stderr)


def emit(summary: dict) -> None:
    """Print a machine-readable summary as one JSON line on standard output."""
    print(json.dumps(summary, ensure_ascii=False, default=str))


def check_output(path: Path | str, *, option: str) -> None:
    """Refuse an output file that could not be written, before the command does anything.

    Raises
    ------
    InputError
        When ``path`` is a folder, its folder does not exist, or the file or its folder is not writable.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise InputError(f"{option} {path} : c'est un dossier ; un nom de fichier est attendu "
                         f"(par ex. {target / 'quarantaine.csv'}). Rien n'a été fait.")
    if not folder.exists():
        raise InputError(f"{option} {path} : le dossier {folder} n'existe pas ; créez-le ou choisissez un autre "
                         "chemin. Rien n'a été fait.")
    if not folder.is_dir():
        raise InputError(f"{option} {path} : {folder} n'est pas un dossier. Rien n'a été fait.")
    if target.exists() and not os.access(target, os.W_OK):
        raise InputError(f"{option} {path} : fichier protégé en écriture. Rien n'a été fait.")
    if not target.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path} : impossible d'écrire dans le dossier {folder} (droits). "
                         "Rien n'a été fait.")
