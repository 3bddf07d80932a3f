"""Benchmark the neighbourhood assignment of a large import on PostGIS: in Python before staging, or in the database.

On a PostgreSQL/PostGIS store (a throwaway server on 127.0.0.1, started here), the same CSV of N reports
(default 1,000,000, the one ``bench/scale.py --work DIR`` writes; built here the same way when missing) is
imported as a whole ``python -m geo import`` process, into a new database each time:

- ``python``: the neighbourhoods assigned in the validation workers (shapely), as on SQLite;
- ``database``: points inside the territory's bounds left to PostGIS, one ``UPDATE … ST_Intersects`` per
  staged chunk after its ``COPY`` (:func:`geo.store.spatial_assignment.assign_staged`);
- ``no-geometry``: the ``python`` path into a store without the PostGIS point column and its GiST index
  (what every import cost before them).

It then checks that ``python`` and ``database`` stored the same neighbourhood for every report id and the same
import counts, and times the two assignments alone: ``assign_neighbourhoods`` on the N points in this process,
and ``assign_staged`` on a temporary table of them. Figures are printed; the load average is printed at the start
and the end (2 shared cores: other jobs skew every figure).

Usage::

    .venv/bin/python bench/postgis.py [--reports 1000000] [--work /work/scratch-postgis] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import PYTHON, ROOT, PeakRSS, Timer, git_state, mb

_IMPORT = """
import sys
import geo.ingest.territory as territory
territory.DATABASE_ASSIGNMENT_MIN_BYTES = {threshold}
from geo.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def csv_file(n: int, work: Path) -> Path:
    """Return the CSV of ``n`` demo reports in ``work``, writing it as ``bench/scale.py`` does if missing."""
    from scale import export_csv, run_geo

    path = work / f"reports_{n}.csv"
    if not path.exists():
        demo = f"sqlite:///{work / f'demo_{n}.sqlite'}"
        run_geo(demo, "demo", "--reports", str(n))
        export_csv(demo, path)
    return path


def import_once(url: str, csv_path: Path, *, in_database: bool) -> tuple[float, int, dict]:
    """Import ``csv_path`` into ``url`` in a new process; return seconds, peak RSS and the summary."""
    subprocess.run([PYTHON, "-m", "geo", "--db", url, "territory", str(ROOT / "data" / "demo_territory.geojson"),
                    "--code", "code", "--name", "name", "--population", "population"], cwd=ROOT, check=True,
                   capture_output=True)
    code = _IMPORT.format(threshold=0 if in_database else None)
    start = time.perf_counter()
    proc = subprocess.Popen([PYTHON, "-c", code, "--db", url, "import", str(csv_path), "--id", "identifiant"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = PeakRSS(proc.pid).start()
    out, err = proc.communicate()
    peak.stop()
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {err[-3000:]}")
    return time.perf_counter() - start, peak.peak, json.loads(out.strip().splitlines()[-1])


def assignments_alone(url: str, n: int) -> dict:
    """Time each assignment alone on the stored points: shapely in this process, PostGIS on a temporary table."""
    import sqlalchemy as sa

    from geo.ingest.territory import assign_neighbourhoods
    from geo.store.database import Store
    from geo.store.spatial_assignment import assign_staged

    store = Store(url)
    territory = store.load_territory()
    frame = store.read_reports(columns=["lon", "lat"])
    with Timer() as python:
        assign_neighbourhoods(frame["lon"].to_numpy(), frame["lat"].to_numpy(), territory)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE pts ON COMMIT DROP AS "
                             "SELECT lon, lat, NULL::varchar(64) AS neighbourhood FROM reports")
        conn.exec_driver_sql("ANALYZE pts")
        with Timer() as database:
            assigned = assign_staged(conn, "pts")
        conn.execute(sa.text("SELECT 1"))
    return {"python_s": python.seconds, "database_s": database.seconds, "points": len(frame),
            "assigned_by_database": assigned}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/work/scratch-postgis"))
    parser.add_argument("--runs", type=int, default=1, help="imports per path (alternated)")
    args = parser.parse_args(argv)
    from tests.postgres_server import missing_postgres, running_postgres

    reason = missing_postgres()
    if reason:
        raise SystemExit(f"PostgreSQL/PostGIS needed: {reason}")
    print(f"code: {git_state()}   cores: {os.cpu_count()}   load average: {os.getloadavg()}")
    args.work.mkdir(parents=True, exist_ok=True)
    csv_path = csv_file(args.reports, args.work)
    print(f"CSV: {csv_path} ({csv_path.stat().st_size / 1e6:.0f} MB)")
    import pandas as pd
    import sqlalchemy as sa

    from geo.store.database import Store

    times: dict[str, list[float]] = {"python": [], "database": [], "no-geometry": []}
    summaries: dict[str, dict] = {}
    urls: dict[str, str] = {}
    with running_postgres() as server:
        for run in range(args.runs):
            for path in ("python", "database", "no-geometry"):
                url = server.create_database(f"assign_{path.replace('-', '_')}_{run}")
                if path == "no-geometry":
                    store = Store(url)
                    with store.engine.begin() as conn:
                        for table in ("reports", "neighbourhoods"):
                            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN geom")
                    store.engine.dispose()
                seconds, peak, summary = import_once(url, csv_path, in_database=path == "database")
                times[path].append(seconds)
                summaries[path], urls[path] = summary, url
                print(f"  {path:12s} import: {seconds:6.2f} s, peak RSS {mb(peak)}, stored {summary['stored']:,}, "
                      f"outside {summary['outside_territory']:,}   (load {os.getloadavg()[0]:.1f})", flush=True)
        frames = {}
        for path in ("python", "database"):
            engine = sa.create_engine(urls[path])
            with engine.connect() as conn:
                frames[path] = pd.DataFrame(conn.exec_driver_sql("SELECT id, neighbourhood FROM reports").all(),
                                            columns=["id", "neighbourhood"]).set_index("id").sort_index()
            engine.dispose()
        same = frames["python"].equals(frames["database"])
        keys = ("read", "stored", "duplicates", "quarantined", "outside_territory", "swapped_coordinates")
        same_counts = all(summaries["python"][k] == summaries["database"][k] for k in keys)
        print(f"same neighbourhood for every report id: {same}; same import counts: {same_counts}")
        if not (same and same_counts):
            raise SystemExit("the two assignment paths disagree")
        alone = assignments_alone(urls["python"], args.reports)
        print(f"assignment alone on {alone['points']:,} points: shapely in process {alone['python_s']:.2f} s, "
              f"PostGIS UPDATE on a temporary table {alone['database_s']:.2f} s")
    best = {k: min(v) for k, v in times.items()}
    print(f"best import: python {best['python']:.2f} s, database {best['database']:.2f} s, "
          f"no geometry column (before) {best['no-geometry']:.2f} s")
    print(f"load average at the end: {os.getloadavg()} (2 cores; other jobs skew every figure)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
