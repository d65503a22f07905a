"""``nongxin bank``: banks allowed to call the service and their API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from scoring_service.tenancy import Tenancy

__all__ = ["bank"]


@contextmanager
def _tenancy() -> Iterator[Tenancy]:
    from bureau_adapters.compliance.db import create_engine
    from scoring_service.settings import get_settings

    engine = create_engine(get_settings().resolved_database_url())
    try:
        yield Tenancy(engine)
    finally:
        engine.dispose()


@click.group()
def bank() -> None:
    """Banks and their API keys (keys are stored hashed; a new key is printed once)."""


@bank.command("add")
@click.argument("bank_code")
@click.option("--name", required=True, help="Bank name, e.g. 双峰农商行.")
def add(bank_code: str, name: str) -> None:
    """Register BANK_CODE (its policy config/banks/BANK_CODE.yaml must be valid)."""
    from scoring_service.settings import get_settings

    with _tenancy() as tenancy:
        added = tenancy.add_bank(bank_code, name, config_dir=get_settings().config_dir)
    click.echo(f"added bank {added.bank_code} {added.name}")


@bank.command("add-key")
@click.argument("bank_code")
@click.option("--label", default="default", show_default=True, help="What the key is for.")
def add_key(bank_code: str, label: str) -> None:
    """Create an API key for BANK_CODE and print it once (only its hash is kept)."""
    with _tenancy() as tenancy:
        key = tenancy.add_key(bank_code, label)
    click.echo(f"key {key.key_id} for bank {key.bank_code} ({key.label}); shown once:", err=True)
    click.echo(key.secret)


@bank.command("list")
def list_banks() -> None:
    """Registered banks and their number of active keys."""
    with _tenancy() as tenancy:
        banks = tenancy.banks()
    if not banks:
        click.echo("no banks")
    for b in banks:
        click.echo(f"{b.bank_code}  {b.name}  keys={b.keys}  since {b.created_at:%Y-%m-%d}")
