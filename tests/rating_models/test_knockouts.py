"""Knockout rules: evaluation, validation, and 'knockouts override any score'."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating_models.exceptions import InvalidDataError, SpecError
from rating_models.rating.combine import MODES, apply_knockouts, combine_ratings
from rating_models.rating.grades import GradeScale
from rating_models.rating.knockouts import (
    STANDARD_KNOCKOUTS,
    KnockoutRule,
    evaluate_knockouts,
    knockout_rules,
)

SCALE = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))


@pytest.mark.parametrize(
    ("rule", "values", "fired"),
    [
        (STANDARD_KNOCKOUTS["current_overdue"], [0.0, 1.0, np.nan], [False, True, False]),
        (STANDARD_KNOCKOUTS["bad_debt"], [0, 1, None], [False, True, False]),
        (
            STANDARD_KNOCKOUTS["age_outside_18_65"],
            [17, 18, 65, 66, np.nan],
            [True, False, False, True, True],
        ),
        (STANDARD_KNOCKOUTS["pboc_serious_delinquency_24m"], [2, 3, 7], [False, True, True]),
        (
            KnockoutRule("K90", "bad_village", "credit_village_status", "in", ["watchlist"]),
            ["ordinary", "watchlist"],
            [False, True],
        ),
        (
            KnockoutRule("K91", "not_pure", "requested_product", "!=", "pure_credit"),
            ["pure_credit", "mortgage"],
            [False, True],
        ),
    ],
)
def test_rules_fire_as_declared(
    rule: KnockoutRule, values: list[object], fired: list[bool]
) -> None:
    frame = pd.DataFrame({rule.column: values})
    assert rule.fires(frame).tolist() == fired


def test_policy_list_resolves_names_and_bank_additions() -> None:
    rules = knockout_rules(
        [
            "current_overdue",
            "bad_debt",
            {
                "code": "K90",
                "name": "informal",
                "column": "informal_high_interest",
                "op": "is_true",
            },
        ]
    )
    assert [r.code for r in rules] == ["K01", "K02", "K90"]
    frame = pd.DataFrame(
        {"cur_overdue_amt": [0, 5], "has_bad_debt": [0, 0], "informal_high_interest": [True, False]}
    )
    assert evaluate_knockouts(frame, rules).to_numpy().tolist() == [
        [False, False, True],
        [True, False, False],
    ]
    assert KnockoutRule.from_dict(rules[2].to_dict()) == rules[2]


def test_every_policy_error_is_named_at_once() -> None:
    with pytest.raises(SpecError, match="Invalid knockout list") as info:
        knockout_rules(
            [
                "no_such_rule",
                {"code": "K90", "name": "a", "column": "x", "op": "~"},
                {
                    "code": "K91",
                    "name": "b",
                    "column": "x",
                    "op": ">",
                    "value": "zero",
                    "colour": 1,
                },
                {"code": "K92", "name": "c", "column": "x", "op": "outside", "value": [65, 18]},
                {"code": "K01", "name": "d", "column": "x", "op": ">", "value": 0},
                "current_overdue",
            ]
        )
    errors = info.value.fields["errors"]
    assert any("unknown knockout 'no_such_rule'" in e for e in errors)
    assert any("knockout 'a': 'op' must be one of" in e for e in errors)
    assert any("knockout 'b': unknown key 'colour'" in e for e in errors)
    assert any("knockout 'b': op '>' needs a number" in e for e in errors)
    assert any("knockout 'c': op 'outside' needs 'value' [low, high]" in e for e in errors)
    assert any("knockout code 'K01' is used by more than one rule" in e for e in errors)


def test_missing_column_is_named() -> None:
    with pytest.raises(InvalidDataError, match="reads column 'cur_overdue_amt'"):
        STANDARD_KNOCKOUTS["current_overdue"].fires(pd.DataFrame({"x": [1]}))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.one_of(st.just(float("nan")), st.floats(0, 1)),
            st.floats(0, 1000),
            st.integers(0, 1),
            st.integers(10, 90),
        ),
        min_size=1,
        max_size=40,
    ),
    mode=st.sampled_from(MODES),
    validated=st.booleans(),
)
def test_knockouts_override_any_score(
    rows: list[tuple[float, float, float, int, int]], mode: str, validated: bool
) -> None:
    frame = pd.DataFrame(
        rows, columns=["p_s", "p_e", "cur_overdue_amt", "has_bad_debt", "head_age"]
    )
    rules = knockout_rules(["current_overdue", "bad_debt", "age_outside_18_65"])
    fired = evaluate_knockouts(frame, rules)
    rating = combine_ratings(
        frame["p_s"], frame["p_e"], mode=mode, scale=SCALE, statistical_validated=validated
    )
    out = apply_knockouts(rating, fired, SCALE)
    hit = fired.any(axis=1).to_numpy()
    assert (out.loc[hit, "grade"] == "E").all()
    assert (out.loc[~hit, "grade"] == rating.loc[~hit, "grade"]).all()
    assert not out.loc[hit, "escalate"].any()
    for i in np.flatnonzero(hit):
        assert out["knockout"].iloc[i] == ";".join(c for c in fired.columns if fired[c].iloc[i])
    assert (out.loc[~hit, "knockout"] == "").all()
