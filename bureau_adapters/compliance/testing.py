"""Test helpers for code that stores consents, audit rows and reports.

:func:`isolated_engine` gives a fresh database per test: an in-file SQLite database, or a
PostgreSQL schema of its own (created, put first on the ``search_path``, dropped after), so
the same test runs on both back ends:

.. code-block:: python

    @pytest.fixture(params=["sqlite", "postgresql"])
    def engine(request, tmp_path):
        with isolated_engine(request.param, tmp_path) as engine:
            yield engine
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import create_engine

__all__ = [
    "DEFAULT_TEST_POSTGRES_URL",
    "created_meanwhile",
    "isolated_engine",
    "postgres_test_url",
    "postgres_unavailable",
]

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_test_url() -> str:
    """``NONGXIN_TEST_POSTGRES_URL`` or the local default."""
    return os.environ.get("NONGXIN_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


@lru_cache(maxsize=4)
def postgres_unavailable(url: str) -> str | None:
    """Why the PostgreSQL at ``url`` cannot be used, or ``None`` when it answers."""
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver or network error means: not reachable
        return (
            f"PostgreSQL not reachable at {sa.make_url(url).render_as_string(hide_password=True)} "
            f"({type(exc).__name__}); set NONGXIN_TEST_POSTGRES_URL to a reachable server to "
            "run these tests on PostgreSQL too"
        )
    return None


@contextmanager
def isolated_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database: ``backend`` is ``"sqlite"`` or ``"postgresql"``."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'compliance.db'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = postgres_test_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def created_meanwhile(engine: Engine, table: str) -> Iterator[list[str]]:
    """Inside the block, ``table`` is created by "another process" (another connection)
    between the block's existence check and its own ``CREATE TABLE``, once: the race two
    server workers starting at once on a new database run. Yields the statements raced
    (one, when the block did try to create the table)."""
    raced: list[str] = []
    prefix = f"CREATE TABLE {table.upper()}"

    def other_first(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith(prefix) and not raced:
            raced.append(statement)
            with engine.begin() as other:
                other.exec_driver_sql(statement)

    sa.event.listen(engine, "before_cursor_execute", other_first)
    try:
        yield raced
    finally:
        sa.event.remove(engine, "before_cursor_execute", other_first)
