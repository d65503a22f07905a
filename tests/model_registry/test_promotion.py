"""Gated promotion, refusals with reasons, approvals and history, rollback, per-bank aliases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model_registry.exceptions import PromotionRefused, RegistryError
from model_registry.flavor import input_example
from model_registry.gate import GateThresholds
from model_registry.lineage import Lineage
from model_registry.promotion import history, promote, rollback, thresholds_for
from model_registry.registry import ModelRegistry, alias_name

NAME = "farmer-rating"
CONFIG = Path(__file__).resolve().parents[2] / "config"


def _register(registry: ModelRegistry, result: Any, frame: Any) -> int:
    lineage = Lineage(result.training_data_sha256, "survey-only", "alice", result.metrics)
    return registry.register(
        result.model,
        name=NAME,
        lineage=lineage,
        input_example=input_example(result.model, frame),
        evidence=result.test,
    ).version


def test_thresholds_come_from_the_red_lines() -> None:
    t = thresholds_for(CONFIG, None)
    assert (t.auc_min, t.auc_tolerance, t.ks_tolerance, t.psi_alert) == (0.65, 0.02, 0.03, 0.25)
    assert thresholds_for(CONFIG, "301") == t


@pytest.mark.parametrize(
    ("role", "bank", "alias"),
    [("champion", None, "champion"), ("challenger", "301", "challenger-301")],
)
def test_alias_scheme(role: str, bank: str | None, alias: str) -> None:
    assert alias_name(role, bank) == alias


@pytest.mark.parametrize(("role", "bank"), [("hero", None), ("champion", "30a")])
def test_alias_scheme_refuses_unknown_roles_and_banks(role: str, bank: str | None) -> None:
    with pytest.raises(RegistryError, match=r"alias role|bank code"):
        alias_name(role, bank)


def test_gated_promotion_refusal_approval_history_and_rollback(
    registry: ModelRegistry, trained: Any
) -> None:
    recent = trained.frame.sample(800, random_state=3)
    good = _register(registry, trained.good, trained.frame)
    worse = _register(registry, trained.worse, trained.frame)
    # first champion: nothing to compare with, the PSI checks run
    event, report = promote(registry, NAME, good, approver="risk-officer-li", recent=recent)
    assert report is not None
    assert report.passed
    assert event.previous is None
    # a deliberately worse challenger is refused, every failing check listed
    with pytest.raises(PromotionRefused, match="refused: auc_min") as refused:
        promote(registry, NAME, worse, approver="risk-officer-li", recent=recent)
    names = [c.split(":")[0] for c in refused.value.failed_checks]
    assert names[:3] == ["auc_min", "auc_vs_champion", "ks_vs_champion"]
    assert registry.aliases(NAME) == {"champion": good}
    # the worse model may still serve as challenger (no gate), and a loose gate lets it through
    promote(registry, NAME, worse, approver="analyst-wang", to="challenger")
    loose = GateThresholds(auc_min=0.0, auc_tolerance=1.0, ks_tolerance=1.0, psi_alert=10.0,
                           max_migration=1.0)  # fmt: skip
    promote(registry, NAME, worse, approver="cro-zhao", recent=recent, thresholds=loose)
    assert registry.aliases(NAME) == {"champion": worse, "challenger": worse}
    tags = registry.version(NAME, worse).tags
    assert tags["nongxin.champion.approved_by"] == "cro-zhao"
    evidence = json.loads(tags["nongxin.champion.evidence"])
    assert evidence["compared_with"] == good
    assert evidence["validation_source"] == "logged with the version"
    # rollback is one call, recorded in the append-only history
    back = rollback(registry, NAME, approver="cro-zhao")
    assert (back.version, back.previous) == (good, worse)
    assert registry.aliases(NAME)["champion"] == good
    actions = [(e.action, e.alias, e.version) for e in history(registry, NAME)]
    assert actions == [
        ("promote", "champion", good),
        ("promote", "challenger", worse),
        ("promote", "champion", worse),
        ("rollback", "champion", good),
    ]
    keys = [k for k in registry.model_tags(NAME) if k.startswith("nongxin.history.")]
    assert len(keys) == 4
    assert all(len(k.rsplit("-", 1)[1]) == 8 for k in keys)
    with pytest.raises(RegistryError, match="no earlier champion"):
        rollback(registry, NAME, approver="cro-zhao")


def test_bank_champion_falls_back_to_the_federation(registry: ModelRegistry, trained: Any) -> None:
    recent = trained.frame.sample(500, random_state=5)
    v = _register(registry, trained.good, trained.frame)
    promote(registry, NAME, v, approver="li", recent=recent)
    assert registry.resolve_for_bank(NAME, "champion", "302").version == v
    v2 = _register(registry, trained.good, trained.frame)
    promote(registry, NAME, v2, approver="li", recent=recent, bank="302")
    assert registry.resolve_for_bank(NAME, "champion", "302").version == v2
    assert registry.resolve_for_bank(NAME, "champion", "301").version == v
