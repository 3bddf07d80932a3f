"""Validate a file's chunks and stage them, in worker processes for large files, inline otherwise.

Validation (pandas, shapely) is mostly Python work that holds the global interpreter lock, so threads
barely overlap it. For a large file, the importing process reads the chunks and hands them to worker
processes, which validate them and write the results into their own staging file
(:mod:`geo.store.staging`); only counts travel back. The store then loads the staged chunks in file order.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import StoreError
from geo.ingest.formats import ColumnMapping
from geo.ingest.timeparse import OrderEvidence, order_evidence
from geo.store.staging import StagedChunk, StageWriter
from geo.taxonomy import Taxonomy

__all__ = ["ValidationJob", "ValidatedChunk", "Workers", "start_workers", "validate_chunks", "default_workers",
           "PARALLEL_MIN_BYTES", "MAX_WORKERS"]

PARALLEL_MIN_BYTES = 16 << 20  # below this, starting processes costs more than it saves
MAX_WORKERS = 4  # each worker holds a chunk, the taxonomy and the territory: bounds memory
_PENDING_PER_WORKER = 2  # chunks handed out ahead per worker: bounds memory, keeps workers busy


@dataclass(frozen=True)
class ValidationJob:
    """Everything a validator needs, picklable so that a worker process can run it.

    Attributes
    ----------
    stage_dir
        Folder of the staging files; each validator writes its own file there.
    assign_in_database
        Leave neighbourhoods inside the territory's bounds to the store (PostGIS), see
        :func:`geo.ingest.validation.prepare_rows`.
    """

    mapping: ColumnMapping
    taxonomy: Taxonomy
    territory: gpd.GeoDataFrame
    stage_dir: str
    crs: str | int | None = None
    category_map: Mapping[str, str] = field(default_factory=dict)
    timezone: str = "Europe/Paris"
    now: pd.Timestamp | None = None
    assign_in_database: bool = False


@dataclass
class ValidatedChunk:
    """One chunk, validated and staged: where its rows are, and what was noticed."""

    read: int
    staged: StagedChunk
    unknown_categories: Counter
    swapped: int
    evidence: OrderEvidence = field(default_factory=OrderEvidence)


class _Validator:
    """Validates chunks of one job and stages them into one file."""

    def __init__(self, job: ValidationJob, name: str) -> None:
        self.job = job
        self.writer = StageWriter(Path(job.stage_dir) / f"{name}.sqlite")

    def __call__(self, index: int, chunk: pd.DataFrame) -> ValidatedChunk:
        from geo.ingest.importer import prepare_rows  # noqa: PLC0415 - geo.ingest.importer imports this module

        job = self.job
        prepared = prepare_rows(chunk, job.mapping, taxonomy=job.taxonomy, territory=job.territory,
                                category_map=job.category_map, timezone=job.timezone, now=job.now, crs=job.crs,
                                assign_in_database=job.assign_in_database)
        staged = self.writer.write(index, prepared.valid, prepared.rejected)
        # what the chunk's dates say of the order of day and month: checked on the whole file afterwards
        evidence = (order_evidence(chunk[job.mapping.time]) if job.mapping.time and not job.mapping.time_format
                    else OrderEvidence())
        return ValidatedChunk(read=len(chunk), staged=staged, unknown_categories=prepared.unknown_categories,
                              swapped=prepared.swapped, evidence=evidence)


_worker_validator: _Validator | None = None  # one per worker process


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_WATCH_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` ends, even by ``kill -9``.

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``); everywhere, a
    daemon thread checks every half second that the parent is still this process's parent. Without either,
    a worker of a killed import would wait for work forever, holding the resource tracker with it.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the watcher below still works
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _start_worker(parent: int | None = None) -> None:
    """Start a pool worker: bound to its parent's life, its modules imported before any chunk comes."""
    if parent is not None:
        _die_with_parent(parent)
    import geo.ingest.importer  # noqa: F401, PLC0415 - pandas, GeoPandas, shapely: a second of imports, done now
    Finalize(None, _close_worker_validator, exitpriority=10)


