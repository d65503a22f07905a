"""Invariants: every limit inside every applicable cap, a multiple of the unit; both paths agree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_limit._base import CREDIT_GRADES, PRODUCTS
from credit_limit.config import EffectivePolicy, load_policy
from credit_limit.engine import compute_limit, compute_limits
from credit_limit.policy import BankPolicy

CONFIG = Path(__file__).resolve().parents[2] / "config"
SAMPLES = {code: load_policy(code, CONFIG) for code in ("301", "302", "303")}
LINES = SAMPLES["301"].federation
RandomFrame = Callable[[np.random.Generator, int], pd.DataFrame]


@st.composite
def policies(draw: st.DrawFn) -> EffectivePolicy:
    """A bank policy anywhere inside the red lines (caps, unit, coefficients, multiples)."""
    base = draw(st.sampled_from(sorted(SAMPLES)))
    data: dict[str, Any] = SAMPLES[base].bank.to_dict()

    def cap_table(ceiling: dict[str, int]) -> dict[str, int]:
        return {
            g: (draw(st.integers(0, ceiling[g] // 1000)) * 1000 if g in CREDIT_GRADES else 0)
            for g in ceiling
        }

    data["grade_caps"] = cap_table(dict(LINES.grade_caps))
    offered = draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=4, unique=True))
    data["caps"] = {p: cap_table(dict(LINES.caps[p])) for p in offered}
    data["rounding"] = {"unit": draw(st.sampled_from(LINES.rounding.units)), "mode": "floor"}
    data["capital"] = draw(st.sampled_from([1e6, 3e6, 1e9]))
    k = sorted(
        (draw(st.floats(0.1, LINES.income_multiple_max)) for _ in CREDIT_GRADES), reverse=True
    )
    data["k_income"] = dict(zip(CREDIT_GRADES, k, strict=True))
    data["village_coef"] = {s: draw(st.floats(*r)) for s, r in LINES.village_coef_ranges.items()}
    data["debt_deduction"] = {
        kind: draw(st.floats(low, 1.0)) for kind, low in LINES.debt_deduction_min.items()
    }
    return EffectivePolicy.resolve(LINES, BankPolicy.from_dict(data))


def _check_inside_caps(frame: pd.DataFrame, out: pd.DataFrame, policy: EffectivePolicy) -> None:
    bank = policy.bank
    limits = out["limit"].to_numpy()
    assert (limits >= 0).all()
    assert (limits % bank.rounding.unit == 0).all()
    grade_cap = frame["grade"].map(bank.grade_caps).to_numpy()
    product_cap = np.array(
        [
            bank.caps.get(p, {}).get(g, 0)
            for p, g in zip(frame["product"], frame["grade"], strict=True)
        ]
    )
    assert (limits <= grade_cap).all()
    assert (limits <= product_cap).all()
    assert (limits <= policy.regulatory_cap).all()
    no_credit = frame["grade"].isin(policy.federation.no_credit_grades).to_numpy()
    assert (limits[no_credit | frame["knockout"].to_numpy()] == 0).all()
    # the engine floors the amount in fen (分) to the unit: 29,999.997 yuan is 30,000.00
    in_fen = np.round(out["limit_unrounded"].to_numpy(), 2)
    assert (limits <= in_fen).all()
    assert (in_fen - limits < bank.rounding.unit).all()


@settings(max_examples=40, deadline=None)
@given(policy=policies(), seed=st.integers(0, 2**32 - 1))
def test_every_limit_is_inside_every_cap_and_on_the_unit(
    random_frame: RandomFrame, policy: EffectivePolicy, seed: int
) -> None:
    frame = random_frame(np.random.default_rng(seed), 300)
    out = compute_limits(frame, policy)
    _check_inside_caps(frame, out, policy)


@settings(max_examples=15, deadline=None)
@given(policy=policies(), seed=st.integers(0, 2**32 - 1))
def test_one_household_path_equals_the_vectorised_path(
    random_frame: RandomFrame, policy: EffectivePolicy, seed: int
) -> None:
    frame = random_frame(np.random.default_rng(seed), 40)
    out = compute_limits(frame, policy)
    for row, (_, expected) in zip(frame.to_dict(orient="records"), out.iterrows(), strict=True):
        decision = compute_limit(row, policy)
        assert decision.limit == expected["limit"]
        assert "+".join(decision.binding) == expected["binding"]


SURVEY_MONEY = (
    *("income_crop", "income_livestock", "income_wage", "income_business", "income_other"),
    *("expense_living", "expense_production", "expense_education", "expense_medical"),
    *("assets_house", "assets_vehicle", "assets_machinery", "assets_livestock"),
    *("assets_deposits", "debt_this_bank", "debt_other_banks", "debt_informal"),
    "guarantees_given",
)
money = st.one_of(
    st.just(0.0), st.floats(0, 5e6, allow_nan=False), st.integers(0, 500).map(lambda v: v * 1000.0)
)


@settings(max_examples=150, deadline=None)
@given(
    household=st.fixed_dictionaries(
        {
            "grade": st.sampled_from(["A", "B", "C", "D", "E"]),
            "product": st.sampled_from(PRODUCTS),
            "credit_village_status": st.sampled_from(
                ["credit_township", "credit_village", "ordinary", "watchlist"]
            ),
            "main_crop": st.sampled_from(
                ["grain", "vegetables", "fruit", "tea", "cash_crop", "none"]
            ),
            "knockout": st.booleans(),
            "term_years": st.integers(1, 3),
            "land_mu": st.floats(0, 2000),
            "livestock_heads": st.integers(0, 5000),
            **dict.fromkeys(SURVEY_MONEY, money),
        }
    ),
    bank=st.sampled_from(["301", "302", "303"]),
)
def test_adversarial_households(household: dict[str, Any], bank: str) -> None:
    """Extreme and round values: inside caps, on the unit, and the same on both paths."""
    policy = SAMPLES[bank]
    frame = pd.DataFrame([household])
    out = compute_limits(frame, policy)
    _check_inside_caps(frame, out, policy)
    assert compute_limit(household, policy).limit == out["limit"].iloc[0]
