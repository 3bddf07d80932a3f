"""Validation in a child process gives the same store as inline validation, and fails the same way."""

import multiprocessing
import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.importer import import_file
from geo.ingest.territory import install_territory
from geo.store import schema
from tests.conftest import NORTH_POINT, OUTSIDE_POINT, make_territory

ROWS = [
    f"0{d % 9 + 1}/10/2026 10:{d % 60:02d};{lat};{lon};{cat}"
    for d, (lat, lon, cat) in enumerate(
        [(NORTH_POINT[0], NORTH_POINT[1], "tags"), ("abc", NORTH_POINT[1], "tags"),
         (OUTSIDE_POINT[0], OUTSIDE_POINT[1], "voirie"), (NORTH_POINT[0], NORTH_POINT[1], "Chose inconnue")] * 30
    )
]


def write(tmp_path, rows, name="export.csv"):
    path = tmp_path / name
    path.write_text("date;latitude;longitude;categorie\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def stored(store):
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(schema.reports.c.id, schema.reports.c.neighbourhood,
                                             schema.reports.c.category, schema.reports.c.row_number)).all())


def test_child_process_and_inline_store_the_same(tmp_path, taxonomy, tmp_store):
    other = type(tmp_store)(f"sqlite:///{tmp_path / 'other.sqlite'}")
    install_territory(other, make_territory(), source_name="test")
    path = write(tmp_path, ROWS)
    inline = import_file(tmp_store, path, taxonomy=taxonomy, chunk_rows=7, workers=0)
    child = import_file(other, path, taxonomy=taxonomy, chunk_rows=7, workers=2)
    assert inline.counts() | {"batch_id": None} == child.counts() | {"batch_id": None}
    assert (child.read, child.quarantined, child.outside_territory) == (120, 30, 30)
    assert stored(tmp_store) == stored(other)
    assert len(other.read_quarantine()) == 30


def test_an_error_in_the_child_rolls_everything_back(tmp_path, taxonomy, tmp_store):
    rows = [*ROWS[:20], "01/10/2026 10:00;47.3;5.0;tags;en trop;encore"]  # a malformed line after a chunk
    with pytest.raises(InputError, match="ligne"):
        import_file(tmp_store, write(tmp_path, rows), taxonomy=taxonomy, chunk_rows=5, workers=2)
    assert tmp_store.count_reports() == 0
    assert tmp_store.list_batches().empty


def test_an_import_stopped_by_its_caller_stops_its_workers_and_leaves_nothing(tmp_path, taxonomy, tmp_store):
    """E.g. the Import page's progress callback interrupted when the user leaves the page."""
    def stop(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(tmp_store, write(tmp_path, ROWS), taxonomy=taxonomy, chunk_rows=7, workers=2, on_progress=stop)
    assert multiprocessing.active_children() == []
    scratch = Path(tmp_store.scratch_dir or tempfile.gettempdir())  # beside an SQLite file, else the system's
    assert not list(scratch.glob(f".veille-import-{os.getpid()}-*"))
    assert tmp_store.count_reports() == 0
    assert tmp_store.list_batches().empty
