"""Suite-wide fixtures: no network but loopback, seeded RNG, an isolated NONGXIN_HOME."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
PBOC_FIXTURES = SHARED_DIR / "fixtures" / "pboc"

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host in {"localhost", ""}:
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, (str, bytes))  # unix sockets are local


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise OSError(f"network access outside loopback is blocked in tests: {address!r}")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise OSError(f"network access outside loopback is blocked in tests: {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator; tests never seed numpy's global state."""
    return np.random.default_rng(20261129)


@pytest.fixture
def nongxin_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty NONGXIN_HOME for one test, with settings re-read."""
    from scoring_service.settings import get_settings

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("NONGXIN_HOME", str(home))
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(REPO_ROOT / "config"))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def pboc_fixtures() -> Path:
    """The shared real-format PBOC samples; skips with one line when ../shared is absent."""
    if not PBOC_FIXTURES.is_dir():
        pytest.skip(f"shared PBOC samples not found at {PBOC_FIXTURES}")
    return PBOC_FIXTURES


@pytest.fixture(scope="session")
def small_province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sandbox province of 400 households at 3 banks, generated once per test session.

    Read-only for tests: copy what you need to change.
    """
    from scoring_service.sandbox import generate_province

    out = tmp_path_factory.mktemp("province") / "p"
    generate_province(out, households=400, banks=3, seed=7)
    return out


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database: a SQLite file, then an isolated PostgreSQL schema (the PostgreSQL
    case skips with one line when the server is unreachable)."""
    if request.param == "postgresql":
        why = postgres_unavailable(postgres_test_url())
        if why:
            pytest.skip(why)
    with isolated_engine(request.param, tmp_path) as engine:
        yield engine
