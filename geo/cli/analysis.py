"""Commands that compute figures: ``aggregate``, ``hotspots``, ``emerging``, ``trends``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from geo.analysis.aggregation import aggregate_reports, local_bounds, parse_group_keys
from geo.cli.output import emit, say
from geo.errors import InputError
from geo.export.safe_csv import write_csv
from geo.settings import Settings
from geo.store.database import Store
from geo.store.snapshot import load_reports
from geo.taxonomy import load_taxonomy


def _cmd_aggregate(args: argparse.Namespace, settings: Settings) -> int:
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


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for text in values or () for v in text.split(",") if v.strip())


def _filtered_reports(args: argparse.Namespace, settings: Settings, store: Store) -> pd.DataFrame:
    """Read the reports of ``--from``/``--to`` and keep those of ``--category``/``--registre``.

    From the columnar snapshot, as the pages and ``aggregate`` read them (not row by row from the store).
    """
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    columns = ["observed_at", "lat", "lon", "neighbourhood", "category", "registre"]
    reports = load_reports(store, columns=columns, start=start, end=end, timezone=settings.timezone,
                           categorical=False)
    categories, registres = _split(args.category), _split(args.registre)
    if registres:
        taxonomy = load_taxonomy(settings.taxonomy_path)
        reports["registre"] = taxonomy.current_registres(reports["category"], stored=reports["registre"])
        reports = reports[reports["registre"].isin(registres)]
    if categories:
        reports = reports[reports["category"].isin(categories)]
    return reports.reset_index(drop=True)


def _write_geojson(frame: pd.DataFrame, path: str) -> None:
    """Write cells (any CRS) as RFC 7946 GeoJSON (WGS84), replacing ``path`` only once complete."""
    target = Path(path)
    if target.parent and not target.parent.exists():
        raise InputError(f"le dossier de --out n'existe pas : {target.parent}")
    wgs = frame.to_crs("EPSG:4326").reset_index()
    partial = target.with_name(target.name + ".partiel")
    partial.write_text(wgs.to_json(drop_id=True, ensure_ascii=False, to_wgs84=True), encoding="utf-8")
    partial.replace(target)


def _cmd_hotspots(args: argparse.Namespace, settings: Settings) -> int:
    from geo.analysis.hotspots import report_hotspots  # noqa: PLC0415 - esda/numba only for this command

    store = Store(settings.db_url)
    reports = _filtered_reports(args, settings, store)
    grid, cells, _result = report_hotspots(reports, store.load_territory(), h3_res=args.h3_res,
                                          cell_size=args.cell_size, permutations=args.permutations,
                                          seed=args.seed)
    _write_geojson(cells.drop(columns=["x", "y"]), args.out)
    classes = cells["class"].astype(str)
    say(f"{len(cells)} cellules écrites dans {args.out}")
    emit({
        "cells": len(cells), "hot": int(classes.str.startswith("hot").sum()),
        "cold": int(classes.str.startswith("cold").sum()), "cell_size_m": round(grid.cell_size_m, 1),
        "h3_res": grid.h3_res, "grid": grid.kind, "reports": int(cells["count"].sum()),
        "permutations": args.permutations, "seed": args.seed,
        "classes": {c: int((classes == c).sum()) for c in _CLASSES},
    })
    return 0


def _cmd_emerging(args: argparse.Namespace, settings: Settings) -> int:
    from geo.analysis.emerging import PATTERNS, emerging_hotspots, space_time_cube  # noqa: PLC0415
    from geo.analysis.grid import build_grid  # noqa: PLC0415
    from geo.analysis.hotspots import MIN_REPORTS  # noqa: PLC0415

    if args.steps is not None and args.steps < 2:
        raise InputError(f"--steps doit valoir au moins 2 ; reçu {args.steps}")
    store = Store(settings.db_url)
    reports = _filtered_reports(args, settings, store)
    reports = reports[reports["neighbourhood"].notna()].reset_index(drop=True)
    if len(reports) < MIN_REPORTS:
        raise InputError(f"au moins {MIN_REPORTS} signalements dans le territoire sont nécessaires ; "
                         f"trouvé {len(reports)}")
    lat, lon = reports["lat"].to_numpy(float), reports["lon"].to_numpy(float)
    grid = build_grid(store.load_territory(), lat=lat, lon=lon, h3_res=args.h3_res, cell_size=args.cell_size)
    end = None
    if args.date_to:
        end = pd.Timestamp(args.date_to).tz_localize(settings.timezone)
    cube, steps = space_time_cube(grid.locate(lat, lon), reports["observed_at"], cells=len(grid),
                                  period=args.period, steps=args.steps, end=end)
    if len(steps) < 2:
        raise InputError(f"il faut au moins 2 périodes ({args.period}) de signalements ; trouvé {len(steps)}")
    result = emerging_hotspots(grid, cube, steps, permutations=args.permutations, seed=args.seed)
    cells = grid.cells.drop(columns=["x", "y"]).join(result.cells)
    _write_geojson(cells, args.out)
    patterns = cells["pattern"].astype(str)
    say(f"{len(cells)} cellules × {len(steps)} périodes écrites dans {args.out}")
    emit({
        "cells": len(cells), "steps": len(steps), "period": args.period,
        "first_step": steps[0].strftime("%Y-%m-%d"), "last_step": steps[-1].strftime("%Y-%m-%d"),
        "cell_size_m": round(grid.cell_size_m, 1), "h3_res": grid.h3_res, "grid": grid.kind,
        "reports": int(cube.sum()), "patterns": {p: int((patterns == p).sum()) for p in PATTERNS},
    })
    return 0


def _cmd_trends(args: argparse.Namespace, settings: Settings) -> int:
    from geo.analysis.trends import complete_end, parse_trend_keys, trends_report, weekday_hour  # noqa: PLC0415

    keys = parse_trend_keys(args.by)
    start, end = local_bounds(args.date_from, args.date_to, timezone=settings.timezone)
    store = Store(settings.db_url)
    columns = ["observed_at", "neighbourhood", "category", "registre"]
    reports = load_reports(store, columns=columns, start=start, end=end, timezone=settings.timezone,
                           categorical=False)
    if reports.empty:
        raise InputError("aucun signalement sur la période demandée : pas de tendance à calculer")
    to = pd.Timestamp(args.date_to) if args.date_to else None
    data_end = complete_end(reports, to=to)
    table = trends_report(reports, store.load_territory(), by=keys, period=args.period, end=data_end)
    increasing = table["significant"] & table["direction"].eq("increasing")
    decreasing = table["significant"] & table["direction"].eq("decreasing")
    summary = {
        "by": keys, "period": args.period, "end": (data_end - pd.Timedelta(days=1)).strftime("%Y-%m-%d"),
        "groups": len(table), "increasing": int(increasing.sum()), "decreasing": int(decreasing.sum()),
        "significant_4_weeks": int((table["p_4_weeks"] <= 0.05).sum()),
    }
    if args.format == "json":
        hours = weekday_hour(reports)
        emit({**summary, "rows": json.loads(table.to_json(orient="records", force_ascii=False)),
              "weekday_hour": {day: [int(v) for v in row] for day, row in hours.iterrows()}})
        return 0
    if args.out:
        write_csv(table, args.out, sep=",")
        say(f"{len(table)} séries écrites dans {args.out}")
        emit(summary)
    else:
        write_csv(table, None, sep=",")
        say(json.dumps(summary, ensure_ascii=False))
    return 0


_CLASSES = ("hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99")


def _add_grid_options(parser: argparse.ArgumentParser) -> None:
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--h3-res", type=int, metavar="R", help="résolution H3 des cellules (0–15)")
    size.add_argument("--cell-size", type=float, metavar="M",
                      help="écart en mètres entre cellules voisines (hexagones en Lambert-93)")
    parser.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    parser.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    parser.add_argument("--category", action="append", metavar="C", help="catégorie(s) retenue(s), répétable")
    parser.add_argument("--registre", action="append", metavar="R", help="registre(s) retenu(s), répétable")
    parser.add_argument("--seed", type=int, default=20_240_601, help="graine des permutations")
    parser.add_argument("--out", required=True, metavar="FILE.geojson", help="fichier GeoJSON à écrire")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this group's subcommands to ``python -m geo``."""
    agg = sub.add_parser("aggregate", parents=[common],
                         help="compter les signalements par quartier, catégorie, semaine ou mois")
    agg.add_argument("--by", default="neighbourhood", help="clés : neighbourhood[,category|registre][,week|,month]")
    agg.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    agg.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    agg.add_argument("--format", choices=("csv", "json"), default="csv")
    agg.set_defaults(run=_cmd_aggregate)

    hot = sub.add_parser("hotspots", parents=[common],
                         help="points chauds (Gi* de Getis-Ord, taux de fausses découvertes) sur une grille")
    _add_grid_options(hot)
    hot.add_argument("--permutations", type=int, default=999, help="permutations (défaut 999)")
    hot.set_defaults(run=_cmd_hotspots)

    emer = sub.add_parser("emerging", parents=[common],
                          help="points chauds émergents : Gi* par semaine ou par mois et tendance de Mann-Kendall")
    emer.add_argument("--period", choices=("week", "month"), required=True, help="pas de temps")
    emer.add_argument("--steps", type=int, metavar="N", help="les N dernières périodes (défaut : toutes)")
    _add_grid_options(emer)
    emer.add_argument("--permutations", type=int, default=199, help="permutations par période (défaut 199)")
    emer.set_defaults(run=_cmd_emerging)

    trend = sub.add_parser("trends", parents=[common],
                           help="tendances (Mann-Kendall) par quartier et catégorie, comparaisons de périodes")
    trend.add_argument("--by", default="neighbourhood", help="clés : neighbourhood[,category]")
    trend.add_argument("--period", choices=("week", "month"), default="week", help="pas de temps des séries")
    trend.add_argument("--from", dest="date_from", metavar="DATE", help="première date incluse (AAAA-MM-JJ)")
    trend.add_argument("--to", dest="date_to", metavar="DATE", help="dernière date incluse (AAAA-MM-JJ)")
    trend.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="csv : le tableau (résumé JSON sur la sortie d'erreur, ou dernière ligne avec --out) ; "
                            "json : une ligne avec le résumé, les lignes et le tableau jour × heure")
    trend.add_argument("--out", metavar="FILE.csv", help="écrire le CSV dans ce fichier (résumé JSON en dernier)")
    trend.set_defaults(run=_cmd_trends)
