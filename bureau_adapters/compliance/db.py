"""Tables and engine of the compliance layer (SQLAlchemy 2.0 Core).

Three tables, every one carrying ``bank_code`` so each read is scoped to one bank:

* ``bureau_consent`` — written authorisations (授权书) of data subjects;
* ``bureau_query_audit`` — the append-only query log; UPDATE, DELETE (and on PostgreSQL
  TRUNCATE) are refused by triggers installed with the table;
* ``bureau_report`` — raw reports (zlib-compressed) with their metadata, for reuse.

The embedded default is a SQLite file under ``NONGXIN_HOME``; any SQLAlchemy URL works in
production (tested on PostgreSQL). Times are stored as naive UTC and returned timezone-aware.

>>> engine = create_engine("sqlite://")
>>> ensure_schema(engine)
>>> sorted(sa.inspect(engine).get_table_names())
['bureau_consent', 'bureau_query_audit', 'bureau_report']
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Engine

from bureau_adapters.settings import BureauSettings

__all__ = [
    "UTCDateTime",
    "audit_table",
    "consent_table",
    "create_engine",
    "ensure_schema",
    "metadata",
    "relax_commit",
    "report_table",
    "transaction",
    "transaction_or_connect",
    "utcnow",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware datetimes in, naive UTC stored, aware UTC out (same on SQLite and PostgreSQL)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given; pass a timezone-aware time"
            )
        if value.tzinfo is not dt.UTC:  # most times are UTC already (utcnow)
            value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


consent_table = sa.Table(
    "bureau_consent",
    metadata,
    sa.Column("consent_id", sa.String(36), primary_key=True),
    sa.Column("bank_code", sa.String(8), nullable=False),
    sa.Column("bureau", sa.String(16), nullable=False),
    sa.Column(
        "subject_key", sa.String(64), nullable=False, comment="HMAC-SHA256 of id type and number"
    ),
    sa.Column("subject_masked", sa.String(32), nullable=False),
    sa.Column("id_type", sa.String(4), nullable=False),
    sa.Column("reason", sa.String(4), nullable=False),
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("document_sha256", sa.String(64), nullable=False),
    sa.Column("document_ref", sa.String(200), nullable=True),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(64), nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
    sa.Column("revoked_reason", sa.String(200), nullable=True),
    sa.Index("ix_bureau_consent_lookup", "bank_code", "subject_key", "bureau"),
    sa.CheckConstraint("valid_until >= valid_from", name="validity"),
)

audit_table = sa.Table(
    "bureau_query_audit",
    metadata,
    sa.Column("audit_id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("bank_code", sa.String(8), nullable=False),
    sa.Column("bureau", sa.String(16), nullable=False),
    sa.Column("operator", sa.String(64), nullable=False),
    sa.Column("subject_key", sa.String(64), nullable=False),
    sa.Column("subject_masked", sa.String(32), nullable=False),
    sa.Column("reason", sa.String(4), nullable=False),
    sa.Column("business_ref", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("code", sa.String(48), nullable=False),
    sa.Column("source", sa.String(8), nullable=True, comment="fresh | reused | NULL (no report)"),
    sa.Column("report_id", sa.String(64), nullable=True),
    sa.Column("consent_id", sa.String(36), nullable=True),
    sa.Column("store_id", sa.Integer, nullable=True),
    sa.Column("elapsed_ms", sa.Integer, nullable=False),
    sa.Column("message", sa.String(300), nullable=True),
    sa.Column("product", sa.String(16), nullable=True, comment="bureau product (Qianhai 8005 ...)"),
    sa.Index("ix_bureau_query_audit_bank_time", "bank_code", "occurred_at"),
)

report_table = sa.Table(
    "bureau_report",
    metadata,
    sa.Column("store_id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("bank_code", sa.String(8), nullable=False),
    sa.Column("bureau", sa.String(16), nullable=False),
    sa.Column("subject_key", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(4), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False, comment="report | no_record"),
    sa.Column("report_id", sa.String(64), nullable=True),
    sa.Column("report_date", sa.Date, nullable=True),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("content_zlib", sa.LargeBinary, nullable=True),
    sa.Column("content_sha256", sa.String(64), nullable=True),
    sa.Column("content_bytes", sa.Integer, nullable=False),
    sa.Column("product", sa.String(16), nullable=True, comment="bureau product (Qianhai 8005 ...)"),
    sa.Index(
        "ix_bureau_report_reuse", "bank_code", "subject_key", "bureau", "product", "fetched_at"
    ),
)

_SQLITE_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS bureau_query_audit_no_{op} BEFORE {OP} ON bureau_query_audit "
    "BEGIN SELECT RAISE(ABORT, 'bureau_query_audit is append-only: {OP} refused'); END"
)
_PG_GUARD_FUNCTION = """
CREATE OR REPLACE FUNCTION bureau_query_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'bureau_query_audit is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql
"""
_PG_GUARDS = (
    "CREATE TRIGGER bureau_query_audit_no_change BEFORE UPDATE OR DELETE ON bureau_query_audit "
    "FOR EACH ROW EXECUTE FUNCTION bureau_query_audit_append_only()",
    "CREATE TRIGGER bureau_query_audit_no_truncate BEFORE TRUNCATE ON bureau_query_audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION bureau_query_audit_append_only()",
)


def _install_append_only_guard(target: sa.Table, connection: sa.Connection, **_: Any) -> None:
    name = connection.dialect.name
    if name == "sqlite":
        for op in ("update", "delete"):
            connection.exec_driver_sql(_SQLITE_GUARD.format(op=op, OP=op.upper()))
    elif name == "postgresql":
        connection.exec_driver_sql(_PG_GUARD_FUNCTION)
        for statement in _PG_GUARDS:
            connection.exec_driver_sql(statement)


sa.event.listen(audit_table, "after_create", _install_append_only_guard)

_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_RELAXED = "nongxin_relaxed_commit"


def relax_commit(connection: sa.Connection) -> None:
    """Let this transaction's commit return before its log is flushed to disk.

    PostgreSQL: ``SET LOCAL synchronous_commit TO OFF`` (this transaction only). SQLite in
    write-ahead-log mode: ``synchronous=NORMAL`` until the connection goes back to the pool.
    Both logs are written in order, so the row becomes durable with the next durable commit
    of any connection; a crash before that can lose it, never corrupt or reorder anything.
    The gate uses it only for the audit row of a *reused* answer (nothing was sent or
    billed), and only when built with ``relaxed_reuse_audit=True`` (the scoring service,
    whose rating persists its decision with a durable commit before answering, which
    flushes the audit row with it). Elsewhere (CLI, batch, main job) every commit is durable.
    """
    name = connection.dialect.name
    if name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    elif name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not getattr(raw, "in_transaction", True):  # before BEGIN only
            # through the driver: SQLAlchemy's execution costs ten times the PRAGMA, which
            # neither opens a transaction nor returns rows
            raw.execute("PRAGMA synchronous=NORMAL")
            connection.info[_RELAXED] = True


def _sqlite_restore_sync(dbapi_connection: Any, record: Any) -> None:
    if record.info.pop(_RELAXED, False):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    # Write-ahead log: one fsync per commit (synchronous stays FULL, so a commit survives a
    # power cut), and readers never block the writer.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: :meth:`BureauSettings.resolved_database_url`).

    SQLite gets a busy timeout, write-ahead logging (files) and its parent folder; other URLs
    pass through.
    """
    resolved = url or BureauSettings.from_env().resolved_database_url()
    parsed = sa.make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        on_file = bool(parsed.database) and parsed.database != ":memory:"
        if on_file:
            from pathlib import Path

            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs.setdefault("poolclass", sa.pool.StaticPool)
            kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = sa.create_engine(resolved, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "checkin", _sqlite_restore_sync)
        if on_file:
            sa.event.listen(engine, "connect", _sqlite_wal)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(resolved, **kwargs)


