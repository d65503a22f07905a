"""Red-line checks: every way a bank policy can break the federation's lines, listed at once.

Each check appends a :class:`~credit_limit._base.Violation` naming the file, the dotted field,
its value and the red line; the rule text is generated from the bound that was broken.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credit_limit._base import (
    BLOCKS,
    CREDIT_GRADES,
    DEBT_KINDS,
    GRADES,
    VILLAGE_STATUSES,
    Violation,
    missing,
)
from credit_limit.policy import BankPolicy
from credit_limit.redlines import FederationRedLines

__all__ = ["check_bank_policy", "check_federation"]


@dataclass
class _Checker:
    """Collects violations for one source file."""

    source: str
    found: list[Violation] = field(default_factory=list)

    def add(self, path: str, value: Any, rule: str) -> None:
        self.found.append(Violation(self.source, path, value, rule))

    def require(self, path: str, mapping: Mapping[Any, Any], keys: Iterable[Any]) -> None:
        for key in keys:
            if key not in mapping:
                self.found.append(missing(self.source, f"{path}.{key}"))

    def at_most(self, path: str, value: float, bound: float, line: str) -> None:
        if value > bound:
            self.add(path, value, f"exceeds {line} {_num(bound)}")

    def at_least(self, path: str, value: float, bound: float, line: str) -> None:
        if value < bound:
            self.add(path, value, f"is below {line} {_num(bound)}")

    def within(self, path: str, value: float, bounds: Sequence[float], line: str) -> None:
        low, high = bounds
        if not low <= value <= high:
            self.add(path, value, f"is outside {line} [{_num(low)}, {_num(high)}]")

    def member(self, path: str, value: Any, allowed: Sequence[Any], line: str) -> None:
        if value not in allowed:
            self.add(path, value, f"is not one of {line} {list(allowed)}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def check_federation(lines: FederationRedLines, source: str) -> list[Violation]:
    """Internal consistency of the red lines themselves (ranges ordered, scale complete)."""
    check = _Checker(source)
    if tuple(lines.grade_scale) != GRADES:
        check.add("grade_scale", lines.grade_scale, f"must be exactly {list(GRADES)}")
    check.require("grade_labels", lines.grade_labels, GRADES)
    check.require("cutoff_ranges", lines.cutoff_ranges, CREDIT_GRADES)
    check.require("block_weight_ranges", lines.block_weight_ranges, BLOCKS)
    check.require("grade_caps", lines.grade_caps, GRADES)
    check.require("debt_deduction_min", lines.debt_deduction_min, DEBT_KINDS)
    check.require("village_coef_ranges", lines.village_coef_ranges, VILLAGE_STATUSES)
    for product, caps in lines.caps.items():
        check.require(f"caps.{product}", caps, GRADES)
    ranges: dict[str, tuple[float, float]] = {
        "asset_share_range": lines.asset_share_range,
        "blend_expert_weight_range": lines.blend_expert_weight_range,
        "term.adjustment_range": lines.term.adjustment_range,
        **{f"cutoff_ranges.{g}": r for g, r in lines.cutoff_ranges.items()},
        **{f"block_weight_ranges.{b}": r for b, r in lines.block_weight_ranges.items()},
        **{f"village_coef_ranges.{s}": r for s, r in lines.village_coef_ranges.items()},
    }
    for path, (low, high) in ranges.items():
        if low > high:
            check.add(path, [low, high], "is an empty range (low > high)")
        if low < 0:
            check.add(path, [low, high], "must not go below 0")
    for path, (low, _) in ranges.items():
        if path.startswith(("village_coef_ranges", "term.")) and low <= 0:
            check.add(path, low, "must be > 0 (a coefficient of 0 hides a household)")
    if not set(lines.override.upgrade_roles) <= set(lines.override.approver_roles):
        check.add("override.upgrade_roles", lines.override.upgrade_roles, "must be approver_roles")
    return check.found


def check_bank_policy(
    lines: FederationRedLines, policy: BankPolicy, source: str
) -> list[Violation]:
    """Every violation of the red lines ``lines`` by the bank policy ``policy``.

    Examples
    --------
    >>> from credit_limit.config import load_federation, load_bank_policy
    >>> lines = load_federation("config/federation.yaml")
    >>> check_bank_policy(lines, load_bank_policy("config/banks/301.yaml"), "banks/301.yaml")
    []
    """
    check = _Checker(source)
    for step in (
        _check_rating,
        _check_caps,
        _check_capacity,
        _check_debt_and_village,
        _check_term_and_rounding,
        _check_override,
        _check_cadence,
    ):
        step(check, lines, policy)
    return check.found


def _check_rating(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    rating = policy.rating
    check.member("rating.mode", rating.mode, lines.rating_modes, "the federation's rating modes")
    if rating.mode == "blend":
        if rating.expert_weight is None:
            check.found.append(
                missing(
                    check.source,
                    "rating.expert_weight",
                    "is missing (required when rating.mode = blend)",
                )
            )
        else:
            check.within(
                "rating.expert_weight",
                rating.expert_weight,
                lines.blend_expert_weight_range,
                "federation blend range",
            )
    _check_cutoffs(check, lines, policy)
    check.require("rating.block_weights", rating.block_weights, BLOCKS)
    for block, weight in rating.block_weights.items():
        check.within(
            f"rating.block_weights.{block}",
            weight,
            lines.block_weight_ranges[block],
            "federation block-weight range",
        )
    total = sum(rating.block_weights.values())
    if abs(total - lines.block_weight_total) > 1e-9:
        check.add(
            "rating.block_weights",
            _num(total),
            f"must sum to the federation total {_num(lines.block_weight_total)}",
        )


def _check_cutoffs(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    rating = policy.rating
    check.require("rating.cutoffs", rating.cutoffs, CREDIT_GRADES)
    for grade, cut in rating.cutoffs.items():
        bounds = lines.cutoff_ranges.get(grade)
        if bounds is None:
            check.add(
                f"rating.cutoffs.{grade}",
                cut,
                f"has no federation range (grade {grade} takes every PD above {CREDIT_GRADES[-1]})",
            )
        else:
            check.within(f"rating.cutoffs.{grade}", cut, bounds, "federation cut-off range")
    cuts = [rating.cutoffs[g] for g in CREDIT_GRADES if g in rating.cutoffs]
    if any(later <= earlier for earlier, later in itertools.pairwise(cuts)):
        check.add("rating.cutoffs", cuts, "must increase strictly from A to D")


def _check_caps(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    _check_cap_table(
        check,
        "grade_caps",
        policy.grade_caps,
        lines.grade_caps,
        lines.no_credit_grades,
        "federation grade cap",
    )
    if not policy.caps:
        check.add("caps", {}, "must offer at least one product")
    for product, caps in policy.caps.items():
        ceiling = lines.caps.get(product)
        if ceiling is None:
            check.add(f"caps.{product}", caps, "is a product the federation sets no cap for")
            continue
        _check_cap_table(
            check, f"caps.{product}", caps, ceiling, lines.no_credit_grades, "federation cap"
        )
    if policy.capital <= 0:
        check.add("capital", policy.capital, "must be > 0")


def _check_cap_table(
    check: _Checker,
    path: str,
    caps: Mapping[Any, int],
    ceiling: Mapping[Any, int],
    no_credit: Sequence[str],
    line: str,
) -> None:
    check.require(path, caps, GRADES)
    for grade, cap in caps.items():
        check.at_least(f"{path}.{grade}", cap, 0, "the floor")
        if grade in no_credit and cap != 0:
            check.add(
                f"{path}.{grade}",
                cap,
                f"must be 0: grade {grade} is rated but never granted credit",
            )
        else:
            check.at_most(f"{path}.{grade}", cap, ceiling.get(grade, 0), line)


def _check_capacity(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    check.member(
        "limit_formula",
        policy.limit_formula,
        lines.limit_formulas,
        "the federation's limit formulas",
    )
    check.require("k_income", policy.k_income, CREDIT_GRADES)
    for grade, k in policy.k_income.items():
        check.at_most(
            f"k_income.{grade}", k, lines.income_multiple_max, "federation maximum income multiple"
        )
        check.at_least(f"k_income.{grade}", k, 0, "the floor")
    multiples = [policy.k_income[g] for g in CREDIT_GRADES if g in policy.k_income]
    if any(later > earlier for earlier, later in itertools.pairwise(multiples)):
        check.add("k_income", multiples, "must not rise from a better to a worse grade")
    check.require("asset_share", policy.asset_share, CREDIT_GRADES)
    for grade, share in policy.asset_share.items():
        check.within(
            f"asset_share.{grade}", share, lines.asset_share_range, "federation asset-share range"
        )
    cost = policy.production_cost
    check.require("production_cost.per_mu", cost.per_mu, lines.production_crops)
    for crop, value in cost.per_mu.items():
        check.at_least(f"production_cost.per_mu.{crop}", value, 0, "the floor")
    check.at_least("production_cost.per_livestock_head", cost.per_livestock_head, 0, "the floor")
    check.within(
        "production_cost.need_base",
        cost.need_base,
        (0, lines.need_base_max),
        "federation base-need range",
    )
    check.within(
        "production_cost.business_income_share",
        cost.business_income_share,
        (0, 1),
        "the share range",
    )
    _check_base_plus_shares(check, lines, policy)


def _check_base_plus_shares(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    params = policy.base_plus_shares
    if params is None:
        if policy.limit_formula == "base_plus_shares":
            check.found.append(
                missing(
                    check.source,
                    "base_plus_shares",
                    "is missing (required when limit_formula = base_plus_shares)",
                )
            )
        return
    check.require("base_plus_shares.base", params.base, CREDIT_GRADES)
    for grade, base in params.base.items():
        check.at_least(f"base_plus_shares.base.{grade}", base, 0, "the floor")
        check.at_most(
            f"base_plus_shares.base.{grade}",
            base,
            lines.grade_caps.get(grade, 0),
            "federation grade cap",
        )
    check.within(
        "base_plus_shares.asset_pct",
        params.asset_pct,
        (0, lines.base_plus_shares_max.asset_pct_max),
        "federation range",
    )
    check.within(
        "base_plus_shares.income_pct",
        params.income_pct,
        (0, lines.base_plus_shares_max.income_pct_max),
        "federation range",
    )


def _check_debt_and_village(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    check.require("debt_deduction", policy.debt_deduction, DEBT_KINDS)
    for kind, share in policy.debt_deduction.items():
        check.at_least(
            f"debt_deduction.{kind}",
            share,
            lines.debt_deduction_min.get(kind, 0),
            "federation minimum deduction",
        )
        check.at_most(f"debt_deduction.{kind}", share, 1.0, "the full debt")
    check.require("village_coef", policy.village_coef, VILLAGE_STATUSES)
    for status, coef in policy.village_coef.items():
        check.within(
            f"village_coef.{status}",
            coef,
            lines.village_coef_ranges[status],
            "federation village-coefficient range",
        )


def _check_term_and_rounding(
    check: _Checker, lines: FederationRedLines, policy: BankPolicy
) -> None:
    term = policy.term
    years = range(1, lines.term.years_max + 1)
    if term.default_years not in term.adjustment:
        check.add("term.default_years", term.default_years, "has no term.adjustment entry")
    for year, factor in term.adjustment.items():
        check.member(f"term.adjustment.{year}", year, list(years), "the federation's terms (years)")
        check.within(
            f"term.adjustment.{year}",
            factor,
            lines.term.adjustment_range,
            "federation term-adjustment range",
        )
    check.member(
        "rounding.unit",
        policy.rounding.unit,
        lines.rounding.units,
        "the federation's rounding units",
    )
    check.member(
        "rounding.mode",
        policy.rounding.mode,
        lines.rounding.modes,
        "the federation's rounding modes",
    )


def _check_override(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    rules, own = lines.override, policy.override
    check.at_most(
        "override.max_notches_up",
        own.max_notches_up,
        rules.max_notches_up,
        "federation maximum notches up",
    )
    check.at_least("override.max_notches_up", own.max_notches_up, 0, "the floor")
    allowed = {
        "upgrade_roles": rules.upgrade_roles,
        "limit_increase_roles": rules.limit_increase_roles,
        "downgrade_roles": rules.approver_roles,
        "limit_decrease_roles": rules.approver_roles,
    }
    for name, roles in allowed.items():
        for role in getattr(own, name):
            check.member(f"override.{name}", role, roles, f"the federation's {name}")


def _check_cadence(check: _Checker, lines: FederationRedLines, policy: BankPolicy) -> None:
    check.within(
        "validity_years",
        policy.validity_years,
        (1, lines.validity_years_max),
        "federation validity range (years)",
    )
    check.within(
        "rerating_months",
        policy.rerating_months,
        (1, lines.rerating_months_max),
        "federation re-rating range (months)",
    )
    floors = lines.expected_loss_floors
    check.within(
        "expected_loss.lgd", policy.expected_loss.lgd, (floors.lgd_min, 1.0), "federation LGD range"
    )
    check.within(
        "expected_loss.utilisation",
        policy.expected_loss.utilisation,
        (floors.utilisation_min, 1.0),
        "federation utilisation range",
    )
    check.within(
        "bureau_reuse_days",
        policy.bureau_reuse_days,
        (0, lines.bureau_reuse_days_max),
        "federation report-reuse window (days)",
    )
