"""Overrides: reason code, approver role and time; refused beyond the rules, naming the rule."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pydantic
import pytest

from credit_limit.config import EffectivePolicy
from credit_limit.examples import worked_example_e
from credit_limit.exceptions import OverrideRefused
from credit_limit.overrides import Override, apply_override

WHEN = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def make(**fields: Any) -> Override:
    base: dict[str, Any] = {
        "reason_code": "OV01",
        "approver_role": "branch_head",
        "approver_id": "E1001",
        "approved_at": WHEN,
    }
    return Override(**{**base, **fields})


@pytest.fixture
def household() -> dict[str, Any]:
    """Worked example (e): grade B, computed limit 100,000 at bank 301."""
    return dict(worked_example_e().iloc[0].to_dict())


def test_one_notch_upgrade_recomputes_the_limit(
    household: dict[str, Any], sample_policies: dict[str, EffectivePolicy]
) -> None:
    decision = apply_override(household, sample_policies["301"], make(new_grade="A"))
    # grade A: asset share 0.5 still binds: 150k - 50k = 100k; the decision keeps the record
    assert (decision.grade, decision.limit, decision.computed_limit) == ("A", 100_000, 100_000)
    assert decision.override is not None
    assert decision.override.original_grade == "B"
    assert decision.override.approved_at == WHEN
    assert type(decision).from_dict(decision.to_dict()) == decision


def test_limit_override_inside_caps(
    household: dict[str, Any], sample_policies: dict[str, EffectivePolicy]
) -> None:
    decision = apply_override(
        household, sample_policies["301"], make(new_limit=150_000, reason_code="OV03")
    )
    assert (decision.limit, decision.computed_limit, decision.binding) == (
        150_000,
        100_000,
        ("override",),
    )


def test_downgrade_by_credit_officer(
    household: dict[str, Any], sample_policies: dict[str, EffectivePolicy]
) -> None:
    decision = apply_override(
        household,
        sample_policies["301"],
        make(new_grade="D", approver_role="credit_officer", reason_code="OV05"),
    )
    # grade D: income 80k x 1.5 = 120k < assets 150k; - 50k = 70k; pure-credit D cap 50k
    assert (decision.grade, decision.limit, decision.binding) == ("D", 50_000, ("product_cap",))


REFUSALS = [
    pytest.param(
        "301",
        {"new_grade": "A", "approver_role": "credit_officer"},
        "override.upgrade_roles",
        id="wrong-role-upgrade",
    ),
    pytest.param(
        "301",
        {"new_grade": "A", "reason_code": None},
        "override.reason_code_required",
        id="no-reason",
    ),
    pytest.param(
        "301",
        {"new_grade": "A", "reason_code": "ZZ99"},
        "override.reason_codes",
        id="unknown-reason",
    ),
    pytest.param("301", {}, "override.empty", id="nothing-to-override"),
    pytest.param("301", {"new_limit": 210_000}, "caps.product", id="above-product-cap"),
    pytest.param("301", {"new_limit": 125_000}, "rounding.unit", id="off-unit"),
    pytest.param(
        "301",
        {"new_limit": 150_000, "approver_role": "credit_officer"},
        "override.limit_increase_roles",
        id="wrong-role-increase",
    ),
    pytest.param(
        "301",
        {"new_limit": 50_000, "approver_role": "credit_committee"},
        "override.limit_decrease_roles",
        id="wrong-role-decrease",
    ),
    pytest.param(
        "303", {"new_grade": "A"}, "override.max_notches_up", id="bank-303-allows-no-upgrade"
    ),
]


@pytest.mark.parametrize(("bank", "fields", "rule"), REFUSALS)
def test_refused_naming_the_rule(
    household: dict[str, Any],
    sample_policies: dict[str, EffectivePolicy],
    bank: str,
    fields: dict[str, Any],
    rule: str,
) -> None:
    override = make(**fields)
    with pytest.raises(OverrideRefused, match=rf"^Override refused by {rule}:") as info:
        apply_override(household, sample_policies[bank], override)
    assert info.value.fields["rule"] == rule
    assert info.value.code == "OVERRIDE_REFUSED"


def test_two_notches_up_are_refused(
    household: dict[str, Any], sample_policies: dict[str, EffectivePolicy]
) -> None:
    household["grade"] = "D"
    with pytest.raises(
        OverrideRefused,
        match=r"upgrade of 2 notch\(es\) \(D -> B\) exceeds "
        r"the bank's limit of 1",
    ):
        apply_override(household, sample_policies["301"], make(new_grade="B"))


@pytest.mark.parametrize(
    ("changes", "rule"), [({"knockout": "K06"}, "knockout"), ({"grade": "E"}, "no_credit_grades")]
)
def test_no_limit_for_knockouts_or_grade_e(
    household: dict[str, Any],
    sample_policies: dict[str, EffectivePolicy],
    changes: dict[str, Any],
    rule: str,
) -> None:
    with pytest.raises(OverrideRefused, match=rf"refused by {rule}:"):
        apply_override({**household, **changes}, sample_policies["301"], make(new_limit=10_000))


def test_time_must_carry_a_zone() -> None:
    with pytest.raises(pydantic.ValidationError, match="approved_at must carry a time zone"):
        make(approved_at=datetime(2026, 4, 1, 9, 30))
