"""The server's engine on PostgreSQL: pooled connections are pinged only after being idle."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from bureau_adapters.compliance.testing import postgres_test_url, postgres_unavailable
from scoring_service.api.services import serving_engine


@pytest.fixture
def url() -> str:
    found = postgres_test_url()
    why = postgres_unavailable(found)
    if why:
        pytest.skip(why)
    return found


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _kill(url: str, pid: int) -> None:
    """What a database restart does to a pooled connection."""
    admin = sa.create_engine(url)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
    finally:
        admin.dispose()


def test_a_connection_idle_too_long_is_pinged_and_replaced(url: str) -> None:
    engine = serving_engine(url, ping_idle_seconds=0.05)
    try:
        pid = _backend_pid(engine)  # back in the pool now
        _kill(url, pid)
        time.sleep(0.2)
        assert _backend_pid(engine) != pid  # the dead one was found by the ping, not used
    finally:
        engine.dispose()


def test_a_recently_used_connection_is_handed_out_without_a_ping(url: str) -> None:
    """No round trip before each transaction of a busy server (the pool used to ping at every
    checkout): a connection killed right after use is only found when used, and the pool
    then replaces it."""
    engine = serving_engine(url, ping_idle_seconds=60)
    try:
        pid = _backend_pid(engine)
        _kill(url, pid)
        with pytest.raises(sa.exc.OperationalError, match=r"(?i)terminat|closed|server"):
            _backend_pid(engine)
        assert _backend_pid(engine) != pid
    finally:
        engine.dispose()


def test_sqlite_is_left_as_it_is(tmp_path: object) -> None:
    engine = serving_engine(f"sqlite:///{tmp_path}/x.db")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        engine.dispose()
