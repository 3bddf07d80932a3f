"""Commands of the follow-up workflow: ``partners load``, ``status``, ``reports``, ``report`` (bilan d'activité)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pandas as pd

from geo.cli.output import emit, say
from geo.export.safe_csv import csv_text, write_csv
from geo.settings import Settings
from geo.store.database import Store
from geo.store.structures import get_structure
from geo.taxonomy import load_taxonomy
from geo.workflow.activity import GROUPINGS, activity_json, activity_table, compute_activity, period_bounds
from geo.workflow.activity_pdf import write_activity_pdf
from geo.workflow.lifecycle import STATUSES, change_status, parse_when, resolve_report_id
from geo.workflow.queue import AGEING_BANDS, ReportQuery, list_reports
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


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    report_id = resolve_report_id(store, args.report_id)
    duplicate_of = resolve_report_id(store, args.duplicate_of) if args.duplicate_of else None
    change = change_status(store, report_id, args.new_status, at=parse_when(args.at, timezone=settings.timezone),
                           by=args.by, comment=args.comment, duplicate_of=duplicate_of)
    say(f"{change.report_id} : {change.from_status} → {change.to_status}")
    emit(change.as_dict())
    return 0


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for text in values or () for v in text.split(",") if v.strip())


def _cmd_reports(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    start = parse_when(args.date_from, timezone=settings.timezone) if args.date_from else None
    end = (parse_when(args.date_to, timezone=settings.timezone) + pd.Timedelta(days=1)) if args.date_to else None
    query = ReportQuery(text=args.text or "", categories=_split(args.category),
                        neighbourhoods=_split(args.neighbourhood), statuses=_split(args.status),
                        partners=_split(args.partner), bands=_split(args.age), overdue=args.overdue,
                        min_age_days=args.min_age_days, max_age_days=args.max_age_days, start=start, end=end)
    unknown = [s for s in query.statuses if s not in STATUSES] + [b for b in query.bands if b not in AGEING_BANDS]
    if unknown:
        raise ValueError(f"valeur(s) inconnue(s) {unknown} ; statuts : {', '.join(STATUSES)} ; "
                         f"âges : {', '.join(AGEING_BANDS)}")
    frame = list_reports(store, query, timezone=settings.timezone, limit=args.limit)
    table = pd.DataFrame({
        "id": frame["id"], "source_id": frame["source_id"], "category": frame["category"],
        "neighbourhood": frame["neighbourhood"], "status": frame["status"], "partner": frame["partner"],
        "observed_at": frame["observed_at"].map(lambda t: t.isoformat()),
        "age_days": frame["age_days"].round(2), "ageing": frame["ageing"], "overdue": frame["overdue"],
        "duplicate_of": frame["duplicate_of"],
    })
    say(f"{len(table)} signalement(s)")
    if args.format == "csv":
        print(csv_text(table), end="")
    else:
        print(table.to_json(orient="records", force_ascii=False))
    return 0


DEFAULT_STRUCTURE = "Pimms Médiation Dijon"


def _cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    store = Store(settings.db_url)
    start, end = period_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    activity = compute_activity(store, start=start, end=end, by=args.by,
                                taxonomy=load_taxonomy(settings.taxonomy_path), timezone=settings.timezone)
    data = activity_json(activity, timezone=settings.timezone)
    if args.format == "pdf":
        if args.out is None:
            raise ValueError("--format pdf demande --out FICHIER.pdf")
        structure = args.structure or (get_structure(store, store.structure).name if store.structure else None)
        structure = structure or os.environ.get("VEILLE_STRUCTURE") or DEFAULT_STRUCTURE
        write_activity_pdf(activity, args.out, structure=structure, timezone=settings.timezone)
    elif args.format == "csv":
        if args.out is None:
            print(csv_text(activity_table(activity)), end="")
        else:
            write_csv(activity_table(activity), args.out)
    elif args.out is not None:
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.out is not None:
        say(f"bilan écrit dans {args.out}")
        emit({"out": str(args.out), "format": args.format, "from": data["from"], "to": data["to"], "by": args.by,
              "groups": len(data["groups"]), "total": data["total"]})
    elif args.format == "json":
        emit(data)
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

    status = sub.add_parser("status", parents=[common],
                            help="changer le statut d'un signalement (gardé à l'historique)")
    status.add_argument("report_id", metavar="REPORT_ID", help="identifiant enregistré ou identifiant source")
    status.add_argument("new_status", metavar="NEW_STATUS", help=f"l'un de : {', '.join(STATUSES)}")
    status.add_argument("--at", metavar="DATETIME",
                        help="date du changement (défaut : maintenant), ex. 2026-03-02T14:30 ou 02/03/2026 14:30")
    status.add_argument("--by", metavar="NAME", help="qui a fait le changement")
    status.add_argument("--comment", metavar="TEXT", help="commentaire gardé à l'historique")
    status.add_argument("--duplicate-of", metavar="ID", help="signalement original (statut doublon)")
    status.set_defaults(run=_cmd_status)

    rep = sub.add_parser("reports", parents=[common], help="lister les signalements à suivre (CSV ou JSON)")
    rep.add_argument("--text", help="texte cherché dans l'identifiant, l'identifiant source ou la description")
    rep.add_argument("--category", action="append", metavar="CODE", help="catégorie(s), séparées par des virgules")
    rep.add_argument("--neighbourhood", action="append", metavar="CODE", help="quartier(s)")
    rep.add_argument("--status", action="append", metavar="CODE", help="statut(s)")
    rep.add_argument("--partner", action="append", metavar="ID", help="partenaire(s)")
    rep.add_argument("--age", action="append", metavar="BAND", help=f"tranche(s) d'âge : {', '.join(AGEING_BANDS)}")
    rep.add_argument("--overdue", action="store_true", help="seulement les signalements en retard")
    rep.add_argument("--min-age-days", type=float, metavar="N")
    rep.add_argument("--max-age-days", type=float, metavar="N")
    rep.add_argument("--from", dest="date_from", metavar="DATE", help="observés à partir de ce jour (AAAA-MM-JJ)")
    rep.add_argument("--to", dest="date_to", metavar="DATE", help="observés jusqu'à ce jour inclus")
    rep.add_argument("--limit", type=int)
    rep.add_argument("--format", choices=("csv", "json"), default="json")
    rep.set_defaults(run=_cmd_reports)

    # not the common options: ``--structure NOM`` here is the name in the PDF's title (the structure whose data
    # to read goes before the command: ``python -m geo --structure CODE report …``)
    report = sub.add_parser("report", help="bilan d'activité d'une période (CSV, JSON ou PDF)")
    report.add_argument("--db", default=argparse.SUPPRESS,
                        help="URL SQLAlchemy du stockage (défaut : VEILLE_DB_URL ou data/veille.sqlite)")
    report.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="premier jour (AAAA-MM-JJ)")
    report.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="dernier jour inclus")
    report.add_argument("--by", choices=GROUPINGS, default="registre", help="regroupement (défaut : registre)")
    report.add_argument("--format", choices=("csv", "json", "pdf"), default="json")
    report.add_argument("--out", type=Path, metavar="FILE", help="fichier écrit (obligatoire pour pdf)")
    report.add_argument("--structure", metavar="NOM",
                        help=f"nom de la structure dans le titre (défaut : VEILLE_STRUCTURE ou {DEFAULT_STRUCTURE})")
    report.set_defaults(run=_cmd_report)
