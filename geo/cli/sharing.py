"""Commands of accounts and sharing: ``users``, ``retention``, ``export``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from geo.analysis.aggregation import local_bounds
from geo.cli.output import emit, say
from geo.cli.scope import structure_failure, structure_runs
from geo.errors import InputError
from geo.settings import Settings
from geo.sharing import accounts
from geo.sharing.config import EXPORT_FORMATS, load_sharing_settings
from geo.sharing.roles import COORDINATEUR, PARTENAIRE, ROLES
from geo.store.database import Store
from geo.taxonomy import load_taxonomy

if TYPE_CHECKING:
    from geo.sharing.retention import RetentionPlan

_CLI_LOGIN = "cli"


def read_password(args: argparse.Namespace) -> str:
    """Return the password read on standard input (``--password-stdin``) or asked twice on the terminal."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("aucun mot de passe lu sur l'entrée standard")
        return password
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Mot de passe (encore) : ") != first:
        raise InputError("les deux mots de passe saisis diffèrent")
    return first


def _cmd_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from geo.sharing.scope import partner_scope  # noqa: PLC0415 - keep `python -m geo` quick to start

    store = Store(settings.db_url)
    if args.partner:
        partner_scope(store, args.partner, taxonomy=load_taxonomy(settings.taxonomy_path))
    user = accounts.create_user(store, args.login, read_password(args), role=args.role, partner_id=args.partner,
                                display_name=args.name, created_by=_CLI_LOGIN)
    say(f"compte {user.login} créé ({ROLES[user.role]})")
    emit({"login": user.login, "role": user.role, "partner": user.partner_id})
    return 0


def _cmd_users_list(args: argparse.Namespace, settings: Settings) -> int:
    users = accounts.list_users(Store(settings.db_url))
    for user in users:
        say(f"{user['login']:<24} {user['role']:<14} {user['partner_id'] or '':<18} "
            f"{'actif' if user['active'] else 'désactivé'}")
    emit({"users": len(users)})
    return 0


def _cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    months = args.months or load_sharing_settings().retention_months
    # run once by cron for the whole database: every structure in turn (the named one with --structure)
    runs = structure_runs(settings, named=args.structure_code)
    plans, errors = [], []
    for run in runs:
        store, prefix = Store(run.settings.db_url), run.prefix()
        try:
            plan = _retention_of(store, args, months, prefix)
        except Exception as exc:
            message = structure_failure(exc)
            if len(runs) == 1 or message is None:
                raise
            say(f"{prefix}erreur : {message}")  # the other structures' retention goes on
            errors.append({"structure": run.code, "error": message})
            continue
        plans.append((run, plan.summary()))
    if len(runs) == 1 and runs[0].code is None:
        emit(plans[0][1])
        return 0
    # the same keys as for one structure, added up, and each structure's own figures
    summary = dict(plans[0][1]) if plans else {"months": months}
    for key in ("reports", "files", "files_kept", "quarantine_rows", "photos"):
        summary[key] = sum(p[key] for _, p in plans)
    summary["by_structure"] = [{"structure": run.code, **plan} for run, plan in plans]
    summary["errors"] = errors
    emit(summary)
    return 1 if errors else 0


def _retention_of(store: Store, args: argparse.Namespace, months: int, prefix: str) -> RetentionPlan:
    """Apply (or plan) the retention of one structure's store; say what it did; return the plan."""
    from geo.sharing.retention import apply_retention, plan_retention  # noqa: PLC0415 - idem

    if args.apply:
        plan = apply_retention(store, months=months, by=_CLI_LOGIN)
        say(f"{prefix}{plan.reports} signalements antérieurs au {plan.cutoff[:10]} anonymisés (description, "
            f"auteur, ligne brute, photos) ; {plan.files} fichiers importés supprimés, {plan.files_kept} "
            "conservés.")
    else:
        plan = plan_retention(store, months=months)
        say(f"{prefix}Simulation (rien n'est modifié ; --apply pour appliquer) : {plan.reports} signalements "
            f"antérieurs au {plan.cutoff[:10]} seraient anonymisés (description, auteur, ligne brute, photos) ; "
            f"{plan.files} fichiers importés seraient supprimés ({plan.files_kept} conservés car ils ont des "
            f"signalements plus récents) ; {plan.quarantine_rows} lignes en quarantaine vidées.")
    return plan


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    import pandas as pd  # noqa: PLC0415 - idem

    from geo.sharing.exports import ExportRequest, export  # noqa: PLC0415 - maps, PDF, matplotlib: slow
    from geo.sharing.periods import first_report_month, parse_period  # noqa: PLC0415 - idem

    role = PARTENAIRE if args.role in ("partner", PARTENAIRE) else args.role
    store = Store(settings.db_url)
    period = None
    if args.periode is not None:
        if args.date_from or args.date_to:
            raise InputError("--periode ne se combine pas avec --from / --to : choisissez l'un ou l'autre")
        period = parse_period(args.periode, now=pd.Timestamp.now(tz=settings.timezone), timezone=settings.timezone,
                              first_month=first_report_month(store, timezone=settings.timezone),
                              completed=role == PARTENAIRE)
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    request = ExportRequest(role=role, fmt=args.format, partner_id=args.partner, start=start, end=end, period=period)
    summary = export(store, request, args.out, taxonomy=load_taxonomy(settings.taxonomy_path),
                     settings=settings, sharing=load_sharing_settings(), by=_CLI_LOGIN)
    say(f"{summary['reports']} signalements exportés dans {summary['out']} ({summary['bytes']} octets)")
    emit(summary)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    users = sub.add_parser("users", parents=[common], help="comptes : créer, lister")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = users_sub.add_parser("add", parents=[common],
                               help="créer un compte (mot de passe demandé, jamais en argument)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--partner", help="identifiant du partenaire (rôle partenaire)")
    add.add_argument("--name", help="nom affiché")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    add.set_defaults(run=_cmd_users_add)
    lst = users_sub.add_parser("list", parents=[common], help="lister les comptes")
    lst.set_defaults(run=_cmd_users_list)

    ret = sub.add_parser("retention", parents=[common],
                         help="anonymiser les signalements anciens (simulation sans --apply)")
    ret.add_argument("--apply", action="store_true", help="appliquer (sinon : dire ce qui changerait)")
    ret.add_argument("--months", type=int, help="âge limite en mois (défaut : VEILLE_RETENTION_MONTHS ou 24)")
    ret.set_defaults(run=_cmd_retention)

    exp = sub.add_parser("export", parents=[common], help="exporter pour un partenaire ou pour la coordination")
    exp.add_argument("--role", required=True, choices=("partner", PARTENAIRE, COORDINATEUR))
    exp.add_argument("--partner", help="identifiant du partenaire (rôle partner)")
    exp.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    exp.add_argument("--periode", metavar="PÉRIODE",
                     help="période fixe : AAAA-MM (mois), AAAA-T1…T4 (trimestre), AAAA (année) ou tout (depuis le "
                          "début) ; seule une période close est acceptée pour un partenaire (défaut : tout)")
    exp.add_argument("--from", dest="date_from", metavar="DATE",
                     help="première date incluse (AAAA-MM-JJ) ; pour un partenaire, le 1er jour d'un mois, d'un "
                          "trimestre ou d'une année clos, avec --to sur son dernier jour")
    exp.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    exp.add_argument("--out", required=True, help="fichier à écrire")
    exp.set_defaults(run=_cmd_export)
