"""Validate a file's chunks ahead of the writer: in a child process for large files, inline otherwise.

Validation (pandas, shapely) and writing (SQLite) are both mostly Python work that holds the global
interpreter lock, so threads barely overlap them; a child process does, on a second core. The child
reads the file itself and sends back ready-to-insert rows, so nothing large crosses twice.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import InputError, StoreError
from geo.formats import ColumnMapping
from geo.readers import open_source
from geo.taxonomy import Taxonomy

__all__ = ["ValidationJob", "ValidatedChunk", "validated_chunks", "PARALLEL_MIN_BYTES"]

PARALLEL_MIN_BYTES = 16 << 20  # below this, starting a process costs more than it saves
_QUEUE_CHUNKS = 2  # chunks validated ahead of the writer: bounds memory
_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class ValidationJob:
    """Everything a validator needs, picklable so that a child process can run it."""

    path: str
    mapping: ColumnMapping
    taxonomy: Taxonomy
    territory: gpd.GeoDataFrame
    batch_id: int
    chunk_rows: int
    encoding: str | None = None
    sep: str | None = None
    crs: str | int | None = None
    category_map: Mapping[str, str] = field(default_factory=dict)
    timezone: str = "Europe/Paris"
    now: pd.Timestamp | None = None


@dataclass
class ValidatedChunk:
    """One chunk, validated: report rows (``valid``, as prepared), quarantined rows, what was noticed.

    The rows travel as a DataFrame, cheaper to send between processes than tuples; the writer turns
    them into tuples (which leaves the validator, the slower side, less to do).
    """

    read: int
    valid: pd.DataFrame
    rejected: list[dict]
    unknown_categories: Counter
    swapped: int


def _validate(job: ValidationJob, chunk: pd.DataFrame) -> ValidatedChunk:
    from geo.ingest import prepare_rows  # noqa: PLC0415 - geo.ingest imports this module

    prepared = prepare_rows(chunk, job.mapping, taxonomy=job.taxonomy, territory=job.territory,
                            category_map=job.category_map, timezone=job.timezone, now=job.now, crs=job.crs)
    for item in prepared.rejected:
        item["batch_id"] = job.batch_id
    return ValidatedChunk(read=len(chunk), valid=prepared.valid, rejected=prepared.rejected,
                          unknown_categories=prepared.unknown_categories, swapped=prepared.swapped)


def _chunks(job: ValidationJob) -> Iterator[pd.DataFrame]:
    return open_source(job.path, encoding=job.encoding, sep=job.sep, chunk_rows=job.chunk_rows, crs=job.crs).chunks


def _child(job: ValidationJob, out: multiprocessing.Queue) -> None:
    """Run in the child process: validate every chunk into ``out``, then ``None`` (or the error)."""
    try:
        for chunk in _chunks(job):
            out.put(_validate(job, chunk))
        out.put(None)
    except InputError as exc:
        out.put(exc)
    except Exception as exc:  # any other failure must reach the parent, which rolls back
        out.put(StoreError(f"la validation a échoué : {type(exc).__name__}: {exc}"))


def _from_child(job: ValidationJob) -> Iterator[ValidatedChunk]:
    context = multiprocessing.get_context("spawn")  # no fork of a threaded server
    out = context.Queue(maxsize=_QUEUE_CHUNKS)
    worker = context.Process(target=_child, args=(job, out), name="veille-validation", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = out.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not worker.is_alive():
                    raise StoreError(
                        f"le processus de validation s'est arrêté (code {worker.exitcode}) ; rien n'est enregistré"
                    ) from None
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join(timeout=10)
        out.close()


def validated_chunks(job: ValidationJob, *, parallel: bool | None = None) -> Iterator[ValidatedChunk]:
    """Yield the file's chunks validated, in order.

    Parameters
    ----------
    job
        The file and how to read and validate it.
    parallel
        Validate in a child process; ``None`` decides by size (:data:`PARALLEL_MIN_BYTES`).
    """
    if parallel is None:
        parallel = Path(job.path).stat().st_size >= PARALLEL_MIN_BYTES
    if parallel:
        yield from _from_child(job)
    else:
        for chunk in _chunks(job):
            yield _validate(job, chunk)
