"""Benchmark the store at scale, on SQLite and on PostgreSQL/PostGIS side by side.

For each size (default 1,000,000 reports; ``--reports 1000000 5000000``):

1. a demo store is built on SQLite (``python -m geo demo``) and its reports exported to an Excel-French CSV;
2. **import**: ``python -m geo import`` of that CSV into a new SQLite store and into a new PostgreSQL database
   (a throwaway PostGIS server on 127.0.0.1, started here), each timed as a whole process;
3. **aggregation by quartier x category x week**:
   - ``python -m geo aggregate --by neighbourhood,category,week`` as a whole process, first run (snapshot
     built) and warm (snapshot there), on each backend — target <= 1.2 s warm on SQLite;
   - the in-process aggregation on the columnar snapshot, warm — target <= 0.05 s;
   - side by side, warm, in the same run: (a) PostGIS with a spatial join (``ST_Contains`` + ``GROUP BY`` on
     the GiST-indexed point and polygon columns), (b) PostgreSQL ``GROUP BY`` on the stored quartier column,
     (c) our in-process path (snapshot + bincount, as ``geo aggregate``); best of 3 for (a) and (b), JIT on and
     off; the ratios a/c (target >= 20x) and b/c (target >= 5x) are printed, and the three are checked to give
     the same counts (geo.analysis.database_counts) -- the one assertion of this bench;
4. **the data load behind Carte and Accueil** (the snapshot read of the page columns), and the **cold first
   render of Carte** (AppTest in a fresh process, as bench/dashboard.py does) with its peak memory —
   targets <= 2.5 s and <= 600 MB.

Figures are printed; only the agreement of the three aggregation paths is asserted. Run it alone on the machine
(2 cores): other jobs skew every figure, so the load average is printed at the start and the end.

Usage::

    .venv/bin/python bench/scale.py [--reports 1000000 [5000000]] [--skip-postgres] [--skip-render]
        [--skip-sqlite] [--work DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import PYTHON, ROOT, PeakRSS, Timer, git_state, mb

if TYPE_CHECKING:
    import pandas as pd

AGG_BY = "neighbourhood,category,week"


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


def postgis_side_by_side(url: str, ours: pd.DataFrame) -> dict:
    """Time the aggregation done by PostgreSQL: (a) a PostGIS spatial join, (b) a GROUP BY on the stored quartier.

    (a) joins the report points with the quartier polygons (``ST_Contains``, the GiST-indexed generated columns of
    geo.store.postgis_schema); (b) groups on the quartier stored at import. Each is timed warm, best of 3, with
    PostgreSQL's JIT on (its default) and off, keeping the faster: the ratios to our path are the least flattering.
    Both are checked against ``ours`` (the in-process table, :func:`counts_in_process`): the same counts, the
    spatial join less the reports outside every quartier. Raises SystemExit when they differ.
    """

    from geo.analysis.aggregation import OUTSIDE
    from geo.analysis.database_counts import counts_by_spatial_join, counts_by_stored_column, same_counts
    from geo.store.database import Store

    store = Store(url)  # brings an older store's schema (and its PostGIS geometries) up to date
    out: dict = {}
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE reports")
        conn.exec_driver_sql("ANALYZE neighbourhoods")
        conn.commit()
        for name, count in (("spatial_join", counts_by_spatial_join), ("stored_column", counts_by_stored_column)):
            times = {}
            for jit in ("on", "off"):
                conn.exec_driver_sql(f"SET jit = {jit}")
                runs = []
                for _ in range(3):
                    with Timer() as t:
                        table = count(conn)
                    runs.append(t.seconds)
                times[jit] = runs
            expected = ours if name == "stored_column" else ours[ours["neighbourhood"] != OUTSIDE]
            if not same_counts(table, expected):
                raise SystemExit(f"PostgreSQL's {name} counts differ from the in-process ones: "
                                 f"{int(table['count'].sum()):,} reports in {len(table):,} groups against "
                                 f"{int(expected['count'].sum()):,} in {len(expected):,}")
            out[name] = {"best_s": min(min(r) for r in times.values()), "runs_s": times, "groups": len(table),
                         "reports": int(table["count"].sum())}
        out["gist_indexes"] = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_indexes WHERE indexdef ILIKE %s", ("%USING gist (geom)%",)).scalar()
    store.engine.dispose()
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
            "aggregate_warm_best_s": min(warm), "groups": len(table), "reports": int(table["count"].sum()),
            "table": table}


def snapshot_ready(url: str) -> bool:
    """Return whether the snapshot of the store's current data version is already written."""
    from geo.store.database import Store
    from geo.store.snapshot import snapshot_dir
    from geo.store.snapshot_files import snapshot_path

    store = Store(url)
    try:
        return snapshot_path(snapshot_dir(store), store.data_version()).exists()
    finally:
        store.engine.dispose()


