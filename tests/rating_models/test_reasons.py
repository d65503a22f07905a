"""Reason codes against hand-computed shortfalls; the shipped catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rating_models.exceptions import InvalidDataError, SpecError
from rating_models.rating.reasons import ReasonCatalog, top_reasons

CATALOG_PATH = Path(__file__).resolve().parents[2] / "config" / "reason_codes.yaml"

# three households, five features; best points per feature below
POINTS = pd.DataFrame(
    {
        "head_age": [4.0, 2.0, 4.0],
        "net_income": [15.0, 4.0, 0.0],
        "debt_to_assets": [5.0, 1.0, 5.0],
        "village_review": [10.0, 3.0, 10.0],
        "n_delinq_months_24m": [10.0, 10.0, 2.0],
    },
    index=["h1", "h2", "h3"],
)
BEST = {
    "head_age": 4.0,
    "net_income": 15.0,
    "debt_to_assets": 5.0,
    "village_review": 10.0,
    "n_delinq_months_24m": 10.0,
}
CODES = {
    "head_age": "R101",
    "net_income": "R301",
    "debt_to_assets": "R401",
    "village_review": "R601",
    "n_delinq_months_24m": "R501",
}


def test_top_four_by_hand_computed_shortfall() -> None:
    # h1: no shortfall anywhere; h2: income 11, village 7, debt 4, age 2 (delinquency 0)
    # h3: income 15, delinquency 8, the rest 0
    out = top_reasons(POINTS, BEST, codes=CODES)
    assert out.loc["h1"].tolist() == ["", "", "", ""]
    assert out.loc["h2"].tolist() == ["R301", "R601", "R401", "R101"]
    assert out.loc["h3"].tolist() == ["R301", "R501", "", ""]


def test_knockouts_come_first_in_rule_order() -> None:
    fired = pd.DataFrame(
        {"K01": [False, True, True], "K05": [True, False, True]}, index=POINTS.index
    )
    out = top_reasons(POINTS, BEST, codes=CODES, knockouts=fired)
    assert out.loc["h1"].tolist() == ["K05", "", "", ""]
    assert out.loc["h2"].tolist() == ["K01", "R301", "R601", "R401"]
    assert out.loc["h3"].tolist() == ["K01", "K05", "R301", "R501"]


def test_ties_keep_feature_order_and_shared_codes_appear_once() -> None:
    points = pd.DataFrame({"a": [0.0], "b": [0.0], "c": [1.0]})
    best = {"a": 2.0, "b": 2.0, "c": 4.0}
    # a and b tie at 2, c falls short by 3; b shares c's code: c's code once, at 3
    out = top_reasons(points, best, codes={"a": "RA", "b": "RB", "c": "RB"}, n_reasons=3)
    assert out.iloc[0].tolist() == ["RB", "RA", ""]
    out = top_reasons(points, best, codes={"a": "RA", "b": "RB", "c": "RC"}, n_reasons=2)
    assert out.iloc[0].tolist() == ["RC", "RA"]


def test_weights_rank_two_cards_on_log_odds() -> None:
    points = pd.DataFrame({"stat_x": [550.0 - 20], "exp_y": [0.0]})
    best = {"stat_x": 550.0, "exp_y": 10.0}
    # 20 statistical points at 0.0139 log-odds each (0.277) < 10 expert points at 0.05 (0.5)
    out = top_reasons(
        points,
        best,
        codes={"stat_x": "R1", "exp_y": "R2"},
        weights={"stat_x": 0.0139, "exp_y": 0.05},
        n_reasons=2,
    )
    assert out.iloc[0].tolist() == ["R2", "R1"]


def test_missing_codes_are_named() -> None:
    with pytest.raises(InvalidDataError, match=r"missing for features \['head_age'\]"):
        top_reasons(POINTS[["head_age"]], {}, codes={})


def test_shipped_catalog_is_valid_and_bilingual() -> None:
    catalog = ReasonCatalog.from_yaml(CATALOG_PATH)
    assert catalog.text("K01", "zh") == "征信报告显示当前有逾期未还款项"
    assert catalog.text("K01", "en") == "The credit report shows an amount currently overdue"
    assert catalog.code_for_feature("n_delinq_months_24m").startswith("R5")
    assert (
        catalog.missing_features(["head_age", "net_income", "inq_loan_cnt_3m", "card_util"]) == []
    )
    codes = [e.code for e in catalog.entries]
    assert len(codes) == len(set(codes))
    assert ReasonCatalog.from_dict(catalog.to_dict()) == catalog


def test_unknown_feature_gets_a_specific_generic_reason() -> None:
    catalog = ReasonCatalog.from_yaml(CATALOG_PATH)
    assert catalog.code_for_feature("my_local_x") == "X:my_local_x"
    assert catalog.text("X:my_local_x", "zh") == "指标「my_local_x」得分低于最优档"
    assert catalog.text("X:my_local_x", "en") == "my_local_x scored below its best band"
    assert catalog.text("", "en") == ""
    with pytest.raises(InvalidDataError, match="Reason code 'R999' is not in catalog"):
        catalog.text("R999")
    texts = catalog.texts(pd.DataFrame({"reason_1": ["K01", ""]}), "en")
    assert texts["reason_1"].tolist()[1] == ""


def test_catalog_errors_are_all_named() -> None:
    bad = {
        "schema_version": 1,
        "version": "x",
        "reasons": [
            {"code": "R1", "zh": "甲", "en": "a", "features": ["x"]},
            {"code": "R1", "zh": "乙", "en": "", "features": ["x"], "note": 1},
            {"code": "R2", "zh": "丙", "en": "c"},
        ],
    }
    with pytest.raises(SpecError, match="Invalid reason catalog") as info:
        ReasonCatalog.from_dict(bad)
    errors = info.value.fields["errors"]
    assert "reasons[1]: unknown key 'note'" in errors
    assert "reasons[1]: 'en' is required and must be a non-empty string" in errors
    assert "reasons[2]: needs 'features' or 'knockout'" in errors
    bad["reasons"] = bad["reasons"][:1] * 2
    with pytest.raises(SpecError, match="reason code 'R1' appears twice"):
        ReasonCatalog.from_dict(bad)


def test_catalog_explains_every_bureau_feature_and_knockout() -> None:
    from bureau_adapters.pboc.features import FEATURE_NAMES
    from bureau_adapters.qianhai.features import QH_FEATURES
    from rating_models.rating.knockouts import STANDARD_KNOCKOUTS

    catalog = ReasonCatalog.from_yaml(CATALOG_PATH)
    qh = [getattr(f, "name", f) for f in QH_FEATURES]
    assert catalog.missing_features([*FEATURE_NAMES, *qh]) == []
    by_code = {e.code: e for e in catalog.entries}
    for name, rule in STANDARD_KNOCKOUTS.items():
        assert by_code[rule.code].knockout == name


def test_joined_texts_per_row_in_order() -> None:
    catalog = ReasonCatalog.from_yaml(CATALOG_PATH)
    codes = pd.DataFrame(
        {"reason_1": ["K01", "R301", "", "R301"], "reason_2": ["R301", "", "", "K01"]},
        index=["a", "b", "c", "d"],
    )
    zh = catalog.joined(codes, "zh")
    assert zh.tolist() == [
        "征信报告显示当前有逾期未还款项；家庭年纯收入较低",
        "家庭年纯收入较低",
        "",
        "家庭年纯收入较低；征信报告显示当前有逾期未还款项",
    ]
    assert catalog.joined(codes, "en").loc["b"] == "Net household income is low"
    assert catalog.texts(codes, "en").loc["a", "reason_2"] == "Net household income is low"
