"""Fixtures shared by the bureau tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh compliance database: a SQLite file, then an isolated PostgreSQL schema (the
    PostgreSQL case skips with one line when the server is unreachable)."""
    if request.param == "postgresql":
        why = postgres_unavailable(postgres_test_url())
        if why:
            pytest.skip(why)
    with isolated_engine(request.param, tmp_path) as engine:
        yield engine
