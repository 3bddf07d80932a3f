"""The scriptable face of the package: ``python -m geo import|territory|aggregate|demo|batches``.

Summaries meant for scripts are printed as one JSON object on the last line of standard output;
messages for people go to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from geo.analysis.aggregation import aggregate_reports, local_bounds, parse_group_keys
from geo.errors import VeilleError
from geo.ingest.importer import ImportOptions, import_file, read_category_map, write_rejects
from geo.ingest.territory import install_territory, read_boundaries
from geo.settings import Settings, load_settings
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

__all__ = ["main", "build_parser"]


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _emit(summary: dict) -> None:
    print(json.dumps(summary, ensure_ascii=False, default=str))


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    columns = {name: getattr(args, name) for name in ("lat", "lon", "time", "clock", "category", "id",
                                                      "description", "severity", "status", "team", "author")}
    options = ImportOptions(
        columns={k: v for k, v in columns.items() if v}, time_format=args.time_format, encoding=args.encoding,
        sep=args.sep, source=args.source, crs=args.crs, timezone=settings.timezone,
        category_map=read_category_map(args.category_map) if args.category_map else {},
    )
    summary = import_file(store, args.path, taxonomy=taxonomy, options=options)
    for warning in summary.warnings:
        _say(f"attention : {warning}")
    if args.rejects:
        lines = write_rejects(store.read_quarantine(batch_id=summary.batch_id), args.rejects)
        _say(f"{summary.quarantined} ligne(s) en quarantaine, {lines} motif(s) écrits dans {args.rejects}")
    _emit(summary.counts())
    return 0


def _cmd_territory(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    territory = read_boundaries(args.path, code=args.code, name=args.name, population=args.population,
                                crs=args.crs, priority=args.priority)
    result = install_territory(store, territory, source_name=Path(args.path).name)
    _emit(result)
    return 0


def _cmd_aggregate(args: argparse.Namespace, settings: Settings) -> int:
    keys = parse_group_keys(args.by)
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    store = Store(settings.db_url)
    columns = ["observed_at", "neighbourhood", "category", "registre"]
    reports = store.read_reports(columns=columns, start=start, end=end, timezone=settings.timezone)
    if "registre" in keys:  # as the dashboard counts them: under the current taxonomy
        taxonomy = load_taxonomy(settings.taxonomy_path)
        reports["registre"] = taxonomy.current_registres(reports["category"], stored=reports["registre"])
    table = aggregate_reports(reports, store.load_territory(), by=keys)
    if args.format == "json":
        print(table.to_json(orient="records", force_ascii=False))
    else:
        table.to_csv(sys.stdout, index=False)
    return 0


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from geo.demo.build import build_demo_store  # noqa: PLC0415 - only this command needs the generator

    store = Store(settings.db_url)
    if args.if_empty and store.count_reports():
        _say("le stockage contient déjà des signalements : démonstration non chargée (--if-empty)")
        _emit({"read": 0, "stored": 0, "duplicates": 0, "quarantined": 0, "outside_territory": 0, "skipped": True})
        return 0
    result = build_demo_store(store, taxonomy=load_taxonomy(settings.taxonomy_path), reports=args.reports,
                              seed=args.seed)
    _say(result.pop("note"))
    _emit(result)
    return 0


def _cmd_recategorize(args: argparse.Namespace, settings: Settings) -> int:
    from geo.ingest.recategorize import apply_category_map, unknown_labels  # noqa: PLC0415

    store = Store(settings.db_url)
    changed = apply_category_map(store, read_category_map(args.category_map), taxonomy=load_taxonomy(
        settings.taxonomy_path))
    _emit({"changed": changed, "unknown_categories": unknown_labels(store)})
    return 0


def _cmd_batches(args: argparse.Namespace, settings: Settings) -> int:
    table = Store(settings.db_url).list_batches().head(args.limit)
    print(table.drop(columns=["options"]).to_json(orient="records", force_ascii=False))
    return 0


_COLUMN_HELP = {
    "lat": "de la latitude", "lon": "de la longitude", "time": "de la date d'observation",
    "clock": "de l'heure, si elle est séparée de la date", "category": "de la catégorie",
    "id": "de l'identifiant source", "description": "de la description", "severity": "de la gravité",
    "status": "du statut", "team": "de l'équipe", "author": "de l'auteur",
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m geo``."""
    db_help = "URL SQLAlchemy du stockage (défaut : VEILLE_DB_URL ou data/veille.sqlite)"
    parser = argparse.ArgumentParser(prog="python -m geo", description="Veille territoriale : données et analyses.")
    parser.add_argument("--db", help=db_help)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    imp = sub.add_parser("import", parents=[common],
                         help="importer un fichier de signalements (CSV, XLSX, GeoJSON, GPKG, Open311)")
    imp.add_argument("path", type=Path)
    for name, text in _COLUMN_HELP.items():
        imp.add_argument(f"--{name}", metavar="COL", help=f"colonne {text}")
    imp.add_argument("--time-format", metavar="FMT", help="format strptime des dates, ex. %%d/%%m/%%Y %%H:%%M")
    imp.add_argument("--encoding", help="encodage du CSV (détecté sinon : UTF-8, UTF-8 BOM, cp1252)")
    imp.add_argument("--sep", help="séparateur du CSV (détecté sinon)")
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

    agg = sub.add_parser("aggregate", parents=[common],
                         help="compter les signalements par quartier, catégorie, semaine ou mois")
    agg.add_argument("--by", default="neighbourhood", help="clés : neighbourhood[,category|registre][,week|,month]")
    agg.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    agg.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    agg.add_argument("--format", choices=("csv", "json"), default="csv")
    agg.set_defaults(run=_cmd_aggregate)

    demo = sub.add_parser("demo", parents=[common],
                          help="construire le territoire et les signalements de démonstration")
    demo.add_argument("--reports", type=int, default=20_000, help="nombre de signalements (défaut 20000)")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--if-empty", action="store_true", help="ne rien faire si le stockage a déjà des signalements")
    demo.set_defaults(run=_cmd_demo)

    rec = sub.add_parser("recategorize", parents=[common],
                         help="rattacher les libellés inconnus (catégorie « autre ») à une catégorie")
    rec.add_argument("--category-map", type=Path, required=True, metavar="FILE",
                     help="correspondance libellé → code de catégorie (JSON ou CSV libellé;code)")
    rec.set_defaults(run=_cmd_recategorize)

    bat = sub.add_parser("batches", parents=[common],
                         help="lister les imports (lots) avec leur provenance et leurs comptes")
    bat.add_argument("--limit", type=int, default=20)
    bat.set_defaults(run=_cmd_batches)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for bad input, nothing stored)."""
    args = build_parser().parse_args(argv)
    settings = load_settings(db_url=args.db)
    try:
        return args.run(args, settings)
    except (VeilleError, ValueError) as exc:
        _say(f"erreur : {exc}")
        return 2
