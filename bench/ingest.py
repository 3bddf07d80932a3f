"""Benchmark ``python -m geo import`` on a large French Excel-style CSV.

Generates N rows (default 1,000,000) the way a mediation team's spreadsheet exports them (``;``, decimal
comma, ``jj/mm/aaaa hh:mm``, cp1252, labels from ``data/taxonomy.json`` with a few unknown ones, free-text
comments, ~2 % of bad rows and a few swapped coordinates and repeated rows), installs the demo territory in
a fresh SQLite store and imports the file:

1. ``python -m geo import`` in a subprocess: wall time, rows/s, peak RSS (psutil sampling of the child,
   cross-checked with the child's ``ru_maxrss`` from ``os.wait4``), the JSON summary;
2. ``geo.ingest.importer.import_file`` in a fresh process (start-up and module imports left out): its two phases
   (reading + validating + staging in worker processes, then the store transaction), the CPU time of
   the process and of its workers, and the time of each step run in the process itself;
3. once more under a profiler (pyinstrument if installed, else cProfile), validating in-process so that
   the profile sums all the CPU work: top self-time functions; the full reports go to
   ``bench/out/ingest_profile.{txt,html}``.

Every figure is printed; nothing is asserted. Targets: import <= 10 s, peak <= 2 GB (2 cores).

Usage::

    .venv/bin/python bench/ingest.py [--rows 1000000] [--out export.csv] [--keep] [--no-profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    OUT_DIR,
    PYTHON,
    ROOT,
    PeakRSS,
    Timer,
    git_state,
    make_profiler,
    maxrss_bytes,
    mb,
    time_calls,
)

HEADER = ["Date observation", "Catégorie", "Latitude", "Longitude", "Commentaire", "Équipe", "Gravité", "Statut",
          "Médiateur"]
UNKNOWN_LABELS = ["Chien errant", "Nuisances pigeons", "Stationnement gênant", "Rassemblement bruyant", "",
                  "Divers"]
TEAMS = ["Équipe Nord", "Équipe Sud", "Équipe Est", "Équipe Ouest", "Équipe Centre", ""]
SEVERITIES = ["", "", "", "1", "2", "3", "gêne", "à traiter", "Danger", "2"]
STATUSES = ["", "Nouveau", "nouveau", "Transmis au partenaire", "Pris en charge", "pris_en_charge", "Résolu",
            "Clos sans suite"]
MEDIATORS = ["A. Benali", "C. Dupont", "M. Nguyen", "S. Traoré", "L. Martin", "É. Lefèvre", "Y. Haddad", ""]
_SUBJECTS = ["Encombrants", "Tag", "Lampadaire éteint", "Trou profond", "Banc cassé", "Porte d’immeuble forcée",
             "Ascenseur en panne", "Dépôt sauvage", "Rassemblement", "Conflit de voisinage", "Aire de jeux abîmée",
             "Abribus vandalisé", "Odeur de gaz signalée", "Jeunes inquiets", "Personne isolée"]
_PLACES = ["rue d’Auxonne", "bd des Martyrs de la Résistance", "place de la République", "av. du Lac",
           "rue de Mirande", "allée du Belvédère", "parc de la Colombière", "quai Nicolas Rolin",
           "rue Jean-Baptiste Peincedé", "hall B, bât. 12", "arrêt Grésilles", "cœur de quartier"]
_EXTRAS = ["", "", "", " ; à revoir demain", ", signalé par un habitant", " — relancé le bailleur",
           " (déjà vu la semaine dernière)", ", danger vélo", " \"urgent\" selon la gardienne", ", photos prises"]


# --------------------------------------------------------------------------------------------------
# CSV generation
# --------------------------------------------------------------------------------------------------
def _category_labels() -> tuple[list[str], list[float]]:
    """Return labels as people write them (label, synonyms, code, other cases) and their weights."""
    doc = json.loads((ROOT / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    labels: list[str] = []
    weights: list[float] = []
    for cat in doc["categories"]:
        names = [cat["label"], *cat.get("synonyms", ()), cat["code"]]
        variants = names + [n.capitalize() for n in names[:3]] + [n.upper() for n in names[:1]]
        share = 1.0 / len(variants)
        labels += variants
        weights += [share] * len(variants)
    return labels, weights


def generate_csv(path: Path, rows: int, *, seed: int = 2026, encoding: str = "cp1252") -> dict:
    """Write ``rows`` report rows (plus a header) to ``path``; return what was planted."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from geo.demo.territory import build_demo_territory

    rng = np.random.default_rng(seed)
    territory = build_demo_territory()
    centres = territory.geometry.representative_point()
    weights = territory["population"].to_numpy(dtype=float)
    weights /= weights.sum()

    def take(values: list[str], idx: np.ndarray) -> pa.Array:
        return pa.array(values).take(pa.array(idx))

    # positions: around the quartiers' centres (~600 m), so that a few % fall outside the territory
    which = rng.choice(len(centres), size=rows, p=weights)
    lat = centres.y.to_numpy()[which] + rng.normal(0, 0.0055, rows)
    lon = centres.x.to_numpy()[which] + rng.normal(0, 0.008, rows)

    def decimal_comma(values: np.ndarray, decimals: int) -> pa.Array:
        text = pc.cast(pa.array(np.round(values, decimals)), pa.string())
        return pc.replace_substring(text, ".", ",")

    lat_text = decimal_comma(lat, 6).to_pylist()
    lon_text = decimal_comma(lon, 6).to_pylist()

    # times: the last two years, local wall-clock times as typed in Excel
    now = pd.Timestamp.now(tz="Europe/Paris").tz_localize(None).floor("min")
    minutes = rng.integers(60, 2 * 365 * 24 * 60, rows)
    stamps = pa.array((np.datetime64(now.to_datetime64(), "m") - minutes.astype("timedelta64[m]"))
                      .astype("datetime64[s]"))
    date_text = pc.strftime(stamps, format="%d/%m/%Y %H:%M").to_pylist()

    labels, label_weights = _category_labels()
    label_p = np.asarray(label_weights) / np.sum(label_weights)
    category_text = take(labels, rng.choice(len(labels), size=rows, p=label_p)).to_pylist()

    descriptions = [f"{s} {p}{e}" for s in _SUBJECTS for p in _PLACES for e in _EXTRAS]
    desc_idx = rng.integers(0, len(descriptions), rows)
    has_desc = rng.random(rows) < 0.7
    desc_text = [d if keep else "" for d, keep in zip(take(descriptions, desc_idx).to_pylist(), has_desc,
                                                       strict=True)]
    team_text = take(TEAMS, rng.integers(0, len(TEAMS), rows)).to_pylist()
    severity_text = take(SEVERITIES, rng.integers(0, len(SEVERITIES), rows)).to_pylist()
    status_text = take(STATUSES, rng.integers(0, len(STATUSES), rows)).to_pylist()
    author_text = take(MEDIATORS, rng.integers(0, len(MEDIATORS), rows)).to_pylist()

    # planted problems, each on distinct random rows
    order = rng.permutation(rows)
    planted: dict[str, int] = {}
    cursor = 0

    def pick(name: str, share: float) -> np.ndarray:
        nonlocal cursor
        count = round(rows * share)
        chosen = order[cursor:cursor + count]
        cursor += count
        planted[name] = count
        return chosen

    for i in pick("unknown_category", 0.008):
        category_text[i] = UNKNOWN_LABELS[i % len(UNKNOWN_LABELS)]
    for i in pick("bad:empty_coordinate", 0.004):
        if i % 2:
            lat_text[i] = ""
        else:
            lon_text[i] = ""
    for i in pick("bad:non_numeric_coordinate", 0.003):
        lat_text[i] = ("47,3x", "N/A", "47°19'N")[i % 3]
    for i in pick("bad:out_of_range", 0.001):
        lat_text[i] = "147,32"
    for i in pick("bad:zero_zero", 0.001):
        lat_text[i], lon_text[i] = "0", "0"
    for i in pick("bad:unreadable_date", 0.004):
        date_text[i] = ("31/02/2026 10:00", "hier soir", "2026-13-45", "25/11/26h30")[i % 4]
    for i in pick("bad:empty_date", 0.002):
        date_text[i] = ""
    for i in pick("bad:future_date", 0.002):
        date_text[i] = (now + pd.Timedelta(days=400)).strftime("%d/%m/%Y %H:%M")
    for i in pick("bad:before_2000", 0.002):
        date_text[i] = "12/05/1999 10:00"
    for i in pick("bad:unknown_severity", 0.002):
        severity_text[i] = "très grave"
    for i in pick("swapped_coordinates", 0.003):
        lat_text[i], lon_text[i] = lon_text[i], lat_text[i]
    copies = pick("repeated_rows", 0.002)
    sources = order[cursor:cursor + len(copies)]  # rows left intact, copied over the chosen ones
    for target, source in zip(copies, sources, strict=True):
        for column in (date_text, category_text, lat_text, lon_text, desc_text):
            column[target] = column[source]
    planted["bad_rows_total"] = sum(v for k, v in planted.items() if k.startswith("bad:"))

    frame = pd.DataFrame({
        HEADER[0]: date_text, HEADER[1]: category_text, HEADER[2]: lat_text, HEADER[3]: lon_text,
        HEADER[4]: desc_text, HEADER[5]: team_text, HEADER[6]: severity_text, HEADER[7]: status_text,
        HEADER[8]: author_text,
    })
    # Excel's "CSV (séparateur : point-virgule)": cp1252, CRLF, quotes only where needed
    frame.to_csv(path, sep=";", index=False, encoding=encoding, lineterminator="\r\n")
    return planted


