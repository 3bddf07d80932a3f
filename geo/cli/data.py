"""Commands that bring data in: ``import``, ``territory``, ``recategorize``, ``batches``."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from geo.cli.output import check_output, emit, say
from geo.errors import InputError
from geo.ingest.batches import remove_batch
from geo.ingest.importer import ImportOptions, import_file, read_category_map, write_rejects
from geo.ingest.recategorize import apply_category_map, unknown_labels
from geo.ingest.territory import install_territory, read_boundaries
from geo.settings import Settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy
from geo.workflow.imported import record_import_history

_COLUMN_HELP = {
    "lat": "de la latitude", "lon": "de la longitude", "time": "de la date d'observation",
    "clock": "de l'heure, si elle est séparée de la date", "category": "de la catégorie",
    "id": "de l'identifiant source", "description": "de la description", "severity": "de la gravité",
    "status": "du statut", "team": "de l'équipe", "author": "de l'auteur",
}

def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.rejects and str(args.rejects) != "-":
        check_output(args.rejects, option="--rejects")  # before anything is read or stored
    store = Store(settings.db_url)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    columns = {name: getattr(args, name) for name in ("lat", "lon", "time", "clock", "category", "id",
                                                      "description", "severity", "status", "team", "author")}
    options = ImportOptions(
        columns={k: v for k, v in columns.items() if v}, time_format=args.time_format, encoding=args.encoding,
        sep=args.sep, source=args.source, crs=args.crs, timezone=settings.timezone, sheet=args.sheet, layer=args.layer,
        category_map=read_category_map(args.category_map) if args.category_map else {},
    )
    summary = import_file(store, args.path, taxonomy=taxonomy, options=options)
    if summary.batch_id is not None and summary.stored:  # statuses of the file become history entries
        record_import_history(store, summary.batch_id, timezone=settings.timezone)
    for warning in summary.warnings:
        say(f"attention : {warning}")
    status = 0
    if args.rejects:
        try:
            lines = write_rejects(store.read_quarantine(batch_id=summary.batch_id), args.rejects)
        except OSError as exc:  # the summary of what was stored is printed all the same
            say(f"erreur : lignes en quarantaine non écrites dans {args.rejects} ({exc.strerror or exc}) ; le lot "
                f"{summary.batch_id} est enregistré, sa quarantaine reste consultable sur la page Import")
            status = 1
        else:
            say(f"{summary.quarantined} ligne(s) en quarantaine, {lines} motif(s) écrits dans {args.rejects}")
    emit(summary.counts())
    return status


def _cmd_territory(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    territory = read_boundaries(args.path, code=args.code, name=args.name, population=args.population,
                                crs=args.crs, priority=args.priority)
    result = install_territory(store, territory, source_name=Path(args.path).name)
    emit(result)
    return 0


def _cmd_recategorize(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    changed = apply_category_map(store, read_category_map(args.category_map), taxonomy=load_taxonomy(
        settings.taxonomy_path))
    emit({"changed": changed, "unknown_categories": unknown_labels(store)})
    return 0


def _cmd_batches(args: argparse.Namespace, settings: Settings) -> int:
    table = Store(settings.db_url).list_batches().head(args.limit)
    print(table.drop(columns=["options"]).to_json(orient="records", force_ascii=False))
    return 0


def _cmd_remove_batch(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    batch = store.get_batch(args.batch_id)
    if batch is None:
        raise InputError(f"lot {args.batch_id} introuvable ; la liste des lots : python -m geo batches")
    if not args.yes:
        say(f"Annuler le lot {batch['id']} ({batch['source_name']}) : {batch['stored']} signalement(s) "
            f"enregistré(s) et {batch['quarantined']} ligne(s) en quarantaine seront retirés, avec le fichier "
            "conservé. Confirmer ? [o/N]")
        try:
            answer = input().strip().lower()
        except EOFError:
            answer = ""
        if answer not in ("o", "oui", "y", "yes"):
            say("rien n'a été retiré (confirmez en répondant « o », ou avec --yes)")
            return 1
    removal = remove_batch(store, args.batch_id, removed_by=args.by or _current_user())
    say(f"lot {removal.batch_id} annulé : {removal.removed_reports} signalement(s) et "
        f"{removal.removed_quarantine} ligne(s) en quarantaine retirés ; il peut être réimporté")
    emit(removal.summary())
    return 0


def _current_user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password database
        return None


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    imp = sub.add_parser("import", parents=[common],
                         help="importer un fichier de signalements (CSV, XLSX, GeoJSON, GPKG, Open311)")
    imp.add_argument("path", type=Path)
    for name, text in _COLUMN_HELP.items():
        imp.add_argument(f"--{name}", metavar="COL", help=f"colonne {text}")
    imp.add_argument("--time-format", metavar="FMT", help="format strptime des dates, ex. %%d/%%m/%%Y %%H:%%M")
    imp.add_argument("--encoding", help="encodage du CSV (détecté sinon : UTF-8, UTF-8 BOM, cp1252)")
    imp.add_argument("--sep", help="séparateur du CSV (détecté sinon)")
    imp.add_argument("--sheet", metavar="NOM", help="feuille du classeur à importer (nom, ou numéro à partir de 1 ; "
                     "défaut : la seule feuille remplie, ou toutes celles de même en-tête)")
    imp.add_argument("--layer", metavar="NOM", help="couche du GeoPackage, ou fichier de l'archive zip, à importer "
                     "(nom, ou numéro à partir de 1)")
    imp.add_argument("--source", help="espace de noms des identifiants source (défaut : le format reconnu)")
    imp.add_argument("--crs", help="CRS des colonnes de coordonnées s'il ne s'agit pas de WGS84 (ex. 2154)")
    imp.add_argument("--category-map", type=Path, metavar="FILE",
                     help="correspondance libellé → code de catégorie (JSON ou CSV libellé;code)")
    imp.add_argument("--rejects", type=Path, metavar="FILE", help="écrire les lignes en quarantaine (CSV)")
    imp.set_defaults(run=_cmd_import)

    ter = sub.add_parser("territory", parents=[common],
                         help="charger les quartiers (GeoJSON, GeoPackage, Shapefile)")
    ter.add_argument("path", type=Path)
    ter.add_argument("--code", required=True, metavar="FIELD", help="champ du code de quartier")
    ter.add_argument("--name", required=True, metavar="FIELD", help="champ du nom de quartier")
    ter.add_argument("--population", metavar="FIELD", help="champ de la population")
    ter.add_argument("--priority", metavar="FIELD", help="champ booléen : quartier prioritaire (QPV)")
    ter.add_argument("--crs", metavar="EPSG", help="CRS du fichier s'il n'en déclare pas (ex. 2154)")
    ter.set_defaults(run=_cmd_territory)

    rec = sub.add_parser("recategorize", parents=[common],
                         help="rattacher les libellés inconnus (catégorie « autre ») à une catégorie")
    rec.add_argument("--category-map", type=Path, required=True, metavar="FILE",
                     help="correspondance libellé → code de catégorie (JSON ou CSV libellé;code)")
    rec.set_defaults(run=_cmd_recategorize)

    bat = sub.add_parser("batches", parents=[common],
                         help="lister les imports (lots) avec leur provenance et leurs comptes")
    bat.add_argument("--limit", type=int, default=20)
    bat.set_defaults(run=_cmd_batches)
    bat_sub = bat.add_subparsers(dest="batches_command", metavar="ACTION")
    rem = bat_sub.add_parser("remove", parents=[common],
                             help="annuler un lot : retirer ses signalements, sa quarantaine et son fichier")
    rem.add_argument("batch_id", type=int, metavar="N", help="numéro du lot (voir python -m geo batches)")
    rem.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    rem.add_argument("--by", metavar="NOM", help="qui annule (défaut : l'utilisateur du système)")
    rem.set_defaults(run=_cmd_remove_batch)
