"""A PostgreSQL store's snapshot is read through the ADBC driver (binary COPY into Arrow): same file as row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from geo.ingest.importer import import_file
from geo.ingest.territory import install_territory
from geo.store.database import Store
from geo.store.snapshot import _build_in_process, ensure_snapshot, snapshot_columns
from geo.store.snapshot_postgres import libpq_uri, read_reports_arrow
from geo.store.structures import add_structure
from tests.conftest import FIXTURES, make_territory

NOW = pd.Timestamp("2026-03-10 12:00", tz="Europe/Paris")


@pytest.fixture
def postgres_store(db_url: str, backend: str, taxonomy) -> Store:
    if backend != "postgresql":
        pytest.skip("the ADBC PostgreSQL reader serves PostgreSQL stores only")
    store = Store(db_url)
    install_territory(store, make_territory(), source_name="test")
    assert import_file(store, FIXTURES / "odk_veille.csv", taxonomy=taxonomy, now=NOW).stored > 0
    return store


def test_libpq_uri_drops_what_libpq_does_not_know() -> None:
    uri = libpq_uri("postgresql+psycopg://veille:s3cret@127.0.0.1:5433/veille?structure=quetigny&sslmode=disable")
    assert uri == "postgresql://veille:s3cret@127.0.0.1:5433/veille?sslmode=disable"
    with pytest.raises(ValueError, match="expected a PostgreSQL URL, found 'sqlite'"):
        libpq_uri("sqlite:///veille.sqlite")


def test_snapshot_equals_the_row_by_row_one(postgres_store: Store, tmp_path: Path) -> None:
    fast = pq.read_table(ensure_snapshot(postgres_store))
    slow = pq.read_table(_build_in_process(postgres_store, tmp_path / "rows", snapshot_columns(postgres_store)))
    assert fast.num_rows == postgres_store.count_reports() > 0
    assert fast.schema.names == slow.schema.names
    for name in fast.schema.names:
        left, right = fast.column(name).to_pylist(), slow.column(name).to_pylist()
        order = sorted(range(len(left)), key=fast.column("id").to_pylist().__getitem__)
        other = sorted(range(len(right)), key=slow.column("id").to_pylist().__getitem__)
        assert [left[i] for i in order] == [right[i] for i in other], name
    # integer columns are int64 whatever the database's type (smallint severity included), no driver metadata
    assert str(fast.schema.field("severity").type) == "int64"
    assert all(not field.metadata for field in fast.schema)


def test_version_and_rows_of_one_structure_only(postgres_store: Store, db_url: str, taxonomy) -> None:
    add_structure(db_url, "quetigny", name="Pimms Quetigny")
    other = Store(db_url, structure="quetigny")
    install_territory(other, make_territory(), source_name="test")
    version, table = read_reports_arrow(other.url, ["id"], schema_name=other.schema_name)
    assert table.num_rows == 0 and version == other.data_version()
    version, table = read_reports_arrow(postgres_store.url, ["id"], schema_name=None)
    assert table.num_rows == postgres_store.count_reports() and version == postgres_store.data_version()
