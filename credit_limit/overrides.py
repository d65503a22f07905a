"""Overrides of a grade or a limit: reason code, approver role and time, inside the rules.

An override is refused (:class:`~credit_limit.exceptions.OverrideRefused`, naming the rule)
when it raises the grade by more notches than the bank allows, when the approver's role may
not approve it, when the reason code is missing or unknown, or when the new limit breaks a
cap, the rounding unit, a knockout or a no-credit grade.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import field_validator

from credit_limit._base import GRADES, Grade, PolicyModel
from credit_limit.config import EffectivePolicy
from credit_limit.decision import LimitDecision, OverrideRecord
from credit_limit.engine import compute_limit
from credit_limit.exceptions import OverrideRefused

__all__ = ["OVERRIDE_SCHEMA", "Override", "apply_override"]

OVERRIDE_SCHEMA: Literal["override/1"] = "override/1"


class Override(PolicyModel):
    """A request to override a household's grade, its limit, or both."""

    schema_version: Literal["override/1"] = OVERRIDE_SCHEMA
    new_grade: Grade | None = None
    new_limit: int | None = None
    reason_code: str | None
    approver_role: str
    approver_id: str
    approved_at: datetime
    note: str = ""

    @field_validator("approved_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("approved_at must carry a time zone")
        return value


def _refuse(rule: str, message: str, **fields: Any) -> OverrideRefused:
    return OverrideRefused(f"Override refused by {rule}: {message}", rule=rule, **fields)


def _check_reason(override: Override, policy: EffectivePolicy) -> None:
    rules = policy.federation.override
    if override.reason_code is None:
        if rules.reason_code_required:
            raise _refuse("override.reason_code_required", "a reason code is required")
        return
    if override.reason_code not in rules.reason_codes:
        raise _refuse(
            "override.reason_codes",
            f"reason code {override.reason_code!r} is not one of {sorted(rules.reason_codes)}",
            reason_code=override.reason_code,
        )


def _check_grade(old: str, override: Override, policy: EffectivePolicy) -> None:
    new = override.new_grade
    if new is None or new == old:
        return
    own, role = policy.bank.override, override.approver_role
    notches = GRADES.index(old) - GRADES.index(new)  # > 0: upgrade
    if notches > own.max_notches_up:
        raise _refuse(
            "override.max_notches_up",
            f"an upgrade of {notches} notch(es) ({old} -> "
            f"{new}) exceeds the bank's limit of {own.max_notches_up}",
            notches=notches,
        )
    roles, rule = (
        (own.upgrade_roles, "override.upgrade_roles")
        if notches > 0
        else (own.downgrade_roles, "override.downgrade_roles")
    )
    if role not in roles:
        raise _refuse(
            rule,
            f"role {role!r} may not approve {old} -> {new}; allowed: {roles}",
            approver_role=role,
        )


def _check_limit(
    decision: LimitDecision, new_limit: int, override: Override, policy: EffectivePolicy
) -> None:
    if new_limit < 0:
        raise _refuse("limit.floor", f"new limit {new_limit} is below 0")
    if new_limit > 0 and "knockout" in decision.binding:
        raise _refuse(
            "knockout",
            f"the household is knocked out "
            f"({', '.join(decision.reasons)}); no limit may be granted",
        )
    if new_limit > 0 and decision.grade in policy.federation.no_credit_grades:
        raise _refuse("no_credit_grades", f"grade {decision.grade} is rated but never granted")
    for cap in ("cap_grade", "cap_product", "cap_regulatory"):
        bound = decision.terms.get(cap)
        if bound is not None and new_limit > max(bound, 0):
            raise _refuse(
                f"caps.{cap.removeprefix('cap_')}",
                f"new limit {new_limit} exceeds the {cap.removeprefix('cap_')} cap {bound:.0f}",
                cap=cap,
            )
    unit = policy.bank.rounding.unit
    if new_limit % unit:
        raise _refuse("rounding.unit", f"new limit {new_limit} is not a multiple of {unit}")
    own, role = policy.bank.override, override.approver_role
    roles, rule = (
        (own.limit_increase_roles, "override.limit_increase_roles")
        if new_limit > decision.limit
        else (own.limit_decrease_roles, "override.limit_decrease_roles")
    )
    if new_limit != decision.limit and role not in roles:
        raise _refuse(
            rule,
            f"role {role!r} may not approve a limit of {new_limit} against "
            f"the computed {decision.limit}; allowed: {roles}",
            approver_role=role,
        )


def apply_override(
    household: Mapping[str, Any], policy: EffectivePolicy, override: Override
) -> LimitDecision:
    """The decision after ``override``: grade first (the limit is recomputed), then the limit.

    Raises
    ------
    OverrideRefused
        Naming the rule in ``fields['rule']`` (e.g. ``override.max_notches_up``).
    """
    if override.new_grade is None and override.new_limit is None:
        raise _refuse("override.empty", "neither a new grade nor a new limit was given")
    original = compute_limit(household, policy)
    _check_reason(override, policy)
    old = original.grade
    _check_grade(old, override, policy)
    decision = original
    if override.new_grade is not None and override.new_grade != old:
        decision = compute_limit({**household, "grade": override.new_grade}, policy)
    limit = decision.limit
    if override.new_limit is not None:
        _check_limit(decision, override.new_limit, override, policy)
        limit = override.new_limit
    record = OverrideRecord(
        original_grade=old,
        new_grade=override.new_grade,
        new_limit=override.new_limit,
        reason_code=override.reason_code,
        approver_role=override.approver_role,
        approver_id=override.approver_id,
        approved_at=override.approved_at,
        note=override.note,
    )
    binding = ("override",) if limit != decision.limit else decision.binding
    return decision.model_copy(
        update={
            "limit": limit,
            "binding": binding,
            "override": record,
            "computed_limit": original.limit,
        }
    )