@contextmanager
def transaction(engine: Engine, connection: sa.Connection | None = None) -> Iterator[sa.Connection]:
    """``connection`` when the caller already has a transaction open, else a new one."""
    if connection is not None:
        yield connection
        return
    with engine.begin() as conn:
        yield conn


@contextmanager
def transaction_or_connect(
    engine: Engine, connection: sa.Connection | None = None
) -> Iterator[sa.Connection]:
    """``connection`` when the caller has one, else a new connection (reads only)."""
    if connection is not None:
        yield connection
        return
    with engine.connect() as conn:
        yield conn


#: Columns added after the first release: (table, column) added to older databases.
_ADDED_COLUMNS = ((audit_table, "product"), (report_table, "product"))


def _upgrade(connection: sa.Connection) -> None:
    """Bring a database created by an older release up to this schema (additive only)."""
    inspector = sa.inspect(connection)
    for table, name in _ADDED_COLUMNS:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        if name not in present:
            column = table.c[name]
            kind = column.type.compile(dialect=connection.dialect)
            connection.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")
    for table in (consent_table, audit_table, report_table):
        for index in table.indexes:
            index.create(connection, checkfirst=True)


_SCHEMA_LOCK = threading.Lock()
_SCHEMA_ATTEMPTS = 3


def _created_elsewhere(exc: sa.exc.DBAPIError) -> bool:
    """True when a DDL error says another process created the same object first."""
    text = str(exc.orig).lower()
    # SQLite/PostgreSQL "... already exists" (PostgreSQL also for a column another process
    # added); SQLite "duplicate column name" (the same for ALTER TABLE ... ADD COLUMN);
    # PostgreSQL's concurrent CREATE TABLE can also collide on the catalog's unique index of
    # type names instead.
    return (
        "already exists" in text
        or "duplicate column name" in text
        or "pg_type_typname_nsp_index" in text
    )


def create_schema(
    engine: Engine,
    schema: sa.MetaData,
    upgrade: Callable[[sa.Connection], None] | None = None,
) -> None:
    """Create ``schema``'s missing tables (then run ``upgrade``), safe under concurrency.

    Threads of one process take turns (a lock); another process creating the same tables
    at the same moment makes ``CREATE`` fail with "already exists" after the check saw no
    table: the whole step is then run again, and the check now finds the tables.
    """
    with _SCHEMA_LOCK:
        for attempt in range(1, _SCHEMA_ATTEMPTS + 1):
            try:
                with engine.begin() as conn:
                    schema.create_all(conn, checkfirst=True)
                    if upgrade is not None:
                        upgrade(conn)
                return
            except sa.exc.DBAPIError as exc:
                if attempt == _SCHEMA_ATTEMPTS or not _created_elsewhere(exc):
                    raise


def ensure_schema(engine: Engine) -> None:
    """Create the compliance tables (and the audit guard) if missing, add the columns and
    indexes of later releases to older databases; once per engine (see
    :func:`create_schema` for concurrent creation)."""
    if engine in _READY:
        return
    create_schema(engine, metadata, _upgrade)
    _READY.add(engine)
