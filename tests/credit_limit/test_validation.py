"""Policies against the schema and the red lines: every violation, at once, named."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from credit_limit.config import (
    EffectivePolicy,
    load_bank_policy,
    load_federation,
    load_policy,
    validate_config,
)
from credit_limit.exceptions import PolicyValidationError
from credit_limit.policy import BankPolicy
from credit_limit.redlines import FederationRedLines
from scoring_service.cli import cli

DATA = Path(__file__).resolve().parent / "data"

#: The complete list for tests/credit_limit/data/310.yaml, in check order.
INVALID_310 = [
    "banks/310.yaml: rating.expert_weight = 0.9 is outside federation blend range [0.3, 0.7]",
    "banks/310.yaml: rating.cutoffs.B = 0.04 is outside federation cut-off range [0.015, 0.035]",
    "banks/310.yaml: rating.block_weights.social = 5 is outside federation block-weight range "
    "[10, 30]",
    "banks/310.yaml: rating.block_weights = 90 must sum to the federation total 100",
    "banks/310.yaml: caps.pure_credit.A = 400000 exceeds federation cap 300000",
    "banks/310.yaml: caps.pure_credit.E = 10000 must be 0: grade E is rated but never granted "
    "credit",
    "banks/310.yaml: k_income.A = 3.5 exceeds federation maximum income multiple 3",
    "banks/310.yaml: production_cost.per_mu.tea is missing",
    "banks/310.yaml: debt_deduction.guarantees_given = 0.1 is below federation minimum "
    "deduction 0.3",
    "banks/310.yaml: village_coef.watchlist = 1 is outside federation village-coefficient range "
    "[0.5, 0.9]",
    "banks/310.yaml: rounding.unit = 500 is not one of the federation's rounding units "
    "[1000, 5000, 10000]",
    "banks/310.yaml: override.max_notches_up = 2 exceeds federation maximum notches up 1",
    "banks/310.yaml: override.upgrade_roles = credit_officer is not one of the federation's "
    "upgrade_roles ['branch_head', 'risk_officer', 'credit_committee']",
    "banks/310.yaml: validity_years = 5 is outside federation validity range (years) [1, 3]",
    "banks/310.yaml: expected_loss.lgd = 0.2 is outside federation LGD range [0.35, 1]",
]


@pytest.fixture
def config_with_invalid(tmp_path: Path, config_dir: Path) -> Path:
    """A copy of config/ with the invalid example added as banks/310.yaml."""
    root = tmp_path / "config"
    shutil.copytree(config_dir, root)
    shutil.copy(DATA / "310.yaml", root / "banks" / "310.yaml")
    return root


def test_sample_configuration_is_valid(config_dir: Path) -> None:
    checked, found = validate_config(config_dir)
    assert checked == ["federation.yaml", "banks/301.yaml", "banks/302.yaml", "banks/303.yaml"]
    assert found == []


def test_sample_banks_differ_inside_the_lines(config_dir: Path) -> None:
    policies = [load_policy(code, config_dir).bank for code in ("301", "302", "303")]
    assert [p.rating.mode for p in policies] == ["blend", "agree_or_escalate", "minimum"]
    assert len({tuple(p.rating.cutoffs.values()) for p in policies}) == 3
    assert len({p.caps["pure_credit"]["A"] for p in policies}) == 3


def test_invalid_example_lists_every_violation(config_with_invalid: Path) -> None:
    _, found = validate_config(config_with_invalid)
    assert [str(v) for v in found] == INVALID_310


def test_python_api_raises_with_every_violation(config_with_invalid: Path) -> None:
    with pytest.raises(PolicyValidationError, match=r"15 policy violation\(s\)") as info:
        load_policy("310", config_with_invalid)
    assert info.value.violations == INVALID_310
    assert info.value.code == "POLICY_INVALID"


def test_cli_validate_on_config_is_ok(config_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "validate", str(config_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: federation.yaml 2026.01")
    assert "301 2026.02 blend" in result.output


def test_cli_validate_lists_violations_and_exits_1(config_with_invalid: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "validate", str(config_with_invalid)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == INVALID_310
    assert "15 violation(s) in 5 file(s)" in result.stderr


def test_cli_validate_one_file(config_dir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "policy",
            "validate",
            str(DATA / "310.yaml"),
            "--federation",
            str(config_dir / "federation.yaml"),
        ],
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [v.replace("banks/", "") for v in INVALID_310]


def _write(root: Path, name: str, data: dict[str, object]) -> None:
    (root / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_schema_errors_and_file_name_are_reported(config_with_invalid: Path) -> None:
    data = load_bank_policy(config_with_invalid / "banks" / "301.yaml").to_dict()
    data["code"] = "309"
    _write(config_with_invalid / "banks", "301.yaml", data)
    broken = {**data, "code": "305", "shoe_size": 42}
    del broken["rating"]
    _write(config_with_invalid / "banks", "305.yaml", broken)
    (config_with_invalid / "banks" / "306.yaml").write_text("code: [unclosed", encoding="utf-8")
    _, found = validate_config(config_with_invalid)
    text = [str(v) for v in found if not str(v).startswith("banks/310.yaml")]
    assert text == [
        "banks/301.yaml: code = 309 does not match the file name 301.yaml",
        "banks/305.yaml: rating is missing (required by the schema)",
        "banks/305.yaml: shoe_size = 42 is not a field of the schema",
        "banks/306.yaml: is not valid YAML",
    ]


def test_federation_is_checked_itself(config_dir: Path, tmp_path: Path) -> None:
    data = load_federation(config_dir / "federation.yaml").to_dict()
    data["village_coef_ranges"]["watchlist"] = [0.9, 0.5]
    data["grade_scale"] = ["A", "B", "C"]
    _write(tmp_path, "federation.yaml", data)
    with pytest.raises(PolicyValidationError, match=r"2 policy violation") as info:
        load_federation(tmp_path / "federation.yaml")
    assert info.value.violations == [
        "federation.yaml: grade_scale = [A, B, C] must be exactly ['A', 'B', 'C', 'D', 'E']",
        "federation.yaml: village_coef_ranges.watchlist = [0.9, 0.5] is an empty range "
        "(low > high)",
    ]


@pytest.mark.parametrize("code", ["301", "302", "303"])
def test_round_trip_and_content_hash(config_dir: Path, code: str) -> None:
    policy = load_policy(code, config_dir)
    again = BankPolicy.from_dict(policy.bank.to_dict())
    assert again == policy.bank
    assert again.content_hash == policy.bank_hash
    lines = FederationRedLines.from_dict(policy.federation.to_dict())
    assert lines.content_hash == policy.federation_hash
    changed = policy.bank.model_copy(update={"version": "2099.01"})
    assert changed.content_hash != policy.bank_hash
    assert EffectivePolicy.resolve(lines, again).content_hash == policy.content_hash


def test_content_hash_is_of_canonical_json(config_dir: Path) -> None:
    """Key order and YAML spelling do not change the hash; it is pinned for lineage."""
    policy = load_bank_policy(config_dir / "banks" / "301.yaml")
    data = policy.to_dict()
    reordered = dict(reversed(list(data.items())))
    reordered["asset_share"] = 0.5  # one number for all grades, as the YAML spells it
    assert BankPolicy.from_dict(reordered).content_hash == policy.content_hash


def test_grades_for_pd_use_maximum_pd_per_grade(config_dir: Path) -> None:
    rating = load_policy("301", config_dir).bank.rating
    grades = rating.grades_for_pd([0.0, 0.01, 0.0100001, 0.025, 0.05, 0.1, 0.10001, 1.0])
    assert grades.tolist() == ["A", "A", "B", "B", "C", "D", "E", "E"]


def test_in_force_by_effective_dates(config_dir: Path) -> None:
    policy = load_policy("301", config_dir)  # red lines from 2026-01-01, bank from 2026-03-01
    assert not policy.in_force(date(2026, 2, 28))
    assert policy.in_force(date(2026, 3, 1))


def test_cli_show_prints_policy_and_hashes(config_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["policy", "show", "302", "--config", str(config_dir)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    policy = load_policy("302", config_dir)
    assert shown["bank_hash"] == policy.bank_hash
    assert shown["knockouts"][-2:] == ["not_local_resident", "bad_habits"]
    assert BankPolicy.from_dict(shown["policy"]) == policy.bank


def test_the_constructor_refuses_a_policy_outside_the_lines(config_dir: Path) -> None:
    good = load_policy("301", config_dir)
    bad = good.bank.model_copy(update={"k_income": {"A": 9.0, "B": 2, "C": 1, "D": 1}})
    with pytest.raises(PolicyValidationError, match=r"k_income.A = 9 exceeds"):
        EffectivePolicy(good.federation, bad)
