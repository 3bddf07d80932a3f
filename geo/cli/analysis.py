"""Commands that compute figures: ``aggregate``."""

from __future__ import annotations

import argparse

from geo.settings import Settings


def _cmd_aggregate(args: argparse.Namespace, settings: Settings) -> int:
    # imported here: ``python -m geo aggregate`` is scripted, and each command pays only for what it uses
    from geo.analysis.aggregation import aggregate_reports, local_bounds, parse_group_keys  # noqa: PLC0415
    from geo.export.safe_csv import write_csv  # noqa: PLC0415
    from geo.store.database import Store  # noqa: PLC0415
    from geo.store.snapshot import load_reports  # noqa: PLC0415
    from geo.taxonomy import load_taxonomy  # noqa: PLC0415

    keys = parse_group_keys(args.by)
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    store = Store(settings.db_url)
    columns = ["observed_at", "neighbourhood", "category", "registre"]
    reports = load_reports(store, columns=columns, start=start, end=end, timezone=settings.timezone)
    if "registre" in keys:  # as the dashboard counts them: under the current taxonomy
        taxonomy = load_taxonomy(settings.taxonomy_path)
        reports["registre"] = taxonomy.current_registres(reports["category"], stored=reports["registre"])
    table = aggregate_reports(reports, store.neighbourhood_table(), by=keys)
    if args.format == "json":
        print(table.to_json(orient="records", force_ascii=False))
    else:
        write_csv(table, None, sep=",")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    agg = sub.add_parser("aggregate", parents=[common],
                         help="compter les signalements par quartier, catégorie, semaine ou mois")
    agg.add_argument("--by", default="neighbourhood", help="clés : neighbourhood[,category|registre][,week|,month]")
    agg.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    agg.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    agg.add_argument("--format", choices=("csv", "json"), default="csv")
    agg.set_defaults(run=_cmd_aggregate)
