"""The limit engine: hand-worked examples, binding constraints, input errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_limit.config import EffectivePolicy
from credit_limit.engine import compute_limit, compute_limits
from credit_limit.examples import blank_household, worked_example_b, worked_example_e
from credit_limit.exceptions import LimitInputError
from credit_limit.policy import BankPolicy


def variant(policy: EffectivePolicy, **changes: Any) -> EffectivePolicy:
    """The policy with top-level fields replaced (nested dicts merged one level deep)."""
    data = policy.bank.to_dict()
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return EffectivePolicy.resolve(policy.federation, BankPolicy.from_dict(data))


def one(household: dict[str, Any], policy: EffectivePolicy) -> tuple[int, str]:
    """Limit and binding from both paths, checked equal."""
    frame = compute_limits(pd.DataFrame([household]), policy)
    decision = compute_limit(household, policy)
    assert decision.limit == int(frame["limit"].iloc[0])
    assert "+".join(decision.binding) == frame["binding"].iloc[0]
    return decision.limit, "+".join(decision.binding)


def test_worked_example_e(sample_policies: dict[str, EffectivePolicy]) -> None:
    """§2.1 (e): min(80k x 2.5, 300k x 0.5) - 50k = 100k, x 1.0, under the B caps -> 10万."""
    policy = sample_policies["301"]
    out = compute_limits(worked_example_e(), policy).iloc[0]
    assert out["capacity_income"] == 200_000
    assert out["capacity_assets"] == 150_000
    assert out["debt_deduction"] == 50_000
    assert out["cap_product"] == 200_000
    assert out["limit"] == 100_000
    assert out["binding"] == "assets"


def test_worked_example_b(sample_policies: dict[str, EffectivePolicy]) -> None:
    """§2.1 (b): AAA base 10万 + 10% x 40万 assets + 30% x 15万 income = 18.5万 under 20万."""
    policy = variant(
        sample_policies["301"],
        limit_formula="base_plus_shares",
        base_plus_shares={
            "base": {"A": 100_000, "B": 80_000, "C": 50_000, "D": 0},
            "asset_pct": 0.10,
            "income_pct": 0.30,
        },
        caps={"pure_credit": {"A": 200_000, "B": 200_000, "C": 100_000, "D": 50_000, "E": 0}},
        rounding={"unit": 1000},
    )
    out = compute_limits(worked_example_b(), policy).iloc[0]
    assert out["base_plus_shares"] == pytest.approx(185_000)
    assert np.isnan(out["capacity_income"])
    assert (out["limit"], out["binding"]) == (185_000, "base_plus_shares")


# Each case starts from the worked example (e) household at bank 301: grade B, net income
# 80k, net assets 300k, other-bank debt 50k, 40 mu of vegetables (need 160k).
RICH = {
    "grade": "A",
    "income_crop": 400_000.0,
    "assets_house": 2_000_000.0,
    "land_mu": 200.0,
    "debt_other_banks": 0.0,
}
CASES = [
    pytest.param({}, 100_000, "assets", id="worked-e"),
    pytest.param(
        {"credit_village_status": "credit_village"}, 110_000, "assets", id="credit-village-1.1"
    ),
    pytest.param(
        {"credit_village_status": "watchlist", "term_years": 3},
        70_000,
        "assets",
        id="watchlist-0.8-term3-0.9-floor",
    ),
    pytest.param({"guarantees_given": 20_000.0}, 90_000, "assets", id="half-of-guarantees"),
    pytest.param(
        {"debt_this_bank": 30_000.0}, 80_000, "assets", id="own-debt-lowers-net-assets-only"
    ),
    pytest.param({"grade": "E"}, 0, "grade_no_credit", id="grade-E"),
    pytest.param({"knockout": True}, 0, "knockout", id="knockout"),
    pytest.param({"product": "mortgage"}, 0, "product_not_offered", id="not-offered"),
    pytest.param({"debt_other_banks": 200_000.0}, 0, "debt", id="debt-exceeds-capacity"),
    pytest.param({"expense_living": 200_000.0}, 0, "income", id="negative-net-income"),
    pytest.param(
        {"debt_other_banks": 0.0, "land_mu": 10.0},
        70_000,
        "need",
        id="need: 30k base + 10 mu x 4000",
    ),
    pytest.param(
        {
            "debt_other_banks": 0.0,
            "land_mu": 0.0,
            "livestock_heads": 10,
            "income_business": 30_000.0,
        },
        60_000,
        "need",
        id="need: 30k base + 10 heads x 2000 + 0.5 x 30k business = 65k",
    ),
    pytest.param(RICH, 300_000, "product_cap", id="pure-credit-cap-A"),
    pytest.param(
        {**RICH, "product": "joint_guarantee"},
        500_000,
        "grade_cap+product_cap",
        id="tie-grade-and-product-cap",
    ),
    pytest.param(
        {
            "income_crop": 100_000.0,
            "expense_production": 40_000.0,
            "assets_house": 200_000.0,
            "debt_other_banks": 0.0,
        },
        150_000,
        "income+assets",
        id="tie-income-assets",
    ),
]


@pytest.mark.parametrize(("changes", "limit", "binding"), CASES)
def test_hand_checked(
    sample_policies: dict[str, EffectivePolicy], changes: dict[str, Any], limit: int, binding: str
) -> None:
    household = {**worked_example_e().iloc[0].to_dict(), **changes}
    assert one(household, sample_policies["301"]) == (limit, binding)


def test_regulatory_cap_from_capital(sample_policies: dict[str, EffectivePolicy]) -> None:
    """A bank with 2m yuan of capital may lend one household at most 10% of it."""
    policy = variant(sample_policies["301"], capital=2_000_000)
    household = {**worked_example_e().iloc[0].to_dict(), **RICH}
    assert one(household, policy) == (200_000, "regulatory_cap")


@pytest.mark.parametrize(("unit", "expected"), [(10_000, 90_000), (5_000, 95_000), (1_000, 99_000)])
def test_rounds_down_to_the_unit(
    sample_policies: dict[str, EffectivePolicy], unit: int, expected: int
) -> None:
    household = {
        **worked_example_e().iloc[0].to_dict(),
        "debt_other_banks": 50_000.0,
        "guarantees_given": 1_998.0,
    }  # capacity 100k - 50k - 999 = 99,001
    policy = variant(sample_policies["301"], rounding={"unit": unit})
    assert one(household, policy)[0] == expected


@pytest.mark.parametrize(
    ("guarantees", "expected"), [(1_998.006, 99_000), (2_000.006, 99_000), (2_000.012, 98_000)]
)
def test_the_amount_is_rounded_to_the_fen_before_the_unit(
    sample_policies: dict[str, EffectivePolicy], guarantees: float, expected: int
) -> None:
    # capacity 100k - 50k - guarantees / 2: 99,000.997 floors to 99,000; 98,999.997 is
    # 99,000.00 in fen (a rounding residue, not a shortfall) and floors to 99,000;
    # 98,999.994 is 98,999.99 in fen and floors to 98,000
    household = {
        **worked_example_e().iloc[0].to_dict(),
        "debt_other_banks": 50_000.0,
        "guarantees_given": guarantees,
    }
    policy = variant(sample_policies["301"], rounding={"unit": 1_000})
    assert one(household, policy)[0] == expected


def test_decision_records_lineage(sample_policies: dict[str, EffectivePolicy]) -> None:
    policy = sample_policies["302"]
    household = blank_household(
        knockout=True, knockout_reasons="dishonest_judgment_debtor", bank_code="302"
    )
    decision = compute_limit(household, policy)
    assert decision.reasons == ("dishonest_judgment_debtor",)
    assert decision.bank_hash == policy.bank.content_hash
    assert decision.federation_hash == policy.federation.content_hash
    assert type(decision).from_dict(decision.to_dict()) == decision


def test_requested_product_is_read_when_product_is_absent(
    sample_policies: dict[str, EffectivePolicy],
) -> None:
    frame = worked_example_e().rename(columns={"product": "requested_product"})
    assert compute_limits(frame, sample_policies["301"])["limit"].iloc[0] == 100_000


def test_does_not_change_its_input(sample_policies: dict[str, EffectivePolicy]) -> None:
    frame = worked_example_e()
    before = frame.copy()
    compute_limits(frame, sample_policies["301"])
    pd.testing.assert_frame_equal(frame, before)


BAD_INPUTS = [
    ({"land_mu": -1.0}, r"Column 'land_mu' must be >= 0"),
    ({"income_wage": np.nan}, r"Column 'income_wage' has 1 missing"),
    ({"income_wage": "lots"}, r"Column 'income_wage' must be numeric"),
    ({"grade": "AAA"}, r"'grade' .*AAA.* outside \['A', 'B', 'C', 'D', 'E'\]"),
    ({"credit_village_status": "rich"}, r"'credit_village_status' .*rich"),
    ({"term_years": 9}, r"term_years \[9\] have no term adjustment"),
    ({"term_years": 1.5}, r"'term_years' must hold whole years"),
]


@pytest.mark.parametrize(("changes", "match"), BAD_INPUTS)
@pytest.mark.parametrize("path", ["frame", "one"])
def test_bad_input_is_refused_naming_the_column(
    sample_policies: dict[str, EffectivePolicy], changes: dict[str, Any], match: str, path: str
) -> None:
    household = {**blank_household(), **changes}
    policy = sample_policies["301"]
    run = (
        (lambda: compute_limits(pd.DataFrame([household]), policy))
        if path == "frame"
        else (lambda: compute_limit(household, policy))
    )
    with pytest.raises(LimitInputError, match=match):
        run()


def test_missing_columns_are_listed(sample_policies: dict[str, EffectivePolicy]) -> None:
    frame = worked_example_e().drop(columns=["land_mu", "debt_informal"])
    with pytest.raises(LimitInputError, match=r"lacks column\(s\) \[.debt_informal., .land_mu.\]"):
        compute_limits(frame, sample_policies["301"])


def test_categorical_columns_give_the_same_limits(
    sample_policies: dict[str, EffectivePolicy],
) -> None:
    frame = pd.concat([worked_example_e()] * 3, ignore_index=True)
    frame.loc[1, "grade"], frame.loc[2, "product"] = "E", "mortgage"
    as_categories = frame.astype(dict.fromkeys(("grade", "product", "main_crop"), "category"))
    plain = compute_limits(frame, sample_policies["301"])
    pd.testing.assert_frame_equal(compute_limits(as_categories, sample_policies["301"]), plain)
    assert plain["binding"].astype(str).tolist() == [
        "assets",
        "grade_no_credit",
        "product_not_offered",
    ]
    as_categories["grade"] = as_categories["grade"].cat.add_categories("X")
    as_categories.loc[0, "grade"] = "X"
    with pytest.raises(LimitInputError, match=r"'grade' has value\(s\) \['X'\]"):
        compute_limits(as_categories, sample_policies["301"])


@pytest.mark.parametrize("flag", [1.5, None])
def test_knockout_must_be_bool_or_codes(
    sample_policies: dict[str, EffectivePolicy], flag: object
) -> None:
    with pytest.raises(LimitInputError, match="'knockout'"):
        compute_limit(blank_household(knockout=flag), sample_policies["301"])
