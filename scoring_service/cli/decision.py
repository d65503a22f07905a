"""``nongxin decision``: show and replay stored decisions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from scoring_service.decisions import DecisionStore

__all__ = ["decision"]


@click.group()
def decision() -> None:
    """Stored decisions: show one with its lineage; replay it from its inputs and versions."""


@contextmanager
def _store() -> Iterator[DecisionStore]:
    from bureau_adapters.compliance.db import create_engine
    from scoring_service.decisions import DecisionStore
    from scoring_service.settings import get_settings

    engine = create_engine(get_settings().resolved_database_url())
    try:
        yield DecisionStore(engine)
    finally:
        engine.dispose()


@decision.command("show")
@click.argument("decision_id")
def show(decision_id: str) -> None:
    """Print decision DECISION_ID (inputs, outcome, lineage) as JSON."""
    with _store() as store:
        record = store.find(decision_id)
    click.echo(json.dumps(record.to_dict(), indent=2, ensure_ascii=False, sort_keys=True))


@decision.command("replay")
@click.argument("decision_id")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of text.")
def replay_cmd(decision_id: str, as_json: bool) -> None:
    """Recompute DECISION_ID with its model version and the bank's policy; exit 1 if it differs
    in any field (floats compared bit for bit).

    The model version is loaded from the registry; the policy is the current
    config/banks/<bank>.yaml, whose content hash must equal the stored one.
    """
    from credit_limit import load_policy
    from model_registry.registry import ModelRegistry
    from model_registry.serving import LoadedModel
    from scoring_service.decisions import replay
    from scoring_service.settings import get_settings

    with _store() as store:
        record = store.find(decision_id)
    registry = ModelRegistry()
    result = replay(
        record,
        load_model=lambda name, version: LoadedModel(
            name, version, "replay", registry.load(name, version)
        ),
        policy=load_policy(record.bank_code, get_settings().config_dir),
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    elif result.identical:
        click.echo(
            f"decision {decision_id}: identical (model {record.model_name} "
            f"v{record.model_version}, grade {record.outcome['grade']}, "
            f"limit {record.outcome['limit']})"
        )
    else:
        click.echo(f"decision {decision_id}: DIFFERS in {len(result.differences)} field(s)")
        for d in result.differences:
            click.echo(f"  {d.field}: stored {d.stored!r} -> recomputed {d.recomputed!r}")
    if not result.identical:
        raise SystemExit(1)
