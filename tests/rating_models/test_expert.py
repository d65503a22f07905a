"""The expert card: hand-checked households, validation naming every error, weights, compile."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating_models.exceptions import InvalidDataError, InvalidParameterError, SpecError
from rating_models.expert import (
    ExpertCard,
    expert_score,
    indicator_inputs,
    indicator_points,
    to_spec,
)
from rating_models.rating.reasons import ReasonCatalog, top_reasons
from rating_models.scorecard.spec import ScorecardSpec

CONFIG = Path(__file__).resolve().parents[2] / "config"
CARD = ExpertCard.from_yaml(CONFIG / "expert_cards" / "federation_default.yaml")

STRONG = {  # expected points in comments; total 85
    "head_age": 40, "health": "good", "workers": 3, "years_resident": 20,  # 4 2 2 2
    "assets_house": 300000.0, "assets_vehicle": 50000.0, "assets_machinery": 20000.0,
    "assets_livestock": 10000.0, "assets_deposits": 20000.0,  # total 400k -> 10
    "land_mu": 8.0,  # 3
    "debt_this_bank": 50000.0, "debt_other_banks": 0.0, "debt_informal": 0.0,  # net 350k -> 4
    "income_crop": 60000.0, "income_livestock": 20000.0, "income_wage": 0.0,
    "income_business": 0.0, "income_other": 0.0,
    "expense_living": 20000.0, "expense_production": 15000.0, "expense_education": 5000.0,
    "expense_medical": 0.0,  # net 40k -> 8, ratio 0.5 -> 5
    "deposits_this_bank_avg": 30000.0,  # 4
    "informal_high_interest": False, "guarantees_given": 0.0,  # leverage 0.125 -> 4, 3, 2
    "n_delinq_months_24m": 0.0, "cur_overdue_amt": 0.0, "has_bad_debt": 0.0,  # 10 3 3
    "n_accounts": 2, "years_with_bank": 6,  # 4
    "village_review": "good", "bad_habits": False,  # 7 5
}  # fmt: skip
THIN = {  # a thin-file household without a PBOC report; total 35
    **{k: 0.0 for k in STRONG if k.startswith(("assets_", "income_", "expense_", "debt_"))},
    "head_age": 62, "health": "poor", "workers": 1, "years_resident": 2,  # 1 0 0 0
    "assets_house": 40000.0, "land_mu": 1.5, "debt_informal": 10000.0,  # 2 1 1
    "income_crop": 15000.0, "expense_living": 14000.0,  # net 1000 -> 4, ratio 0.93 -> 1
    "deposits_this_bank_avg": math.nan,  # missing -> 0
    "informal_high_interest": True, "guarantees_given": 0.0,  # leverage 0.25 -> 4, 0, 2
    "n_delinq_months_24m": math.nan, "cur_overdue_amt": math.nan, "has_bad_debt": math.nan,  # 6 2 2
    "n_accounts": math.nan, "years_with_bank": 0,  # 1
    "village_review": "average", "bad_habits": False,  # 3 5
}  # fmt: skip
HOUSEHOLDS = pd.DataFrame([STRONG, THIN], index=["strong", "thin"])


def test_default_card_shape() -> None:
    assert CARD.total == 100
    assert [b.id for b in CARD.blocks] == [
        "basic",
        "assets",
        "income",
        "liabilities",
        "credit",
        "social",
    ]
    assert [b.points for b in CARD.blocks] == [10, 20, 25, 10, 20, 15]
    assert sum(i.best_points for i in CARD.indicators) == 100
    catalog = ReasonCatalog.from_yaml(CONFIG / "reason_codes.yaml")
    assert catalog.missing_features([i.id for i in CARD.indicators]) == []


def test_hand_checked_households() -> None:
    points = indicator_points(CARD, HOUSEHOLDS)
    blocks = points.T.groupby(pd.Series(CARD.block_of())).sum().T[[b.id for b in CARD.blocks]]
    assert blocks.loc["strong"].tolist() == [10, 17, 17, 9, 20, 12]
    assert blocks.loc["thin"].tolist() == [1, 4, 5, 6, 11, 8]
    assert expert_score(CARD, HOUSEHOLDS).tolist() == [85.0, 35.0]
    inputs = indicator_inputs(CARD, HOUSEHOLDS)
    assert inputs.loc["strong", "debt_to_assets"] == pytest.approx(0.125)
    assert inputs.loc["thin", "expense_ratio"] == pytest.approx(14000 / 15000)


def test_thin_household_reasons_by_hand_computed_shortfall() -> None:
    # shortfalls: net_income 15-4=11, assets_total 12-2=10, village_review 10-3=7,
    # deposits 5-0=5, then expense_ratio and n_delinq at 4
    spec = to_spec(CARD)
    catalog = ReasonCatalog.from_yaml(CONFIG / "reason_codes.yaml")
    points = indicator_points(CARD, HOUSEHOLDS)
    codes = catalog.codes_for(spec.feature_names)
    out = top_reasons(points, spec.best_points(), codes=codes)
    assert out.loc["thin"].tolist() == ["R301", "R201", "R601", "R303"]
    # strong: net_income 7, village_review 3, assets_total 2, then land_mu ties deposits at 1
    assert out.loc["strong"].tolist() == ["R301", "R601", "R201", "R202"]


def test_compiled_spec_round_trips_and_is_an_expert_card() -> None:
    spec = to_spec(CARD)
    assert spec.kind == "expert"
    assert spec.scaling is None
    assert spec.name == "federation_default@2026.11"
    assert ScorecardSpec.from_json(spec.to_json()) == spec
    assert ExpertCard.from_dict(CARD.to_dict()) == CARD


def _reference_points(card: ExpertCard, frame: pd.DataFrame) -> pd.DataFrame:
    """Scoring written out longhand, one value at a time: the oracle for the compiled scorer."""
    ungated = replace(
        card,
        blocks=tuple(
            replace(b, indicators=tuple(replace(i, missing_when=None) for i in b.indicators))
            for b in card.blocks
        ),
    )
    inputs = indicator_inputs(ungated, frame)
    out = {}
    for ind in card.indicators:
        col = []
        for v, (_, raw) in zip(inputs[ind.id], frame.iterrows(), strict=True):
            gate = ind.missing_when
            no_history = gate is not None and not raw[gate[0]] >= gate[1]
            if no_history or v is None or (isinstance(v, float) and math.isnan(v)):
                col.append(ind.missing)
            elif ind.is_banded:
                col.append(next(b.points for b in ind.bands if b.below is None or v < b.below))
            else:
                hit = [c.points for c in ind.categories if any(v == x for x in c.values)]
                col.append(hit[0] if hit else ind.other)
        out[ind.id] = col
    return pd.DataFrame(out, index=inputs.index)


_money = st.one_of(st.just(math.nan), st.floats(0, 2e6))


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                **{k: _money for k in STRONG if isinstance(STRONG[k], float)},
                "head_age": st.integers(16, 80),
                "workers": st.integers(0, 6),
                "years_resident": st.integers(0, 60),
                "years_with_bank": st.integers(0, 30),
                "health": st.sampled_from(["good", "average", "poor", "unknown"]),
                "village_review": st.sampled_from(["very_good", "good", "average", "poor", None]),
                "informal_high_interest": st.booleans(),
                "bad_habits": st.booleans(),
                "n_delinq_months_24m": st.one_of(st.just(math.nan), st.integers(0, 24).map(float)),
                "has_bad_debt": st.sampled_from([0.0, 1.0, math.nan]),
                "n_accounts": st.sampled_from([0, 1, 3, math.nan]),
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_compiled_scorer_equals_longhand_scoring(rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(rows)
    got = indicator_points(CARD, frame)
    want = _reference_points(CARD, frame)
    pd.testing.assert_frame_equal(got, want.astype(float), check_dtype=False)
    assert expert_score(CARD, frame).to_numpy() == pytest.approx(got.sum(axis=1).to_numpy())
    assert ((got.sum(axis=1) >= 0) & (got.sum(axis=1) <= 100)).all()


def test_bank_weights_scale_indicator_points() -> None:
    card = CARD.with_weights({"basic": 15, "social": 10})
    assert [b.points for b in card.blocks] == [15, 20, 25, 10, 20, 10]
    head_age = card.indicators[0]
    assert head_age.best_points == pytest.approx(6.0)  # 4 x 15/10
    assert expert_score(card, HOUSEHOLDS).loc["strong"] == pytest.approx(
        85 + 5 - 12 * (1 - 10 / 15)
    )


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ({"basic": 20, "social": 5}, r"block 'basic' = 20 is outside its range \[5, 15\]"),
        ({"basic": 12}, "block weights add up to 102, not the card total 100"),
        ({"village": 12}, "unknown block 'village'"),
    ],
)
def test_bad_bank_weights_are_named(weights: dict[str, float], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        CARD.with_weights(weights)


def test_every_card_error_is_named_at_once() -> None:
    bad = copy.deepcopy(CARD.to_dict())
    bad["colour"] = "red"
    bad["blocks"][0]["points"] = 20  # outside [5, 15]; indicators add to 10; total 110
    ind = bad["blocks"][1]["indicators"][0]
    ind["bands"][2]["below"] = 100000  # not above 150000
    ind["bands"][-1]["below"] = 1e7  # last band with a bound
    ind["missing"] = 50  # above the best band
    bad["blocks"][2]["indicators"][1]["id"] = "head_age"  # duplicate id
    bad["blocks"][3]["indicators"][1]["categories"][1]["values"] = [False]  # listed twice
    bad["blocks"][4]["indicators"][0]["input"] = {"lookup": "x"}
    bad["blocks"][4]["indicators"][1]["missing_when"] = {"column": "n_accounts"}
    del bad["blocks"][5]["indicators"][0]["missing"]
    with pytest.raises(SpecError, match="Invalid expert card 'federation_default'") as info:
        ExpertCard.from_dict(bad)
    errors = "\n".join(info.value.fields["errors"])
    for needle in (
        "unknown key 'colour'",
        "blocks[0] 'basic': 'points' 20 is outside its range [5, 15]",
        "blocks[0] 'basic': the indicators' best points add up to 10, not the block's points 20",
        "blocks[1] 'assets'.indicators[0] 'assets_total'.bands[2]: 'below' must be greater than 150000",
        "bands[4]: the last band must not have 'below'",
        "'assets_total': 'missing' points 50 exceed the best band's 12",
        "indicator id 'head_age' is already used in block 'basic'",
        "categories[1]: value False is already in categories[0]",
        "'n_delinq_months_24m'.input: must be one of",
        "'cur_overdue_amt'.missing_when: must be {column: NAME, below: NUMBER}",
        "'village_review': 'missing' must be a number. Got None",
    ):
        assert needle in errors, needle


@pytest.mark.parametrize("n_accounts", [0, math.nan])
def test_report_without_accounts_is_no_history_not_a_clean_one(n_accounts: float) -> None:
    # a thin file's PBOC report has no accounts: 0 months delinquent means nothing
    thin = HOUSEHOLDS.loc[["strong"]].assign(n_accounts=n_accounts)
    points = indicator_points(CARD, thin).iloc[0]
    assert points[["n_delinq_months_24m", "cur_overdue_amt", "has_bad_debt"]].tolist() == [6, 2, 2]
    assert expert_score(CARD, thin).iloc[0] == 85 - (10 - 6) - (3 - 2) - (3 - 2)


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidDataError, match=r"needs columns \['head_age'"):
        expert_score(CARD, HOUSEHOLDS.drop(columns=["head_age"]))


def test_text_in_a_numeric_column_is_named() -> None:
    frame = HOUSEHOLDS.astype({"assets_house": object})
    frame.loc["thin", "assets_house"] = "lots"
    with pytest.raises(InvalidDataError, match="Column 'assets_house' must be numeric"):
        expert_score(CARD, frame)


def test_yaml_errors_are_coded(tmp_path: Path) -> None:
    path = tmp_path / "card.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(SpecError, match="must be a mapping"):
        ExpertCard.from_yaml(path)
    with pytest.raises(SpecError, match="Cannot read expert card"):
        ExpertCard.from_yaml(tmp_path / "absent.yaml")


def test_bool_and_numeric_categories_match_alike() -> None:
    frame = HOUSEHOLDS.copy()
    for dtype in (bool, int, float, object):
        frame["informal_high_interest"] = np.array([False, True]).astype(dtype)
        assert indicator_points(CARD, frame)["informal_high_interest"].tolist() == [3.0, 0.0]