# --------------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------------
ROUTES = True  # --no-routes: no partner registry in the fresh stores


def fresh_store(path: Path) -> str:
    """Create an SQLite store at ``path`` with the demo territory (and partner registry) installed; return its URL.

    With the demo partners and routing table (``data/partners.csv``, ``data/routing.csv``), as a structure's
    store has them, the import routes every report to its partner: that work is measured too.
    """
    from geo.demo.build import DEMO_PARTNERS, DEMO_ROUTING
    from geo.demo.territory import DEMO_TERRITORY_NOTE, build_demo_territory
    from geo.ingest.territory import install_territory
    from geo.settings import load_settings
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy
    from geo.workflow.routing import load_registry_files

    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    store = Store(url)
    install_territory(store, build_demo_territory(), source_name="demo: " + DEMO_TERRITORY_NOTE)
    if ROUTES:
        load_registry_files(store, DEMO_PARTNERS, DEMO_ROUTING,
                            taxonomy=load_taxonomy(load_settings(db_url=url).taxonomy_path))
    store.engine.dispose()
    return url


# --------------------------------------------------------------------------------------------------
# Worker: import_file in a clean process, with a step breakdown or under a profiler
# --------------------------------------------------------------------------------------------------
READING = "reading CSV chunks (pandas read_csv)"
_STEP_TARGETS = [
    # (module attribute, label); wrapped only if present (geo/ is being edited concurrently)
    ("geo.ingest.importer:open_source", "open_source (encoding detection + sha256)"),
    ("geo.ingest.importer:detect_mapping", "detect_mapping"),
    ("geo.ingest.importer:prepare_rows", "prepare_rows (validation, total)"),
    ("geo.ingest.importer:_coordinates", "  _coordinates (decimal comma -> float)"),
    ("geo.ingest.importer:_place", "  _place (assign_neighbourhoods + swaps)"),
    ("geo.ingest.importer:assign_neighbourhoods", "    assign_neighbourhoods"),
    ("geo.ingest.importer:_times", "  _times (parse_times + checks)"),
    ("geo.ingest.importer:parse_times", "    parse_times"),
    ("geo.taxonomy:Taxonomy.match_categories", "  Taxonomy.match_categories"),
    ("geo.taxonomy:Taxonomy.parse_severity", "  Taxonomy.parse_severity"),
    ("geo.taxonomy:Taxonomy.parse_status", "  Taxonomy.parse_status"),
    ("geo.ingest.importer:raw_rows_json", "  raw_rows_json (row -> JSON text)"),
    ("geo.ingest.importer:_Reasons.grouped", "  _Reasons.grouped (quarantine reasons)"),
    ("geo.ingest.importer:_content_ids", "  _content_ids (hash ids)"),
    ("geo.ingest.importer:_optional", "  _optional (text columns)"),
    ("geo.store.staging:StageWriter.write", "StageWriter.write (Arrow -> staging file)"),
    ("geo.store.database:Store.begin_batch", "Store.begin_batch (the store transaction starts)"),
    ("geo.store.database:Store.load_staged", "Store.load_staged (INSERT … SELECT from staging)"),
    ("geo.store.database:Store.finish_batch", "Store.finish_batch"),
    ("geo.store.database:Store.load_territory", "Store.load_territory"),
    ("geo.ingest.importer:compress_file", "compress_file (keep the file, zlib)"),
    ("geo.store.database:Store.insert_source_parts", "Store.insert_source_parts"),
]


