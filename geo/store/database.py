"""The report store: an SQLAlchemy engine (SQLite file by default), its schema and its reads and writes.

Everything that touches the database goes through :class:`Store`, so that a PostgreSQL URL can replace
the SQLite file without changing callers.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from geo.errors import InputError, StoreError
from geo.store import changes_schema, schema, structures
from geo.store.identity import SAME_PLACE_DEGREES, ReusedId
from geo.store.spatial_assignment import assign_staged
from geo.store.staging import (
    STAGED_REJECT_FIELDS,
    STAGED_REPORT_FIELDS,
    StagedChunk,
    read_staged,
    read_staged_arrow,
)
from geo.store.structures_schema import DEFAULT_CODE
from geo.store.workflow_schema import partner_expression

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Store", "fetch_frame", "LoadedChunk", "REPORT_FIELDS", "READ_COLUMNS", "BATCH_CONSTANTS"]

# Column order used by bulk inserts of reports.
REPORT_FIELDS: tuple[str, ...] = (
    "id", "batch_id", "source_id", "observed_at", "lat", "lon", "category", "category_label", "registre",
    "severity", "status", "description", "team", "author", "neighbourhood", "flags", "raw", "created_at",
    "updated_at", "row_number",
)
# Fields of a staged report that the store sets on loading, one value for the whole batch.
BATCH_CONSTANTS: tuple[str, ...] = ("batch_id", "raw", "created_at", "updated_at")
_MAX_ATTACHED = 10  # SQLite's default SQLITE_MAX_ATTACHED
# Columns read by default for analysis (no free text, no raw row).
READ_COLUMNS: tuple[str, ...] = (
    "id", "observed_at", "lat", "lon", "category", "registre", "severity", "status", "neighbourhood", "team",
)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI objects are untyped
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    # A field report waits for an import's load transaction rather than fail: on a busy machine the load of a
    # 1M-row file and 8 writers held a writer back longer than 10 s ("database is locked").
    cur.execute("PRAGMA busy_timeout=60000")
    # 16 MiB of page cache per connection: a reader scanning millions of rows (the Signalements list) filled a
    # 128 MiB cache, in each pooled connection of an app instance; bulk loads raise it (Store.transaction)
    cur.execute(f"PRAGMA cache_size=-{_READ_CACHE_KIB}")
    cur.close()


_READ_CACHE_KIB = 16 * 1024
_BULK_CACHE_KIB = 128 * 1024
"""Page cache of an import's load transaction: bulk inserts touch large B-trees (indexes of millions of rows)."""


@dataclass(frozen=True)
class LoadedChunk:
    """What :meth:`Store.load_staged` did with one chunk's reports.

    Attributes
    ----------
    inside, outside
        Reports stored in a neighbourhood, and outside the territory.
    reused
        Rows not stored because their id is another report's (to quarantine); the rest of the chunk's
        reports that were not stored are duplicates.
    routed
        Whether the reports stored were routed to their partner as they were stored
        (:func:`geo.store.workflow_schema.partner_expression`); if not, the caller routes them.
    """

    inside: int
    outside: int
    reused: list[ReusedId]
    routed: bool = False


def _constant_sql(value: int | None) -> str:
    """Return an integer or ``None`` as an SQL literal (the only constants written into statements)."""
    if value is not None and type(value) is not int:
        raise ValueError(f"expected an int or None as a constant; found {value!r}")
    return "NULL" if value is None else str(value)


def _partner_sql(conn: sa.Connection, source: str) -> tuple[str | None, Sequence | Mapping]:
    """Return the partner expression of the staged reports in table ``source`` as SQL text, and its parameters.

    ``(None, ())`` when the routing table is empty. The parameters are in the connection's own style
    (a tuple for SQLite's ``?``, a mapping for psycopg's named markers), for ``exec_driver_sql``.
    """
    expression = partner_expression(conn, sa.literal_column(f"{source}.category"),
                                    sa.literal_column(f"{source}.neighbourhood"))
    if expression is None:
        return None, ()
    compiled = expression.compile(dialect=conn.dialect)
    params = compiled.construct_params()
    if compiled.positiontup is not None:  # positional markers (SQLite)
        return str(compiled), tuple(params[name] for name in compiled.positiontup)
    return str(compiled), params


