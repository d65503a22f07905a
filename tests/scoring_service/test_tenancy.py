"""Banks and API keys: hashed at rest, shown once, one bank per key; the `bank` CLI."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.testing import created_meanwhile
from scoring_service.cli import cli
from scoring_service.exceptions import TenantError
from scoring_service.tenancy import Tenancy

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def tenancy(tmp_path: Path) -> Tenancy:
    return Tenancy(create_engine(f"sqlite:///{tmp_path / 't.db'}"))


def test_a_key_authenticates_its_own_bank_and_is_stored_hashed(tenancy: Tenancy) -> None:
    tenancy.add_bank("301", "双峰农商行", config_dir=CONFIG)
    tenancy.add_bank("302", "other", config_dir=CONFIG)
    a, b = tenancy.add_key("301"), tenancy.add_key("302", "batch")
    assert tenancy.authenticate(a.secret) == "301"
    assert tenancy.authenticate(b.secret) == "302"
    with tenancy.engine.connect() as conn:
        stored = " ".join(str(r) for r in conn.execute(sa.text("SELECT * FROM service_api_key")))
    assert a.secret not in stored
    assert a.secret.split("_")[2] not in stored


@pytest.mark.parametrize("key", [None, "", "nx_1234", "nx_00000000_" + "A" * 43])
def test_unknown_or_malformed_keys_are_refused(tenancy: Tenancy, key: str | None) -> None:
    with pytest.raises(TenantError, match="valid API key") as info:
        tenancy.authenticate(key)
    assert info.value.code == "API_KEY_INVALID"


def test_a_key_with_a_changed_secret_is_refused(tenancy: Tenancy) -> None:
    tenancy.add_bank("301", "x")
    key = tenancy.add_key("301").secret
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    with pytest.raises(TenantError, match="valid API key"):
        tenancy.authenticate(forged)


def test_a_revoked_key_is_refused(tenancy: Tenancy) -> None:
    tenancy.add_bank("301", "x")
    key = tenancy.add_key("301")
    assert tenancy.authenticate(key.secret) == "301"
    tenancy.revoke_key(key.key_id)
    with pytest.raises(TenantError, match="valid API key"):
        tenancy.authenticate(key.secret)


def test_a_key_revoked_by_another_process_stops_within_the_cache_time(tmp_path: Path) -> None:
    """Two server processes: the key stays cached in the other one for ``cache_seconds``."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    admin = Tenancy(create_engine(url))
    server = Tenancy(create_engine(url), cache_seconds=0.3)
    admin.add_bank("301", "x")
    key = admin.add_key("301")
    assert server.cached_bank(key.secret) is None  # not verified yet: no database read here
    assert server.authenticate(key.secret) == "301"
    assert server.cached_bank(key.secret) == "301"
    admin.revoke_key(key.key_id)
    assert server.authenticate(key.secret) == "301"  # still cached in this process
    time.sleep(0.35)
    assert server.cached_bank(key.secret) is None
    with pytest.raises(TenantError, match="valid API key"):
        server.authenticate(key.secret)


@pytest.mark.parametrize(
    ("code", "name", "match"),
    [("31", "x", "3 digits"), ("301", " ", "must not be empty")],
)
def test_bad_banks_are_refused(tenancy: Tenancy, code: str, name: str, match: str) -> None:
    with pytest.raises(TenantError, match=match):
        tenancy.add_bank(code, name)


def test_a_bank_is_added_once_and_keys_need_a_bank(tenancy: Tenancy) -> None:
    tenancy.add_bank("301", "x")
    with pytest.raises(TenantError, match="already registered"):
        tenancy.add_bank("301", "x")
    with pytest.raises(TenantError, match="not registered"):
        tenancy.add_key("309")


def test_bank_cli_adds_banks_and_prints_a_key_once(nongxin_home: Path) -> None:
    from scoring_service.settings import get_settings

    runner = CliRunner()
    added = runner.invoke(cli, ["bank", "add", "301", "--name", "双峰农商行"])
    assert added.exit_code == 0, added.output
    made = runner.invoke(cli, ["bank", "add-key", "301", "--label", "lending"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert key.startswith("nx_")
    listed = runner.invoke(cli, ["bank", "list"])
    assert "301  双峰农商行  keys=1" in listed.output
    tenancy = Tenancy(create_engine(get_settings().resolved_database_url()))
    assert tenancy.authenticate(key) == "301"


def test_bank_cli_refuses_a_bank_without_policy(nongxin_home: Path) -> None:
    from scoring_service.cli import main

    with pytest.raises(SystemExit, match="2"):
        main(["bank", "add", "309", "--name", "nobody"])


def test_tables_created_by_another_worker_meanwhile_are_used(engine: Engine) -> None:
    """``nongxin serve --workers 2`` on a new database: the other worker creates the bank
    table between this one's check and its CREATE TABLE; the tables are used, no crash."""
    with created_meanwhile(engine, "service_bank") as raced:
        tenancy = Tenancy(engine)
    assert len(raced) == 1
    tenancy.add_bank("301", "双峰农商行", config_dir=CONFIG)
    assert tenancy.authenticate(tenancy.add_key("301").secret) == "301"
