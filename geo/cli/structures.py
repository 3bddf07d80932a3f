"""Commands of the structures sharing one database: ``structures add|list|figures``."""

from __future__ import annotations

import argparse

from geo.analysis.aggregation import local_bounds
from geo.cli.output import check_output, emit, say
from geo.export.safe_csv import csv_text, write_csv
from geo.settings import Settings
from geo.sharing.roles import COORDINATEUR
from geo.store.database import Store
from geo.store.structures import add_structure, check_new_structure, discard_structure, list_structures, split_url


def _cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from geo.cli.sharing import read_password  # noqa: PLC0415 - the accounts' commands
    from geo.sharing import accounts  # noqa: PLC0415 - argon2: only when an account is made

    url = split_url(settings.db_url)[0]
    login = password = None
    if args.coordinator:  # everything checked before the structure is made: a refusal leaves nothing behind
        check_new_structure(url, args.code, name=args.name)
        login = accounts.check_free_login(url, args.coordinator)
        password = accounts.check_password(read_password(args))
    structure = add_structure(url, args.code, name=args.name)
    summary = {"structure": structure.code, **structure.summary()}
    if login is not None:
        try:
            user = accounts.create_user(Store(url, structure=structure.code), login, password, role=COORDINATEUR,
                                        display_name=args.coordinator_name, created_by="cli")
        except BaseException:
            discard_structure(url, structure.code)  # no structure without the coordinator asked for
            raise
        summary["coordinator"] = user.login
        say(f"structure {structure.code} ({structure.name}) ajoutée, avec son compte de coordination "
            f"{user.login} : il se connecte à l'application comme tout compte et y crée les autres comptes de "
            f"la structure ; en ligne de commande, ouvrez-la avec --structure {structure.code}")
    else:
        say(f"structure {structure.code} ({structure.name}) ajoutée : ses données sont à part ; ouvrez-la avec "
            f"--structure {structure.code}, créez son compte de coordination avec "
            f"python -m geo --structure {structure.code} users add LOGIN --role coordinateur")
    emit(summary)
    return 0


def _cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    found = list_structures(settings.db_url)
    for structure in found:
        say(f"{structure.code:<24} {structure.name}{' (par défaut)' if structure.is_default else ''}")
    emit({"structures": len(found), "codes": [s.code for s in found], "list": [s.summary() for s in found]})
    return 0


def _cmd_figures(args: argparse.Namespace, settings: Settings) -> int:
    from geo.sharing.network_view import network_figures  # noqa: PLC0415 - privacy pulls in the map modules
    from geo.taxonomy import load_taxonomy  # noqa: PLC0415

    if args.out:
        check_output(args.out, option="--out")
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    figures = network_figures(split_url(settings.db_url)[0], taxonomy=load_taxonomy(settings.taxonomy_path),
                              start=start, end=end, min_count=args.min_count, timezone=settings.timezone)
    table = figures.table
    summary = {"structures": len(figures.structures), "rows": len(table),
               "masked": int((table["signalements"].str.startswith("<")).sum()), "min_count": args.min_count}
    if args.format == "json":
        emit({**summary, "data": table.to_dict(orient="records")})
        return 0
    if args.out:
        write_csv(table, args.out)
        emit({**summary, "out": str(args.out)})
    else:
        print(csv_text(table), end="")
        emit(summary)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    group = sub.add_parser("structures", parents=[common],
                           help="structures partageant une base PostgreSQL : ajouter, lister, chiffres du réseau")
    actions = group.add_subparsers(dest="structures_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="ajouter une structure (ses données à part)")
    add.add_argument("code", help="code court : a-z 0-9 _")
    add.add_argument("--name", required=True, help="nom affiché")
    add.add_argument("--coordinator", metavar="LOGIN",
                     help="créer aussi son premier compte de coordination (mot de passe demandé, jamais en argument)")
    add.add_argument("--coordinator-name", metavar="NOM", help="nom affiché de ce compte")
    add.add_argument("--password-stdin", action="store_true",
                     help="lire le mot de passe du compte de coordination sur l'entrée standard")
    add.set_defaults(run=_cmd_add)
    lst = actions.add_parser("list", parents=[common], help="lister les structures")
    lst.set_defaults(run=_cmd_list)
    fig = actions.add_parser("figures", parents=[common],
                             help="chiffres agrégés de toutes les structures (masqués sous le seuil, sans "
                                  "donnée personnelle)")
    fig.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    fig.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    fig.add_argument("--format", choices=("csv", "json"), default="csv")
    fig.add_argument("--out", help="fichier CSV à écrire (sinon la sortie standard)")
    fig.add_argument("--min-count", type=int, default=3, help="seuil de masquage (défaut : 3)")
    fig.set_defaults(run=_cmd_figures)
