"""A bank's policy (法人行社参数): rating mode, cut-offs, limit parameters, inside the red lines.

Loaded from ``config/banks/<bank_code>.yaml``. The schema here checks types and names only;
every bound (red line) and every internal consistency rule is checked by
:func:`credit_limit.checks.check_bank_policy`, so one run lists every violation at once.
Money is in yuan.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator

from credit_limit._base import (
    CREDIT_GRADES,
    GRADES,
    Block,
    Crop,
    DebtKind,
    Grade,
    PolicyModel,
    Product,
    VillageStatus,
)

__all__ = [
    "BANK_SCHEMA",
    "BankPolicy",
    "BasePlusShares",
    "ExpectedLoss",
    "OverridePolicy",
    "ProductionCost",
    "RatingPolicy",
    "Rounding",
    "TermPolicy",
    "grades_for_pd",
]

BANK_SCHEMA: Literal["bank-policy/1"] = "bank-policy/1"

RatingMode = Literal["blend", "agree_or_escalate", "minimum"]


def grades_for_pd(pd_values: npt.ArrayLike, cutoffs: dict[Grade, float]) -> npt.NDArray[np.str_]:
    """Grade of each PD: the best grade whose maximum PD is at least the PD.

    Examples
    --------
    >>> cut = {"A": 0.01, "B": 0.025, "C": 0.05, "D": 0.10}
    >>> grades_for_pd([0.004, 0.01, 0.011, 0.3], cut).tolist()
    ['A', 'A', 'B', 'E']
    """
    edges = np.array([cutoffs[g] for g in CREDIT_GRADES], dtype=float)
    index = np.searchsorted(edges, np.asarray(pd_values, dtype=float), side="left")
    return np.array(GRADES, dtype="<U1")[index]


class RatingPolicy(PolicyModel):
    """How the bank turns expert card and model into a grade (read by ``rating_models``)."""

    mode: RatingMode = Field(
        description="blend: weighted score; agree_or_escalate: auto only when grades agree; "
        "minimum: the worse of the two grades."
    )
    expert_weight: float | None = Field(
        default=None, description="Weight of the expert card in `blend` mode (model gets 1 - w)."
    )
    cutoffs: dict[Grade, float] = Field(description="Maximum PD of grades A-D; E is the rest.")
    block_weights: dict[Block, float] = Field(description="Expert-card points per block.")
    knockouts_added: list[str] = Field(
        default_factory=list, description="Knockouts on top of the federation's minimum set."
    )
    expert_card: str | None = Field(
        default=None, description="Name of the expert card under config/expert_cards/."
    )

    def grades_for_pd(self, pd_values: npt.ArrayLike) -> npt.NDArray[np.str_]:
        """Grade of each PD under this bank's cut-offs (vectorised)."""
        return grades_for_pd(pd_values, self.cutoffs)


class ProductionCost(PolicyModel):
    """Documented need: a base amount, input cost per mu by crop, per head of livestock."""

    per_mu: dict[Crop, float]
    per_livestock_head: float
    need_base: float = Field(
        default=0.0,
        description="Amount every household needs whatever it farms (§2.1 (d), the village-level "
        "base amount of basic credit), added to the production need; yuan.",
    )
    business_income_share: float = Field(
        default=0.0, description="Share of yearly business income counted as working capital."
    )


class BasePlusShares(PolicyModel):
    """Parameters of the base-plus-shares formula (§2.1 (b))."""

    base: dict[Grade, float]
    asset_pct: float = Field(description="Share of total household assets.")
    income_pct: float = Field(description="Share of operating income (crops, livestock, business).")


class TermPolicy(PolicyModel):
    """Default term of a line and the adjustment factor by term in years."""

    default_years: int
    adjustment: dict[int, float]


class Rounding(PolicyModel):
    """Limits are rounded to ``unit`` yuan by ``mode``."""

    unit: int
    mode: Literal["floor"] = "floor"


class OverridePolicy(PolicyModel):
    """The bank's approval chain for overrides, inside the federation's override lines."""

    max_notches_up: int
    upgrade_roles: list[str]
    downgrade_roles: list[str]
    limit_increase_roles: list[str]
    limit_decrease_roles: list[str]


class ExpectedLoss(PolicyModel):
    """LGD and utilisation used for the expected loss of a what-if (EL = PD x LGD x limit x u)."""

    lgd: float
    utilisation: float


class BankPolicy(PolicyModel):
    """One bank's effective-dated policy; its :attr:`content_hash` is recorded on decisions.

    Examples
    --------
    >>> from credit_limit.config import load_bank_policy
    >>> policy = load_bank_policy("config/banks/301.yaml")
    >>> policy.code, policy.rating.mode
    ('301', 'blend')
    """

    schema_version: Literal["bank-policy/1"] = BANK_SCHEMA
    code: str = Field(pattern=r"^\d{3}$")
    name: str
    version: str
    effective_date: date
    capital: float = Field(description="Regulatory capital, yuan (single-borrower check).")
    rating: RatingPolicy
    limit_formula: Literal["capacity", "base_plus_shares"] = "capacity"
    grade_caps: dict[Grade, int]
    caps: dict[Product, dict[Grade, int]] = Field(
        description="Product caps by grade; a product left out is not offered."
    )
    k_income: dict[Grade, float] = Field(description="Income multiple by grade (A-D).")
    asset_share: dict[Grade, float] = Field(description="Share of net assets by grade (A-D).")
    production_cost: ProductionCost
    base_plus_shares: BasePlusShares | None = None
    debt_deduction: dict[DebtKind, float]
    village_coef: dict[VillageStatus, float]
    term: TermPolicy
    rounding: Rounding
    override: OverridePolicy
    validity_years: int
    rerating_months: int
    expected_loss: ExpectedLoss
    bureau_reuse_days: int

    @field_validator("asset_share", mode="before")
    @classmethod
    def _one_share_for_all(cls, value: object) -> object:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dict.fromkeys(CREDIT_GRADES, value)
        return value