def forget_version_files(url: str) -> None:
    """Remove the snapshot and the mapped page columns of the store's current data version, as a write would.

    After a write the new data version has neither: the first page load waits for the child that builds both.
    Removing them measures that wait without changing the store's data.
    """
    from geo.store.database import Store
    from geo.store.snapshot import snapshot_dir
    from geo.store.snapshot_files import PREFIX

    store = Store(url)
    try:
        folder, version = snapshot_dir(store), store.data_version()
    finally:
        store.engine.dispose()
    for path in folder.glob(f"{PREFIX}{version}.*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def record_field_report(url: str) -> None:
    """Record one field report (the everyday write), in a child process: the store is not held by this one."""
    code = ("import sys, pandas as pd\n"
            "from geo.store.database import Store\n"
            "from geo.ingest.entry import FieldEntry, record_report\n"
            "from geo.settings import DATA_DIR\n"
            "from geo.taxonomy import load_taxonomy\n"
            "store, now = Store(sys.argv[1]), pd.Timestamp.now(tz='Europe/Paris')\n"
            "entry = FieldEntry(lat=47.3220, lon=5.0415, category='tags', observed_at=now, author='bench')\n"
            "result = record_report(store, entry, taxonomy=load_taxonomy(DATA_DIR / 'taxonomy.json'), now=now)\n"
            "assert not result.errors, result.errors\n")
    subprocess.run([PYTHON, "-c", code, url], cwd=ROOT, check=True, capture_output=True, text=True)


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


def repeat_csv(base: Path, out: Path, n: int) -> int:
    """Write ``n`` data rows: the rows of ``base`` over and over, copy ``k`` with identifiers suffixed ``~k``.

    Same places, categories and dates, so every quartier x category x week count is a multiple of the base
    file's; the identifiers are new, so nothing is recognised as a duplicate on import.
    """
    lines = base.read_text(encoding="utf-8-sig").splitlines()
    header, body = lines[0], lines[1:]
    written = 0
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(header + "\r\n")
        copy = 0
        while written < n:
            take = body[: n - written]
            if copy == 0:
                handle.write("\r\n".join(take) + "\r\n")
            else:
                handle.write("\r\n".join(f"{ident}~{copy};{rest}" for ident, _, rest in
                                            (line.partition(";") for line in take)) + "\r\n")
            written += len(take)
            copy += 1
    return written


def bench_size(n: int, work: Path, *, postgres: bool, render: bool, sqlite: bool = True) -> None:
    print(f"\n== {n:,} reports")
    sqlite_demo = f"sqlite:///{work / f'demo_{n}.sqlite'}"
    csv_path = work / f"reports_{n}.csv"
    smaller = sorted((m, path) for path in work.glob("reports_*.csv")
                     if (m := int(path.stem.split("_")[1])) < n and (work / f"demo_{m}.sqlite").exists())
    if csv_path.exists():  # kept by an earlier run with --work
        print(f"  reusing {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
    elif smaller:  # a demo store of 5M takes about 50 minutes to build: repeat a smaller size's file instead
        m, base = smaller[-1]
        rows = repeat_csv(base, csv_path, n)
        print(f"  CSV of {rows:,} rows built by repeating {base.name} under new identifiers, "
              f"{csv_path.stat().st_size / 1e6:.0f} MB (its Carte render reads the imported store)")
    else:
        seconds, _, _ = run_geo(sqlite_demo, "demo", "--reports", str(n))
        rows = export_csv(sqlite_demo, csv_path)
        print(f"  demo store built in {seconds:.1f} s; CSV of {rows:,} rows, {csv_path.stat().st_size / 1e6:.0f} MB")
    for stale in work.glob(f"import_{n}.sqlite*"):  # every run imports into a new store (and snapshots)
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()

    urls = {"sqlite": f"sqlite:///{work / f'import_{n}.sqlite'}"} if sqlite else {}
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
            # Carte renders the demo store (teams, follow-ups) where one was built for this size
            demo_url = sqlite_demo if backend == "sqlite" and (work / f"demo_{n}.sqlite").exists() else url
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
                from geo.analysis.database_counts import counts_in_process

                side = postgis_side_by_side(url, counts_in_process(inproc["table"]))
                ours = inproc["aggregate_warm_best_s"]
                print(f"     side by side, warm (same counts checked; {side['gist_indexes']} GiST indexes):")
                print(f"       (c) ours, snapshot + bincount: {ours * 1000:.1f} ms")
                for letter, name, target in (("a", "spatial_join", 20), ("b", "stored_column", 5)):
                    best = side[name]["best_s"]
                    label = ("PostGIS ST_Contains join + GROUP BY" if name == "spatial_join"
                             else "PostgreSQL GROUP BY on the stored quartier")
                    print(f"       ({letter}) {label}: {best:.3f} s ({side[name]['groups']:,} groups, "
                          f"{side[name]['reports']:,} reports); {letter}/c = {best / ours:.0f}x (target >= {target}x)")
            if render:
                # after a field report (one new report: on SQLite the previous snapshot is brought up to date),
                # after a write seen as a whole (neither the snapshot nor the page columns of this data version
                # exist: removed), then after a restart of the app (both on disk), each in a fresh process
                for when in ("after a field report", "after a write", "after a restart"):
                    if when == "after a write":
                        forget_version_files(demo_url)
                    if when == "after a field report":
                        record_field_report(demo_url)
                    built = snapshot_ready(demo_url)
                    cold = carte_cold_render(demo_url)
                    found = ("snapshot there" if built else
                             "previous snapshot brought up to date, page columns built, by one child"
                             if when == "after a field report" else
                             "snapshot read in full and page columns built, by one child")
                    print(f"     Carte cold first render, {when} ({found}): {cold['cold_s']:.2f} s, "
                          f"CPU {cold['cold_cpu_s']:.2f} s (target <= 2.5 s; a child's CPU is not counted); "
                          f"Streamlit (AppTest) process RSS after it {mb(cold['rss_after_carte'])} (target <= 600 MB)")
                    print(f"       then Accueil's first render: {cold['accueil_s']:.2f} s, "
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
    parser.add_argument("--skip-sqlite", action="store_true", help="measure the PostgreSQL store only")
    parser.add_argument("--work", type=Path, help="keep the demo stores and CSVs here, and reuse them")
    args = parser.parse_args(argv)
    print(f"code: {git_state()}   cores: {os.cpu_count()}   load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="veille-scale-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        os.chmod(work, 0o755)
        for n in args.reports:
            bench_size(n, work, postgres=not args.skip_postgres, render=not args.skip_render,
                       sqlite=not args.skip_sqlite)
    print(f"\nload average at the end: {os.getloadavg()} (2 cores; other jobs skew every figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
