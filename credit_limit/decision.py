"""The limit decision of one household: the limit, why, and the policy versions behind it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from credit_limit._base import Grade, PolicyModel

__all__ = ["DECISION_SCHEMA", "LimitDecision", "OverrideRecord"]

DECISION_SCHEMA: Literal["limit-decision/1"] = "limit-decision/1"


class OverrideRecord(PolicyModel):
    """An accepted override as recorded on the decision."""

    original_grade: Grade
    new_grade: Grade | None
    new_limit: int | None
    reason_code: str | None
    approver_role: str
    approver_id: str
    approved_at: datetime
    note: str = ""


class LimitDecision(PolicyModel):
    """One household's limit with its binding constraint(s) and lineage.

    ``limit`` is what the household gets; ``computed_limit`` what the engine computed before
    any override. ``binding`` names the term(s) that set the limit (see
    :mod:`credit_limit.engine`), ``reasons`` why it is 0 when it is, ``terms`` every
    intermediate amount in yuan (``None`` when the bank's formula does not use it).
    """

    schema_version: Literal["limit-decision/1"] = DECISION_SCHEMA
    household_id: str | None
    bank_code: str
    grade: Grade
    product: str
    limit: int
    computed_limit: int
    binding: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    terms: dict[str, float | None] = Field(default_factory=dict)
    policy_version: str
    bank_hash: str
    federation_hash: str
    override: OverrideRecord | None = None