def _copy_csv(conn: sa.Connection, table: str, rows: pa.Table) -> None:
    """Append ``rows`` to ``table`` (its columns named as ``rows``') with PostgreSQL's ``COPY … (FORMAT csv)``.

    Arrow writes the CSV text in C: strings quoted (an empty string is ``""``), a missing value as nothing
    (``NULL``), numbers in their shortest exact form (a float comes back bit for bit).
    """
    if not rows.num_rows:
        return
    buffer = io.BytesIO()
    pa_csv.write_csv(rows, buffer, pa_csv.WriteOptions(include_header=False))
    with conn.connection.driver_connection.cursor() as cursor, \
            cursor.copy(f"COPY {table} ({', '.join(rows.column_names)}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getbuffer())


def fetch_frame(conn: sa.Connection, query: sa.Select, columns: Sequence[str]) -> pd.DataFrame:
    """Run ``query`` and return its rows as a DataFrame, fetched as plain DBAPI tuples.

    SQLAlchemy's ``Row`` objects cost pandas a failed attribute look-up each: ten times slower on a
    million reports. The selected columns need no result processing (numbers and text).
    """
    result = conn.execute(query)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    return pd.DataFrame.from_records(rows, columns=list(columns), nrows=len(rows))


class Store:
    """A report store reached through an SQLAlchemy URL.

    Parameters
    ----------
    url
        SQLAlchemy URL, e.g. ``sqlite:///data/veille.sqlite``. The file and its folder are created,
        and the schema brought to :data:`geo.store.schema.SCHEMA_VERSION`, on first use. A ``structure=CODE``
        parameter opens the database for one structure (:mod:`geo.store.structures`).
    structure
        Code of the structure to open (PostgreSQL only), winning over the URL's; the default one when neither
        names one. Every read and write of the store then reaches that structure's tables only.
    """

    def __init__(self, url: str, *, structure: str | None = None) -> None:
        base, code = structures.split_url(url)
        code = structures.check_code(structure) if structure is not None else code
        self.structure: str | None = None if code == DEFAULT_CODE else code
        """Code of the structure opened; ``None`` for the default one."""
        self.schema_name: str | None = None
        """PostgreSQL schema of the structure's tables; ``None`` for the default one (the database's own)."""
        self.url = structures.scoped_url(base, self.structure)
        parsed = sa.engine.make_url(base)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.scratch_dir: str | None = None
        """Folder for an import's scratch files: beside an SQLite file (same disk), else the system's."""
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self.scratch_dir = str(Path(parsed.database).resolve().parent)
        if self.structure is None:
            self.engine = sa.create_engine(base)
        else:
            if self.is_sqlite:
                raise InputError("une base SQLite sert une seule structure : pour en réunir plusieurs dans une "
                                 "même base, utilisez PostgreSQL")
            self.schema_name = structures.get_structure(base, self.structure).schema_name
            connect_args, options = structures.scoped_connect(base, self.schema_name)
            self.engine = sa.create_engine(base, connect_args=connect_args).execution_options(**options)
            with self.engine.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema_name}"')
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._migrate()

    # -- schema -----------------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table("meta", schema=self.schema_name):
                schema.METADATA.create_all(conn)
                self._set_meta(conn, "schema_version", str(schema.SCHEMA_VERSION))
                self._set_meta(conn, "data_version", "0")
                return
            found = int(self._get_meta(conn, "schema_version") or 0)
            if found > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"store {self.url} has schema version {found}, newer than this code's "
                    f"{schema.SCHEMA_VERSION}: upgrade the application"
                )
            for step in schema.MIGRATIONS[found:]:
                step(conn)
            self._set_meta(conn, "schema_version", str(schema.SCHEMA_VERSION))

    @staticmethod
    def _get_meta(conn: sa.Connection, key: str) -> str | None:
        return conn.execute(sa.select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()

    def _set_meta(self, conn: sa.Connection, key: str, value: str) -> None:
        updated = conn.execute(schema.meta.update().where(schema.meta.c.key == key).values(value=value))
        if updated.rowcount == 0:
            conn.execute(schema.meta.insert().values(key=key, value=value))

    def schema_version(self) -> int:
        """Return the schema version recorded in the store."""
        with self.engine.connect() as conn:
            return int(self._get_meta(conn, "schema_version") or 0)

    def data_version(self) -> int:
        """Return a counter bumped by every committed write: a cheap cache key for readers."""
        with self.engine.connect() as conn:
            return int(self._get_meta(conn, "data_version") or 0)

    @contextmanager
    def transaction(self, *, attach: Sequence[str] = ()) -> Iterator[sa.Connection]:
        """Yield a connection in one transaction that bumps the data version when it commits.

        Parameters
        ----------
        attach
            Staging files (:mod:`geo.store.staging`) to attach for :meth:`load_staged`, SQLite only: they are
            attached before the transaction begins and detached after it ends. Other databases ignore
            them (:meth:`load_staged` copies the files into temporary tables, or reads them row by row, then).
        """
        paths = list(dict.fromkeys(str(p) for p in attach)) if self.is_sqlite else []
        if len(paths) > _MAX_ATTACHED:
            raise StoreError(f"at most {_MAX_ATTACHED} staging files can be attached at once; found {len(paths)}")
        if not paths:
            with self.engine.begin() as conn:
                yield conn
                self._bump_data_version(conn)
            return
        with self.engine.connect() as conn:
            aliases: dict[str, str] = {}
            try:
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_BULK_CACHE_KIB}")
                for i, path in enumerate(paths):  # ATTACH and DETACH happen outside a transaction
                    conn.exec_driver_sql(f"ATTACH DATABASE ? AS stage_{i}", (path,))
                    aliases[path] = f"stage_{i}"
                conn.commit()
                conn.info["staging_aliases"] = aliases
                with conn.begin():
                    yield conn
                    self._bump_data_version(conn)
                    changes_schema.prune(conn)  # an import's transaction keeps the change log short
            finally:
                conn.info.pop("staging_aliases", None)
                if conn.in_transaction():
                    conn.rollback()
                for alias in aliases.values():
                    conn.exec_driver_sql(f"DETACH DATABASE {alias}")
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_READ_CACHE_KIB}")  # back in the pool: a reader again
                conn.commit()

    @staticmethod
    def _bump_data_version(conn: sa.Connection) -> None:
        conn.execute(
            schema.meta.update()
            .where(schema.meta.c.key == "data_version")
            .values(value=sa.cast(sa.cast(schema.meta.c.value, sa.BigInteger) + 1, sa.Text))
        )

    # -- batches ----------------------------------------------------------------------------------
    def begin_batch(
        self, conn: sa.Connection, *, source_name: str, content_hash: str, source_format: str,
        options: dict | None = None, imported_by: str | None = None,
    ) -> int:
        """Record a new import batch inside ``conn``'s transaction and return its id."""
        result = conn.execute(
            schema.batches.insert().values(
                source_name=source_name, content_hash=content_hash, source_format=source_format,
                imported_at=int(time.time()), imported_by=imported_by,
                options=json.dumps(options or {}, ensure_ascii=False, default=str),
            )
        )
        return int(result.inserted_primary_key[0])

    def finish_batch(self, conn: sa.Connection, batch_id: int, counts: dict[str, int]) -> None:
        """Write a batch's final counts."""
        keys = ("read", "stored", "duplicates", "quarantined", "outside_territory")
        conn.execute(
            schema.batches.update().where(schema.batches.c.id == batch_id).values(**{k: counts[k] for k in keys})
        )

    def find_batches(self, *, content_hash: str) -> list[int]:
        """Return the ids of earlier batches of a file with this content hash, oldest first (undone ones left out)."""
        table = schema.batches
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.id).where(table.c.content_hash == content_hash,
                                                            table.c.removed_at.is_(None))
                                .order_by(table.c.id)).scalars()
            return [int(r) for r in rows]

    def list_batches(self) -> pd.DataFrame:
        """Return every import batch, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.batches).order_by(schema.batches.c.id.desc())).mappings().all()
        return pd.DataFrame(rows, columns=[c.name for c in schema.batches.columns])

    # -- reports ----------------------------------------------------------------------------------
    def insert_reports(self, conn: sa.Connection, rows: Sequence[tuple], *,
                       constants: Mapping[str, int | None] | None = None) -> int:
        """Insert report tuples; return how many were new.

        A report whose id is already stored is skipped: it is a duplicate.

        Parameters
        ----------
        rows
            Tuples in :data:`REPORT_FIELDS` order, less the fields of ``constants``.
        constants
            Fields with one value for every row (batch id, times, ``None``), written into the statement
            instead of bound once per row: a million rows insert noticeably faster.
        """
        if not rows:
            return 0
        constants = dict(constants or {})
        wrong = {k: v for k, v in constants.items() if k not in REPORT_FIELDS or not (v is None or type(v) is int)}
        if wrong:
            raise ValueError(f"constants must be report fields with an int or None value; found {wrong}")
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        values = [_constant_sql(constants[f]) if f in constants else marker for f in REPORT_FIELDS]
        sql = (f"INSERT INTO reports ({', '.join(REPORT_FIELDS)}) VALUES ({', '.join(values)}) "
               "ON CONFLICT (id) DO NOTHING")
        return int(conn.exec_driver_sql(sql, list(rows)).rowcount)

    def load_staged(self, conn: sa.Connection, chunk: StagedChunk, *, batch_id: int, stamp: int,
                    assign_in_database: bool = False) -> LoadedChunk:
        """Load one staged chunk into batch ``batch_id``: its reports and its quarantined rows.

        A report whose id is already stored is not stored again: it is a duplicate when it has the
        stored report's time and position, and a reused id otherwise (:mod:`geo.store.identity`), returned
        for the caller to quarantine. A file attached by :meth:`transaction` is loaded by
        ``INSERT … SELECT``; on PostgreSQL, the chunk is copied (``COPY``) into a temporary table loaded the same
        way; on any other database it is read row by row. The statement that stores the reports also routes
        them to their partner.

        Parameters
        ----------
        chunk
            Written by :class:`geo.store.staging.StageWriter`.
        stamp
            Creation and update time of the reports (seconds since the epoch).
        assign_in_database
            PostGIS only: give the chunk's reports without a neighbourhood the one PostGIS finds
            (:func:`geo.store.spatial_assignment.assign_staged`) before they are stored.
        """
        constants = {"batch_id": batch_id, "raw": None, "created_at": stamp, "updated_at": stamp}
        alias = conn.info.get("staging_aliases", {}).get(chunk.path)
        source = f"{alias}.{chunk.reports_table}" if alias is not None else None
        if source is None and conn.dialect.name == "postgresql":
            source = self._copy_staged(conn, chunk)
            if assign_in_database:
                assign_staged(conn, source)
        elif assign_in_database:
            raise ValueError("expected a PostGIS store for assign_in_database; found " + conn.dialect.name)
        reused = self._reused_ids(conn, chunk, source)  # before the chunk's own rows are in
        # each report routed to its partner by the statement that stores it (no UPDATE of the batch afterwards)
        partner, params = _partner_sql(conn, source) if source is not None else (None, ())
        stored = {}
        for key, where in (("outside", "WHERE neighbourhood IS NULL"), ("inside", "WHERE neighbourhood IS NOT NULL")):
            if source is None:
                stored[key] = sum(self.insert_reports(conn, rows, constants=constants)
                                  for rows in read_staged(chunk, chunk.reports_table, STAGED_REPORT_FIELDS,
                                                          where=where))
                continue
            fields = ", ".join(REPORT_FIELDS) + (", partner" if partner else "")
            values = ", ".join(_constant_sql(constants[f]) if f in constants else f for f in REPORT_FIELDS)
            values += f", {partner}" if partner else ""
            stored[key] = int(conn.exec_driver_sql(
                f"INSERT INTO reports ({fields}) SELECT {values} FROM {source} {where} ON CONFLICT (id) DO NOTHING",
                params,
            ).rowcount)
        if alias is None and conn.dialect.name == "postgresql":
            rejected = read_staged_arrow(chunk, chunk.rejected_table)
            _copy_csv(conn, "quarantine", rejected.add_column(0, "batch_id", pa.array([batch_id] * len(rejected),
                                                                                      pa.int64())))
        elif alias is None:
            for rows in read_staged(chunk, chunk.rejected_table, STAGED_REJECT_FIELDS):
                self.insert_quarantine(conn, [dict(zip(STAGED_REJECT_FIELDS, r, strict=True), batch_id=batch_id)
                                              for r in rows])
        else:
            fields = ", ".join(STAGED_REJECT_FIELDS)
            conn.exec_driver_sql(f"INSERT INTO quarantine (batch_id, {fields}) "
                                 f"SELECT {int(batch_id)}, {fields} FROM {alias}.{chunk.rejected_table}")
        return LoadedChunk(inside=stored["inside"], outside=stored["outside"], reused=reused,
                           routed=source is not None)

    @staticmethod
    def refresh_statistics(conn: sa.Connection) -> None:
        """Refresh PostgreSQL's statistics of ``reports`` after a bulk load, inside ``conn``'s transaction.

        Until autovacuum comes round, the planner would take a table that just grew by a million rows for
        the size it had: a later join on it (the history of the imported statuses) could then be planned as
        a nested loop, quadratic. SQLite: nothing to do.
        """
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE reports")

    @staticmethod
    def _copy_staged(conn: sa.Connection, chunk: StagedChunk) -> str:
        """Copy a staged chunk's reports into a temporary table with PostgreSQL's ``COPY``; return its name.

        The table goes with the transaction (``ON COMMIT DROP``): the PostgreSQL twin of an attached file.
        """
        number = conn.info["staged_tables"] = conn.info.get("staged_tables", 0) + 1
        name = f"staged_reports_{number}"
        fields = ", ".join(STAGED_REPORT_FIELDS)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {fields} FROM reports "
                             "WITH NO DATA")
        _copy_csv(conn, name, read_staged_arrow(chunk, chunk.reports_table))
        return name

    def _reused_ids(self, conn: sa.Connection, chunk: StagedChunk, source: str | None) -> list[ReusedId]:
        """Return the chunk's rows whose source id a stored report has, at another time or position.

        ``source`` is the staged reports as a table of this connection (attached file or temporary table).
        """
        fields = ("row_number", "source_id", "id", "observed_at", "lat", "lon")
        if source is not None:
            marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            rows = conn.exec_driver_sql(
                f"SELECT s.row_number, s.source_id, r.id, r.batch_id FROM {source} AS s "
                "JOIN reports AS r ON r.id = s.id WHERE s.source_id IS NOT NULL AND (r.observed_at <> s.observed_at "
                f"OR abs(r.lat - s.lat) > {marker} OR abs(r.lon - s.lon) > {marker}) ORDER BY s.row_number",
                (SAME_PLACE_DEGREES, SAME_PLACE_DEGREES),
            ).all()
            return [ReusedId(int(n), source_id, report_id, batch) for n, source_id, report_id, batch in rows]
        found = []
        table = schema.reports
        for staged in read_staged(chunk, chunk.reports_table, fields, where="WHERE source_id IS NOT NULL",
                                  batch_rows=500):
            stored = {row.id: row for row in conn.execute(
                sa.select(table.c.id, table.c.batch_id, table.c.observed_at, table.c.lat, table.c.lon)
                .where(table.c.id.in_([s[2] for s in staged])))}
            for number, source_id, rid, observed_at, lat, lon in staged:
                other = stored.get(rid)
                if other is not None and (other.observed_at != observed_at or abs(other.lat - lat) > SAME_PLACE_DEGREES
                                          or abs(other.lon - lon) > SAME_PLACE_DEGREES):
                    found.append(ReusedId(int(number), source_id, rid, other.batch_id))
        return sorted(found, key=lambda r: r.row_number)

    def insert_source_parts(self, conn: sa.Connection, batch_id: int, parts: Sequence[bytes]) -> None:
        """Keep an imported file as compressed ``parts`` (in order) under its batch."""
        if parts:
            conn.execute(schema.source_files.insert(),
                         [{"batch_id": batch_id, "part": i, "data": data} for i, data in enumerate(parts)])

    def read_source_parts(self, batch_id: int) -> list[bytes]:
        """Return the compressed parts of a batch's kept file, in order (empty when none was kept)."""
        table = schema.source_files
        query = sa.select(table.c.data).where(table.c.batch_id == batch_id).order_by(table.c.part)
        with self.engine.connect() as conn:
            return [bytes(row[0]) for row in conn.execute(query).all()]

    def get_batch(self, batch_id: int) -> dict | None:
        """Return one batch's row (its ``options`` decoded from JSON), or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.batches).where(schema.batches.c.id == batch_id)).mappings().first()
        if row is None:
            return None
        batch = dict(row)
        batch["options"] = json.loads(batch["options"] or "{}")
        return batch

    def insert_quarantine(self, conn: sa.Connection, rows: Sequence[dict]) -> None:
        """Insert quarantined rows (dicts with batch_id, row_number, raw, reasons)."""
        if rows:
            conn.execute(schema.quarantine.insert(), list(rows))

    def read_quarantine(self, *, batch_id: int | None = None) -> pd.DataFrame:
        """Return quarantined rows with their raw row and reasons decoded from JSON."""
        query = sa.select(schema.quarantine).order_by(schema.quarantine.c.id)
        if batch_id is not None:
            query = query.where(schema.quarantine.c.batch_id == batch_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        frame = pd.DataFrame(rows, columns=[c.name for c in schema.quarantine.columns])
        frame["raw"] = frame["raw"].map(json.loads)
        frame["reasons"] = frame["reasons"].map(json.loads)
        return frame

    def count_reports(self) -> int:
        """Return the number of stored reports."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(schema.reports)).scalar())

    def read_reports(
        self, *, columns: Sequence[str] = READ_COLUMNS, start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None, timezone: str = "Europe/Paris",
    ) -> pd.DataFrame:
        """Return stored reports as a DataFrame, ``observed_at`` as tz-aware times in ``timezone``.

        Parameters
        ----------
        columns
            Report columns to read; free text and the raw row only when asked for.
        start, end
            Optional half-open interval ``[start, end)`` on the observation time.
        """
        unknown = set(columns) - set(REPORT_FIELDS)
        if unknown:
            raise ValueError(f"unknown report columns {sorted(unknown)}; expected some of {REPORT_FIELDS}")
        table = schema.reports
        query = sa.select(*[table.c[name] for name in columns])
        if start is not None:
            query = query.where(table.c.observed_at >= int(pd.Timestamp(start).timestamp()))
        if end is not None:
            query = query.where(table.c.observed_at < int(pd.Timestamp(end).timestamp()))
        with self.engine.connect() as conn:
            frame = fetch_frame(conn, query, columns)
        if "observed_at" in frame:
            frame["observed_at"] = pd.to_datetime(frame["observed_at"].astype("int64"), unit="s", utc=True)
            frame["observed_at"] = frame["observed_at"].dt.tz_convert(timezone)
        return frame

    def read_reports_by_id(self, ids: Sequence[str], *, columns: Sequence[str] = REPORT_FIELDS) -> pd.DataFrame:
        """Return the given columns of the reports whose id is in ``ids`` (in no particular order)."""
        table = schema.reports
        frames = []
        for start in range(0, len(ids), 500):
            query = sa.select(*[table.c[c] for c in columns]).where(table.c.id.in_(list(ids[start:start + 500])))
            with self.engine.connect() as conn:
                frames.append(fetch_frame(conn, query, columns))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))

    def get_report(self, report_id: str) -> dict | None:
        """Return one report with every column, or ``None``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(schema.reports).where(schema.reports.c.id == report_id)).mappings().first()
        return dict(row) if row else None

    def read_positions(self, conn: sa.Connection) -> pd.DataFrame:
        """Return ``id, lat, lon, neighbourhood`` of every stored report (for re-assignment)."""
        table = schema.reports
        query = sa.select(table.c.id, table.c.lat, table.c.lon, table.c.neighbourhood)
        return fetch_frame(conn, query, ["id", "lat", "lon", "neighbourhood"])

    def set_neighbourhoods(self, conn: sa.Connection, assignments: pd.DataFrame) -> None:
        """Write ``neighbourhood`` for the reports in ``assignments`` (columns ``id``, ``neighbourhood``)."""
        marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        rows = [
            (None if pd.isna(code) else code, rid)
            for rid, code in zip(assignments["id"], assignments["neighbourhood"], strict=True)
        ]
        if rows:
            conn.exec_driver_sql(f"UPDATE reports SET neighbourhood = {marker} WHERE id = {marker}", rows)

    # -- territory --------------------------------------------------------------------------------
    def replace_territory(self, conn: sa.Connection, territory: gpd.GeoDataFrame, *, source_name: str) -> None:
        """Replace the stored neighbourhoods by ``territory`` (WGS84) inside ``conn``'s transaction."""
        conn.execute(schema.neighbourhoods.delete())
        rows = [
            {
                "code": str(r.code), "name": str(r.name),
                "population": None if pd.isna(r.population) else int(r.population),
                "priority": bool(getattr(r, "priority", False)),
                "geometry_wkb": r.geometry.wkb, "source_name": source_name,
            }
            for r in territory.itertuples(index=False)
        ]
        if rows:
            conn.execute(schema.neighbourhoods.insert(), rows)

    def neighbourhood_table(self) -> pd.DataFrame:
        """Return ``code``, ``name``, ``population`` of the stored neighbourhoods (no geometry), by code."""
        nb = schema.neighbourhoods
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(nb.c.code, nb.c.name, nb.c.population).order_by(nb.c.code)).all()
        frame = pd.DataFrame.from_records(rows, columns=["code", "name", "population"])
        frame["population"] = frame["population"].astype("Int64")
        return frame

    def load_territory(self) -> gpd.GeoDataFrame:
        """Return the stored neighbourhoods as a WGS84 GeoDataFrame (empty when none is loaded)."""
        import geopandas as gpd  # noqa: PLC0415 - GeoPandas costs half a second to import; few callers need it
        import shapely  # noqa: PLC0415

        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(schema.neighbourhoods).order_by(schema.neighbourhoods.c.code)).all()
        frame = pd.DataFrame.from_records(
            rows, columns=["code", "name", "population", "priority", "geometry_wkb", "source_name"]
        )
        geometry = shapely.from_wkb(frame.pop("geometry_wkb").to_numpy()) if len(frame) else []
        gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
        gdf["population"] = gdf["population"].astype("Int64")
        gdf["priority"] = gdf["priority"].astype(bool)
        return gdf