def _thread_tag() -> str:
    """``main`` or ``worker``: import_file compresses the file in a thread while it reads and loads."""
    import threading

    return "main" if threading.current_thread() is threading.main_thread() else "worker"


def _wrap_steps() -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)

    def record(label: str, seconds: float) -> None:
        times[f"{_thread_tag()}|{label}"].append(seconds)

    for target, label in _STEP_TARGETS:
        time_calls(target, label, record)
    return times


def _timed_chunks(source_chunks, times):
    iterator = iter(source_chunks)
    while True:
        start = time.perf_counter()
        label = f"{_thread_tag()}|{READING}"
        try:
            chunk = next(iterator)
        except StopIteration:
            times[label].append(time.perf_counter() - start)
            return
        times[label].append(time.perf_counter() - start)
        yield chunk


def worker(mode: str, csv_path: str, db_url: str, chunk_rows: int | None) -> None:
    """Import ``csv_path`` into ``db_url`` in this process; print one JSON line of results."""
    t0 = time.perf_counter()
    from geo.ingest import importer as ingest
    from geo.settings import load_settings
    from geo.store.database import Store
    from geo.taxonomy import load_taxonomy

    import_seconds = time.perf_counter() - t0
    settings = load_settings(db_url=db_url)
    store = Store(db_url)
    taxonomy = load_taxonomy(settings.taxonomy_path)
    options = ingest.ImportOptions(timezone=settings.timezone)
    kwargs = {"chunk_rows": chunk_rows} if chunk_rows else {}
    result: dict = {"module_import_seconds": import_seconds}
    if mode == "steps":
        times = _wrap_steps()
        original_open = ingest.open_source

        def open_timed(*a, **k):
            source = original_open(*a, **k)
            source.chunks = _timed_chunks(source.chunks, times)
            return source

        ingest.open_source = open_timed
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu0, children0 = _cpu(), _cpu(resource.RUSAGE_CHILDREN)
        transaction_start: list[float] = []
        begin_batch = Store.begin_batch

        def marked_begin_batch(self, *a, **k):
            transaction_start.append(time.perf_counter())
            return begin_batch(self, *a, **k)

        Store.begin_batch = marked_begin_batch
        with PeakRSS() as peak, Timer() as t:
            summary = ingest.import_file(store, csv_path, taxonomy=taxonomy, options=options, **kwargs)
        result.update(seconds=t.seconds, cpu_seconds=_cpu() - cpu0,
                      children_cpu_seconds=_cpu(resource.RUSAGE_CHILDREN) - children0,
                      validation_seconds=transaction_start[0] - t.start, peak_rss=peak.peak,
                      ru_maxrss=maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
                      rss_before=maxrss_bytes(baseline), summary=summary.counts(),
                      steps={k: [sum(v), len(v)] for k, v in times.items()})
    else:
        # pyinstrument and cProfile see one thread of one process: validate in this process and run
        # import_file's thread pool inline, so that the profile sums all the CPU work, not the overlap
        ingest.ThreadPoolExecutor = _InlineExecutor
        kwargs["workers"] = 0
        kind, start, stop = make_profiler()
        start()
        with Timer() as t:
            summary = ingest.import_file(store, csv_path, taxonomy=taxonomy, options=options, **kwargs)
        hotspots = stop(OUT_DIR / "ingest_profile")
        result.update(seconds=t.seconds, profiler=kind, hotspots=hotspots, summary=summary.counts())
    print(json.dumps(result, ensure_ascii=False, default=str))


