"""Benchmark the store at scale, on SQLite and on PostgreSQL/PostGIS side by side.

For each size (default 1,000,000 reports; ``--reports 1000000 5000000``):

1. a demo store is built on SQLite (``python -m geo demo``) and its reports exported to an Excel-French CSV;
2. **import**: ``python -m geo import`` of that CSV into a new SQLite store and into a new PostgreSQL database
   (a throwaway PostGIS server on 127.0.0.1, started here), each timed as a whole process;
3. **aggregation by quartier x category x week**:
   - ``python -m geo aggregate --by neighbourhood,category,week`` as a whole process, first run (snapshot
     built) and warm (snapshot there), on each backend — target <= 1.2 s warm on SQLite;
   - the in-process aggregation on the columnar snapshot, warm — target <= 0.05 s;
   - the same counts computed by PostgreSQL on the stored quartier column, and by PostGIS with a spatial join
     (``ST_Contains`` + ``GROUP BY``, GiST indexes), warm (best of 3): our warm path must be >= 5x and >= 20x
     faster;
4. **the data load behind Carte and Accueil** (the snapshot read of the page columns), and the **cold first
   render of Carte** (AppTest in a fresh process, as bench/dashboard.py does) with its peak memory —
   targets <= 2.5 s and <= 600 MB.

Figures are printed; nothing is asserted. Run it alone on the machine (2 cores): other jobs skew every figure,
so the load average is printed at the start and the end.

Usage::

    .venv/bin/python bench/scale.py [--reports 1000000 [5000000]] [--skip-postgres] [--skip-render]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import PYTHON, ROOT, PeakRSS, Timer, git_state, mb

AGG_BY = "neighbourhood,category,week"
WEEK_SQL = ("date_trunc('week', to_timestamp(r.observed_at) AT TIME ZONE 'Europe/Paris')")


def run_geo(url: str, *args: str) -> tuple[float, int, str]:
    """Run ``python -m geo --db URL ARGS``; return seconds, peak RSS and standard output."""
    start = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-m", "geo", "--db", url, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(proc.pid).start()
    out, err = proc.communicate()
    peak.stop()
    if proc.returncode != 0:
        raise SystemExit(f"python -m geo {' '.join(args)} failed: {err[-3000:]}")
    return time.perf_counter() - start, peak.peak, out


def export_csv(url: str, path: Path) -> int:
    """Write the reports of a store as an Excel-French CSV that ``geo import`` reads; return the row count."""
    from geo.export.safe_csv import write_csv
    from geo.store.database import Store

    store = Store(url)
    frame = store.read_reports(columns=["id", "observed_at", "lat", "lon", "category", "severity", "status"])
    out = frame.rename(columns={"id": "identifiant", "category": "categorie", "severity": "gravite",
                                "status": "statut", "lat": "latitude", "lon": "longitude"})
    out["date"] = frame["observed_at"].dt.strftime("%d/%m/%Y %H:%M:%S")
    out = out.drop(columns=["observed_at"])
    write_csv(out, path)
    return len(out)


def postgis_side_by_side(url: str) -> dict:
    """Time the aggregation in PostgreSQL: on the stored quartier column, and by a PostGIS spatial join."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    out: dict = {}
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.exec_driver_sql("ALTER TABLE reports ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326)")
        with Timer() as t:
            conn.exec_driver_sql("UPDATE reports SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
            conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS reports_geom_gist ON reports USING gist (geom)")
            conn.exec_driver_sql("DROP TABLE IF EXISTS quartiers_geo")
            conn.exec_driver_sql("CREATE TABLE quartiers_geo AS SELECT code, "
                                 "ST_SetSRID(ST_GeomFromWKB(geometry_wkb), 4326) AS geom FROM neighbourhoods")
            conn.exec_driver_sql("CREATE INDEX quartiers_geo_gist ON quartiers_geo USING gist (geom)")
            conn.exec_driver_sql("ANALYZE reports")
            conn.exec_driver_sql("ANALYZE quartiers_geo")
        out["postgis_setup_s"] = t.seconds
    queries = {
        "stored_column": f"SELECT r.neighbourhood, r.category, {WEEK_SQL} AS week, count(*) FROM reports r "
                         "GROUP BY 1, 2, 3",
        "spatial_join": f"SELECT q.code, r.category, {WEEK_SQL} AS week, count(*) FROM reports r "
                        "JOIN quartiers_geo q ON ST_Contains(q.geom, r.geom) GROUP BY 1, 2, 3",
    }
    with engine.connect() as conn:
        for name, sql in queries.items():
            times = []
            for _ in range(3):
                with Timer() as t:
                    rows = conn.exec_driver_sql(sql).all()
                times.append(t.seconds)
            out[name] = {"best_s": min(times), "runs_s": times, "groups": len(rows)}
    engine.dispose()
    return out


def in_process_aggregation(url: str) -> dict:
    """Time the snapshot read and the aggregation in this process (cold, then warm best of 5)."""
    from geo.analysis.aggregation import aggregate_reports
    from geo.store.database import Store
    from geo.store.snapshot import ensure_snapshot, load_reports

    store = Store(url)
    with Timer() as build:
        ensure_snapshot(store)
    page_columns = ["id", "observed_at", "lat", "lon", "category", "severity", "status", "neighbourhood"]
    with Timer() as page_load:
        frame = load_reports(store, columns=page_columns)
    territory = store.neighbourhood_table()
    with Timer() as cold:
        aggregate_reports(frame, territory, by=AGG_BY.split(","))
    warm = []
    for _ in range(5):
        with Timer() as t:
            table = aggregate_reports(frame, territory, by=AGG_BY.split(","))
        warm.append(t.seconds)
    return {"snapshot_ensure_s": build.seconds, "page_columns_load_s": page_load.seconds,
            "frame_mb": frame.memory_usage(deep=True).sum() / 1e6, "aggregate_cold_s": cold.seconds,
            "aggregate_warm_best_s": min(warm), "groups": len(table), "reports": int(table["count"].sum())}


def carte_cold_render(url: str) -> dict:
    """Cold first render of Carte in a fresh process (bench/dashboard.py's AppTest worker), then Accueil's."""
    spec = importlib.util.spec_from_file_location("bench_dashboard", Path(__file__).with_name("dashboard.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run_apptest_worker(url, profile=False, cold_only=True)
    cold, accueil = result["cold"], result["accueil"]
    return {"cold_s": cold["seconds"], "cold_cpu_s": cold["cpu_seconds"], "rss_after_carte": cold["rss_after"],
            "accueil_s": accueil["seconds"], "accueil_cpu_s": accueil["cpu_seconds"],
            "rss_after_accueil": accueil["rss_after"], "worker_peak_rss": result["peak_rss"]}


def bench_size(n: int, work: Path, *, postgres: bool, render: bool) -> None:
    print(f"\n== {n:,} reports")
    sqlite_demo = f"sqlite:///{work / f'demo_{n}.sqlite'}"
    seconds, _, _ = run_geo(sqlite_demo, "demo", "--reports", str(n))
    csv_path = work / f"reports_{n}.csv"
    rows = export_csv(sqlite_demo, csv_path)
    print(f"  demo store built in {seconds:.1f} s; CSV of {rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB")

    urls = {"sqlite": f"sqlite:///{work / f'import_{n}.sqlite'}"}
    server_cm = None
    if postgres:
        from tests.postgres_server import missing_postgres, running_postgres

        reason = missing_postgres()
        if reason:
            print(f"  PostgreSQL skipped: {reason}")
        else:
            server_cm = running_postgres()
            server = server_cm.__enter__()
            urls["postgresql"] = server.create_database(f"scale_{n}")
    try:
        for backend, url in urls.items():
            print(f"  -- {backend}")
            demo_url = sqlite_demo if backend == "sqlite" else url
            run_geo(url, "territory", str(ROOT / "data" / "demo_territory.geojson"), "--code", "code",
                    "--name", "name", "--population", "population")
            seconds, peak, out = run_geo(url, "import", str(csv_path), "--id", "identifiant")
            summary = json.loads(out.strip().splitlines()[-1])
            print(f"     import: {seconds:.2f} s, peak RSS {mb(peak)}, stored {summary['stored']:,}")
            first, _, _ = run_geo(url, "aggregate", "--by", AGG_BY, "--format", "json")
            warm = min(run_geo(url, "aggregate", "--by", AGG_BY, "--format", "json")[0] for _ in range(3))
            print(f"     geo aggregate (process): first {first:.2f} s (snapshot built), warm {warm:.2f} s "
                  f"(target <= 1.2 s)")
            inproc = in_process_aggregation(url)
            print(f"     in-process: page columns load {inproc['page_columns_load_s']:.2f} s "
                  f"({inproc['frame_mb']:.0f} MB), aggregate warm {inproc['aggregate_warm_best_s'] * 1000:.1f} ms "
                  f"(target <= 50 ms), cold {inproc['aggregate_cold_s'] * 1000:.0f} ms, "
                  f"{inproc['groups']:,} groups")
            if backend == "postgresql":
                side = postgis_side_by_side(url)
                ours = inproc["aggregate_warm_best_s"]
                for name, target in (("stored_column", 5), ("spatial_join", 20)):
                    best = side[name]["best_s"]
                    print(f"     PostgreSQL {name}: {best:.3f} s warm ({side[name]['groups']:,} groups); ours is "
                          f"{best / ours:.0f}x faster (target >= {target}x)")
                print(f"     (PostGIS geometry + GiST set-up {side['postgis_setup_s']:.1f} s, not counted)")
            if render:
                cold = carte_cold_render(demo_url if backend == "sqlite" else url)
                print(f"     Carte cold first render: {cold['cold_s']:.2f} s, CPU {cold['cold_cpu_s']:.2f} s "
                      f"(target <= 2.5 s); Streamlit (AppTest) process RSS after it "
                      f"{mb(cold['rss_after_carte'])} (target <= 600 MB)")
                print(f"     then Accueil's first render: {cold['accueil_s']:.2f} s, "
                      f"CPU {cold['accueil_cpu_s']:.2f} s; RSS after it {mb(cold['rss_after_accueil'])}; "
                      f"peak {mb(cold['worker_peak_rss'])}")
    finally:
        if server_cm is not None:
            server_cm.__exit__(None, None, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-render", action="store_true")
    args = parser.parse_args(argv)
    print(f"code: {git_state()}   cores: {os.cpu_count()}   load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="veille-scale-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        for n in args.reports:
            bench_size(n, work, postgres=not args.skip_postgres, render=not args.skip_render)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (2 cores; other jobs skew every figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
