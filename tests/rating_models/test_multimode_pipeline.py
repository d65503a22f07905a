"""rate_households: both cards through the compiled scorer, modes, knockouts, reasons, texts."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from rating_models.binning.bins import numeric_bins
from rating_models.exceptions import InvalidParameterError, SpecError
from rating_models.expert import ExpertCard
from rating_models.rating.grades import GradeScale, PDCalibration, calibrate_grades
from rating_models.rating.knockouts import knockout_rules
from rating_models.rating.pipeline import RatingSetup, rate_households
from rating_models.rating.reasons import ReasonCatalog
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

CATALOG = ReasonCatalog.from_yaml(
    Path(__file__).resolve().parents[2] / "config" / "reason_codes.yaml"
)
SCALE = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))
# statistical: 600 points at odds 50:1 (pd 1/51), 20 points double the odds
STAT = ScorecardSpec(
    (
        FeatureScore(numeric_bins("inq_loan_cnt_3m", [1, 3]), (40.0, 20.0, 0.0, 10.0)),
        FeatureScore(numeric_bins("card_util", [0.5]), (30.0, 0.0, 15.0)),
    ),
    intercept_points=530.0,
    scaling=Scaling(pdo=20, base_points=600, base_odds=50),
    name="stat",
)
EXPERT = ExpertCard.from_dict(
    {
        "schema_version": 1,
        "name": "mini",
        "version": "1",
        "zh": "示例",
        "total": 10,
        "pd_calibration": {"intercept": 0.0, "slope": -0.5, "source": "test"},
        "blocks": [
            {
                "id": "social",
                "zh": "社会评价",
                "en": "Social",
                "points": 10,
                "range": [5, 15],
                "indicators": [
                    {
                        "id": "village_review",
                        "zh": "村评",
                        "en": "Review",
                        "input": {"column": "village_review"},
                        "categories": [
                            {"values": ["good"], "points": 10},
                            {"values": ["poor"], "points": 0},
                        ],
                        "other": 0,
                        "missing": 0,
                    }
                ],
            }
        ],
    }
)
FRAME = pd.DataFrame(
    {
        # stat points: 40+30=70 -> 600 (pd 1/51, B); 0+0=0 -> 530 (pd 0.18, D); 20+30 -> 580 (C)
        "inq_loan_cnt_3m": [0, 5, 2],
        "card_util": [0.1, 0.9, 0.2],
        # expert: 10 -> pd logistic(-5)=0.0067 (A); 0 -> 0.5 (E); 10 -> A
        "village_review": ["good", "poor", "good"],
        "cur_overdue_amt": [0.0, 0.0, 500.0],
    },
    index=["h1", "h2", "h3"],
)


def _pd_of(points: float) -> float:
    return 1 / (1 + 50 * 2 ** ((points - 600) / 20))


def test_statistical_only_hand_checked() -> None:
    out = rate_households(FRAME, setup=RatingSetup(scale=SCALE), statistical=STAT, catalog=CATALOG)
    assert out["score_statistical"].tolist() == [600.0, 530.0, 580.0]
    assert out["pd"].tolist() == pytest.approx([_pd_of(600), _pd_of(530), _pd_of(580)])
    assert out["grade"].tolist() == ["B", "D", "C"]
    assert out["mode"].eq("statistical").all()
    assert not out["escalate"].any()
    # h2 falls 40 short on enquiries (R801) and 30 on card use (R803)
    assert out.loc["h2", ["reason_1", "reason_2", "reason_3"]].tolist() == ["R801", "R803", ""]
    assert out.loc["h3", "reason_1"] == "R801"
    assert out.loc["h2", "reasons_zh"] == "近期贷款审批查询次数较多；信用卡使用率偏高"


def test_agree_or_escalate_with_knockout_and_both_grades() -> None:
    setup = RatingSetup(
        scale=SCALE, mode="agree_or_escalate", knockouts=knockout_rules(["current_overdue"])
    )
    out = rate_households(FRAME, setup=setup, statistical=STAT, expert=EXPERT, catalog=CATALOG)
    assert out["score_expert"].tolist() == [10.0, 0.0, 10.0]
    assert out["grade_statistical"].tolist() == ["B", "D", "C"]
    assert out["grade_expert"].tolist() == ["A", "E", "A"]
    assert out["grade"].tolist() == ["B", "E", "E"]  # h3 knocked out (overdue 500)
    assert out["escalate"].tolist() == [True, True, False]  # A vs B, E vs D; h3 decided by rule
    assert out["knockout"].tolist() == ["", "", "K01"]
    assert out.loc["h3", "reason_1"] == "K01"
    assert out.loc["h3", "reasons_en"].startswith(
        "The credit report shows an amount currently overdue"
    )


def test_blend_reasons_rank_both_cards_by_log_odds() -> None:
    setup = RatingSetup(scale=SCALE, mode="blend", expert_weight=0.5)
    out = rate_households(
        FRAME.loc[["h2"]], setup=setup, statistical=STAT, expert=EXPERT, catalog=CATALOG
    )
    # log-odds moved: village 10 pts x 0.5/pt x 0.5 = 2.5; enquiries 40 x ln2/20 x 0.5 = 0.69;
    # card use 30 x ln2/20 x 0.5 = 0.52
    assert out.iloc[0][["reason_1", "reason_2", "reason_3"]].tolist() == ["R601", "R801", "R803"]
    logit = 0.5 * math.log(0.5 / 0.5) + 0.5 * math.log(_pd_of(530) / (1 - _pd_of(530)))
    assert out["pd"].iloc[0] == pytest.approx(1 / (1 + math.exp(-logit)))


def test_grade_pd_from_development_calibration() -> None:
    cal = calibrate_grades([0, 1, 0], [0.02, 0.5, 0.05], SCALE)
    out = rate_households(
        FRAME, setup=RatingSetup(scale=SCALE, grade_calibration=cal), statistical=STAT
    )
    assert out["grade_pd"].tolist() == pytest.approx(cal.pd_of(["B", "D", "C"]).tolist())
    assert out["reason_1"].tolist()[1] == "X:inq_loan_cnt_3m"  # no catalog: generic codes


def test_missing_pieces_are_named() -> None:
    with pytest.raises(
        InvalidParameterError, match="needs a statistical card, an expert card or both"
    ):
        rate_households(FRAME, setup=RatingSetup(scale=SCALE))
    uncalibrated = ExpertCard.from_dict({**EXPERT.to_dict(), "pd_calibration": None})
    with pytest.raises(SpecError, match="has no pd_calibration"):
        rate_households(FRAME, setup=RatingSetup(scale=SCALE, mode="expert"), expert=uncalibrated)
    with pytest.raises(SpecError, match="has no scaling"):
        rate_households(
            FRAME,
            setup=RatingSetup(scale=SCALE),
            statistical=ScorecardSpec(STAT.features, kind="expert"),
        )
    with pytest.raises(InvalidParameterError, match="'mode' parameter of RatingSetup"):
        RatingSetup(scale=SCALE, mode="vote")


def test_pd_calibration_round_trips_through_the_card() -> None:
    card = EXPERT.with_calibration(PDCalibration(intercept=1.0, slope=-0.1, source="dev"))
    assert ExpertCard.from_dict(card.to_dict()) == card