class _InlineExecutor:
    """A ThreadPoolExecutor stand-in that runs each task at once in the calling thread."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self) -> _InlineExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import Future

        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, *args, **kwargs) -> None:
        return None


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_worker(mode: str, csv_path: Path, db_url: str, chunk_rows: int | None) -> dict:
    cmd = [PYTHON, __file__, "--worker", mode, "--csv", str(csv_path), "--db", db_url]
    if chunk_rows:
        cmd += ["--chunk-rows", str(chunk_rows)]
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(f"worker {mode} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------
def run_cli(csv_path: Path, db_url: str) -> dict:
    """Run ``python -m geo import`` as a subprocess; measure wall time and peak memory."""
    env = {**os.environ, "VEILLE_DB_URL": db_url, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-m", "geo", "import", str(csv_path)], cwd=ROOT, env=env,
                                stdout=out, stderr=err, text=True)
        peak = PeakRSS(proc.pid).start()
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (ru_maxrss in kB)
        seconds = time.perf_counter() - start
        peak.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        print(stderr, file=sys.stderr)
        raise SystemExit(f"python -m geo import failed ({proc.returncode})")
    return {"seconds": seconds, "peak_rss": peak.peak, "ru_maxrss": maxrss_bytes(usage.ru_maxrss),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "summary": json.loads(stdout.strip().splitlines()[-1]),
            "stderr": [line for line in stderr.splitlines() if line.strip()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, help="write the CSV here (kept) instead of a temporary folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (CSV and stores)")
    parser.add_argument("--reuse", action="store_true", help="with --out: reuse the CSV if it already exists")
    parser.add_argument("--encoding", default="cp1252", choices=["cp1252", "utf-8-sig", "utf-8"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--chunk-rows", type=int, help="pass chunk_rows to import_file (worker runs only)")
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process run (step times)")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled run")
    parser.add_argument("--no-routes", action="store_true",
                        help="no partner registry in the fresh stores (the import then routes nothing)")
    parser.add_argument("--worker", choices=["steps", "profile", "generate"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "generate":
        planted = generate_csv(Path(args.csv), args.rows, seed=args.seed, encoding=args.encoding)
        print(json.dumps(planted))
        return 0
    if args.worker:
        worker(args.worker, args.csv, args.db, args.chunk_rows)
        return 0

    global ROUTES  # noqa: PLW0603 - a script's option
    ROUTES = not args.no_routes
    tmp = Path(tempfile.mkdtemp(prefix="veille-bench-ingest-"))
    try:
        csv_path = args.out or tmp / "signalements_export.csv"
        print(f"code: {git_state()}   cores: {os.cpu_count()}   python: {sys.version.split()[0]}   "
              f"load average: {os.getloadavg()[0]:.2f}")
        if args.reuse and csv_path.exists():
            print(f"CSV reused: {csv_path}")
            planted = None
        else:
            with Timer() as t:
                # in a child process, so that this one stays small: a child's ru_maxrss starts at its parent's
                planted = _generate_in_child(csv_path, args.rows, args.seed, args.encoding)
            print(f"CSV generated in {t.seconds:.1f} s: {csv_path}")
            print(f"  planted: {json.dumps(planted, ensure_ascii=False)}")
        size = csv_path.stat().st_size
        with open(csv_path, "rb") as fh:
            rows = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) - 1
        print(f"  rows: {rows:,}   file size: {mb(size)} ({args.encoding})   partner registry: "
              f"{'demo partners and routing table' if ROUTES else 'none (--no-routes)'}")

        print("\n== 1. python -m geo import (subprocess, includes interpreter start-up and module imports)")
        cli = run_cli(csv_path, fresh_store(tmp / "cli.sqlite"))
        summary = cli["summary"]
        print(f"  rows read:      {summary['read']:,}")
        print(f"  seconds:        {cli['seconds']:.2f} s        (target <= 10 s)")
        print(f"  rows/s:         {summary['read'] / cli['seconds']:,.0f}")
        print(f"  peak RSS:       {mb(cli['peak_rss'])} (psutil, sampled every 10 ms)    (target <= 2 GB)")
        print(f"  ru_maxrss:      {mb(cli['ru_maxrss'])} (wait4 rusage of the child)   CPU: {cli['cpu_seconds']:.1f} s")
        print(f"  store size:     {mb(_store_size(tmp / 'cli.sqlite'))}")
        for line in cli["stderr"]:
            print(f"  stderr: {line}")
        print(f"  summary: {json.dumps(summary, ensure_ascii=False)}")

        if not args.no_inprocess:
            print("\n== 2. geo.ingest.importer.import_file in a fresh process (module imports excluded)")
            res = run_worker("steps", csv_path, fresh_store(tmp / "steps.sqlite"), args.chunk_rows)
            print(f"  module imports: {res['module_import_seconds']:.2f} s (geo.ingest.importer and its dependencies)")
            rate = res["summary"]["read"] / res["seconds"]
            print(f"  import_file:    {res['seconds']:.2f} s   rows/s: {rate:,.0f}   "
                  f"CPU: {res['cpu_seconds']:.1f} s here + {res['children_cpu_seconds']:.1f} s in worker processes")
            print(f"  phases:         {res['validation_seconds']:.2f} s reading, validating and staging (workers), "
                  f"then {res['seconds'] - res['validation_seconds']:.2f} s in the store transaction "
                  "(load, keep the file, commit)")
            print(f"  peak RSS:       {mb(res['peak_rss'])} (psutil)   ru_maxrss: {mb(res['ru_maxrss'])}   "
                  f"ru_maxrss before import_file: {mb(res['rss_before'])}")
            print("  time per step of this process, per thread (sum over chunks; indented steps are inside the one")
            print("  above; validation here is of the chunks read before a worker process was up; 'worker' is")
            print("  the thread that compresses the file):")
            order = [READING] + [label for _, label in _STEP_TARGETS]
            for tag in ("main", "worker"):
                steps = {k.split("|", 1)[1]: v for k, v in res["steps"].items() if k.startswith(tag + "|")}
                if not steps:
                    continue
                print(f"    [{tag} thread]")
                accounted = 0.0
                for label, (secs, calls) in sorted(steps.items(), key=lambda kv: order.index(kv[0])
                                                   if kv[0] in order else 99):
                    if not label.startswith(" "):
                        accounted += secs
                    print(f"    {secs:7.2f} s  {100 * secs / res['seconds']:5.1f} %  x{calls:<3d} {label}")
                if tag == "main":
                    rest = res["seconds"] - accounted
                    print(f"    {rest:7.2f} s  {100 * rest / res['seconds']:5.1f} %        rest of the main thread "
                          "(handing chunks to workers, waiting for them, commit, glue)")

        if not args.no_profile:
            print("\n== 3. profiled import_file (fresh process)")
            res = run_worker("profile", csv_path, fresh_store(tmp / "profile.sqlite"), args.chunk_rows)
            print(f"  profiler: {res['profiler']}   import_file under profiler: {res['seconds']:.2f} s "
                  "(thread pool run inline: the tree is the CPU work of every thread, one after the other)")
            print(f"  full report: {OUT_DIR / 'ingest_profile.txt'} (and .html)")
            print("  call tree (cumulative, frames >= 3 % of the total):")
            for line in res["hotspots"]["tree"]:
                print(f"    {line}")
            print("  top functions by self time:")
            for line in res["hotspots"]["self"]:
                print(f"    {line}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (2 cores; other jobs skew every figure)")
    finally:
        if args.keep:
            print(f"\nkept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _generate_in_child(path: Path, rows: int, seed: int, encoding: str) -> dict:
    cmd = [PYTHON, __file__, "--worker", "generate", "--csv", str(path), "--rows", str(rows), "--seed", str(seed),
           "--encoding", encoding]
    proc = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        raise SystemExit(f"CSV generation failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _store_size(path: Path) -> int:
    return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