def _close_worker_validator() -> None:
    if _worker_validator is not None:
        _worker_validator.writer.close()


def _validate_in_worker(job: ValidationJob, index: int, chunk: pd.DataFrame) -> ValidatedChunk:
    global _worker_validator  # noqa: PLW0603 - per-process state of a pool worker
    if _worker_validator is None or _worker_validator.job.stage_dir != job.stage_dir:
        # a worker started before its job was known; a new job (the file validated again) has a new folder
        _close_worker_validator()
        _worker_validator = _Validator(job, f"worker-{os.getpid()}")
    return _worker_validator(index, chunk)


@dataclass
class Workers:
    """Worker processes started ahead of their job (:func:`start_workers`), for :func:`validate_chunks`."""

    pool: ProcessPoolExecutor
    count: int
    started: list[Future]

    def close(self) -> None:
        """Stop the workers (waiting for them; chunks not yet begun are cancelled)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def start_workers(count: int) -> Iterator[Workers | None]:
    """Start ``count`` worker processes now and stop them at the end (``None`` when ``count`` is 0).

    A worker takes about a second to start (interpreter, pandas, GeoPandas): started before the file's
    encoding, columns and date order are worked out, it is ready when the first chunks come, using the core
    that the importing process leaves idle meanwhile.
    """
    if count <= 0:
        yield None
        return
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(),))
    workers = Workers(pool, count, [])
    try:
        workers.started = [pool.submit(_started) for _ in range(count)]  # start every worker now
        yield workers
    finally:
        workers.close()


def default_workers(size: int) -> int:
    """Return how many worker processes suit a file of ``size`` bytes: 0 (inline) for small files."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(MAX_WORKERS, cores) if size >= PARALLEL_MIN_BYTES and cores > 1 else 0


def validate_chunks(job: ValidationJob, chunks: Iterable[pd.DataFrame], *, workers: int = 0,
                    started: Workers | None = None) -> Iterator[ValidatedChunk]:
    """Validate and stage ``chunks``; yield them in order.

    Parameters
    ----------
    job
        How to validate, and where to stage.
    chunks
        Raw text chunks as read by :func:`geo.ingest.readers.open_source`, read in this process.
    workers
        Worker processes to start here; 0 validates in this process. Ignored when ``started`` is given.
    started
        Workers already started by :func:`start_workers` (left running at the end, for the caller to stop).

    Raises
    ------
    InputError
        As raised by reading or validating a chunk.
    StoreError
        When a worker process dies.
    """
    with contextlib.ExitStack() as stack:
        if started is None:
            started = stack.enter_context(start_workers(workers))
        yield from _validate(job, chunks, started)


def _validate(job: ValidationJob, chunks: Iterable[pd.DataFrame], workers: Workers | None
              ) -> Iterator[ValidatedChunk]:
    inline: _Validator | None = None
    pending: deque[Future] = deque()
    ahead = (workers.count if workers else 0) * _PENDING_PER_WORKER
    try:
        for index, chunk in enumerate(chunks):
            if workers is None or not any(f.done() for f in workers.started):
                # no worker is up yet (it takes a second to start one): validate here meanwhile
                inline = inline or _Validator(job, "inline")
                pending.append(_finished(inline(index, chunk)))
            else:
                pending.append(workers.pool.submit(_validate_in_worker, job, index, chunk))
            while len(pending) > ahead or (pending and pending[0].done()):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise StoreError(f"un processus de validation s'est arrêté ({exc}) ; rien n'est enregistré") from None
    finally:
        for future in pending:  # a stopped import: its chunks not yet begun are not validated
            future.cancel()
        if inline is not None:
            inline.writer.close()


def _started() -> None:
    """Return at once: a worker runs it once its initializer is done."""


def _finished(result: ValidatedChunk) -> Future:
    future: Future = Future()
    future.set_result(result)
    return future
