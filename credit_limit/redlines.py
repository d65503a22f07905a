"""The federation's red lines (省联社红线): the bounds every bank policy must sit inside.

Loaded from ``config/federation.yaml``. Ranges are ``[low, high]`` pairs, both inclusive.
Money is in yuan. The split between what the federation fixes and what a bank tunes follows
§3.2 of ``docs/farmer-rating-and-limits.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from credit_limit._base import Block, Crop, DebtKind, Grade, PolicyModel, Product, VillageStatus

__all__ = [
    "FEDERATION_SCHEMA",
    "BasePlusSharesLines",
    "ExpectedLossFloors",
    "FederationRedLines",
    "ModelValidationLines",
    "OverrideLines",
    "RoundingLines",
    "TermLines",
]

FEDERATION_SCHEMA: Literal["federation-redlines/1"] = "federation-redlines/1"

Range = tuple[float, float]


class RoundingLines(PolicyModel):
    """Units a bank may round limits to, and the allowed modes (``floor`` = round down)."""

    units: list[int] = Field(description="Allowed rounding units in yuan, e.g. [1000, 10000].")
    modes: list[Literal["floor"]] = Field(description="Allowed rounding modes.")


class TermLines(PolicyModel):
    """Longest loan term and the range of the term adjustment factor."""

    years_max: int = Field(description="Longest term of a line, years.")
    adjustment_range: Range = Field(description="Allowed term adjustment factor.")


class OverrideLines(PolicyModel):
    """Who may override a grade or a limit, and how far."""

    max_notches_up: int = Field(description="Most grades an override may raise a household.")
    approver_roles: list[str] = Field(description="Every role that may approve an override.")
    upgrade_roles: list[str] = Field(description="Roles that may approve a grade upgrade.")
    limit_increase_roles: list[str] = Field(
        description="Roles that may approve a limit above the computed one."
    )
    reason_code_required: bool = True
    reason_codes: dict[str, str] = Field(description="Override reason code -> description.")


class ModelValidationLines(PolicyModel):
    """Thresholds a model must meet to be promoted and the drift alerts (read by the registry)."""

    psi_watch: float = Field(description="PSI at or above this is put on watch.")
    psi_alert: float = Field(description="PSI at or above this needs action.")
    auc_min: float = Field(description="Lowest validation AUC of a promotable model.")
    auc_tolerance: float = Field(
        description="Largest AUC drop of a challenger against the champion for promotion."
    )
    ks_tolerance: float = Field(
        description="Largest KS drop of a challenger against the champion for promotion."
    )


class ExpectedLossFloors(PolicyModel):
    """Floors for the LGD and utilisation a bank uses in expected-loss what-ifs."""

    lgd_min: float
    utilisation_min: float


class BasePlusSharesLines(PolicyModel):
    """Ceilings for the base-plus-shares formula (§2.1 (b)) when a bank uses it."""

    asset_pct_max: float
    income_pct_max: float


class FederationRedLines(PolicyModel):
    """The federation's red lines, one effective-dated, content-hashed document.

    Examples
    --------
    >>> from credit_limit.config import load_federation
    >>> lines = load_federation("config/federation.yaml")
    >>> lines.caps["pure_credit"]["A"]
    300000
    """

    schema_version: Literal["federation-redlines/1"] = FEDERATION_SCHEMA
    name: str
    version: str
    effective_date: date
    grade_scale: list[Grade]
    grade_labels: dict[Grade, str]
    no_credit_grades: list[Grade] = Field(description="Grades rated but never granted credit.")
    knockouts: list[str] = Field(description="Minimum knockout set; banks may add more.")
    block_weight_ranges: dict[Block, Range]
    block_weight_total: float = 100.0
    cutoff_ranges: dict[Grade, Range] = Field(
        description="Allowed maximum PD of each grade (E takes every PD above D)."
    )
    grade_caps: dict[Grade, int] = Field(description="Household ceiling by grade, all products.")
    caps: dict[Product, dict[Grade, int]] = Field(description="Product ceilings by grade.")
    regulatory_caps: dict[str, int] = Field(description="Named regulatory household ceilings.")
    single_borrower_capital_share: float = Field(
        description="A line may not exceed this share of the bank's capital."
    )
    limit_formulas: list[Literal["capacity", "base_plus_shares"]]
    income_multiple_max: float
    need_base_max: float = Field(description="Largest base need a bank may give a household.")
    asset_share_range: Range
    base_plus_shares_max: BasePlusSharesLines
    debt_deduction_min: dict[DebtKind, float] = Field(
        description="Minimum share of each debt a bank must deduct from capacity."
    )
    village_coef_ranges: dict[VillageStatus, Range]
    production_crops: list[Crop] = Field(description="Crops a bank must give a cost per mu for.")
    term: TermLines
    rounding: RoundingLines
    override: OverrideLines
    validity_years_max: int
    rerating_months_max: int
    rating_modes: list[Literal["blend", "agree_or_escalate", "minimum"]]
    blend_expert_weight_range: Range
    auto_approve_requires_validated_model: bool = True
    model_validation: ModelValidationLines
    expected_loss_floors: ExpectedLossFloors
    bureau_reuse_days_max: int
