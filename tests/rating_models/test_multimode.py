"""Every combination mode, hand-checked."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rating_models.exceptions import InvalidDataError, InvalidParameterError
from rating_models.rating.combine import MODES, combine_ratings
from rating_models.rating.grades import GradeScale

SCALE = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))
# statistical B/B/D/E, expert B/D/B/NaN
P_STAT = [0.02, 0.02, 0.10, 0.30]
P_EXP = [0.02, 0.10, 0.02, math.nan]


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@pytest.mark.parametrize(
    ("mode", "grades", "decided_by", "escalate_reason"),
    [
        ("statistical", ["B", "B", "D", "E"], ["statistical"] * 4, ["", "", "", ""]),
        (
            "expert",
            ["B", "D", "B", "E"],
            ["expert"] * 3 + ["statistical"],
            ["", "", "", "expert_missing"],
        ),
        (
            "minimum",
            ["B", "D", "D", "E"],
            ["statistical", "expert", "statistical", "statistical"],
            ["", "", "", "expert_missing"],
        ),
        (
            "agree_or_escalate",
            ["B", "D", "D", "E"],
            ["statistical", "expert", "statistical", "statistical"],
            ["", "grades_differ", "grades_differ", "expert_missing"],
        ),
    ],
)
def test_grade_modes(
    mode: str, grades: list[str], decided_by: list[str], escalate_reason: list[str]
) -> None:
    out = combine_ratings(P_STAT, P_EXP, mode=mode, scale=SCALE)
    assert out["grade"].tolist() == grades
    assert out["decided_by"].tolist() == decided_by
    assert out["escalate_reason"].tolist() == escalate_reason
    assert out["escalate"].tolist() == [r != "" for r in escalate_reason]
    assert out["grade_statistical"].tolist() == ["B", "B", "D", "E"]
    assert out["grade_expert"].tolist()[:3] == ["B", "D", "B"]
    assert out["grade_expert"].iloc[3] is None
    assert (out["mode"] == mode).all()


def test_agree_or_escalate_shows_both_grades_when_they_differ() -> None:
    out = combine_ratings([0.005], [0.5], mode="agree_or_escalate", scale=SCALE)
    row = out.iloc[0]
    assert (row["grade_statistical"], row["grade_expert"], row["grade"]) == ("A", "E", "E")
    assert bool(row["escalate"])


def test_blend_is_weighted_on_log_odds_hand_checked() -> None:
    out = combine_ratings(
        [0.02, 0.02], [0.10, math.nan], mode="blend", scale=SCALE, expert_weight=0.3
    )
    want = _logistic(0.3 * _logit(0.10) + 0.7 * _logit(0.02))  # = 0.0357 -> grade C
    assert out["pd"].iloc[0] == pytest.approx(want)
    assert out["grade"].tolist() == ["C", "B"]
    assert out["decided_by"].tolist() == ["blend", "statistical"]
    assert out["escalate_reason"].tolist() == ["", "expert_missing"]


@pytest.mark.parametrize(("weight", "expected"), [(0.0, 0.02), (1.0, 0.10)])
def test_blend_weight_extremes(weight: float, expected: float) -> None:
    out = combine_ratings([0.02], [0.10], mode="blend", scale=SCALE, expert_weight=weight)
    assert out["pd"].iloc[0] == pytest.approx(expected)


def test_thin_file_without_statistical_pd_uses_expert_and_escalates() -> None:
    out = combine_ratings(None, [0.02, 0.3], mode="blend", scale=SCALE)
    assert out["grade"].tolist() == ["B", "E"]
    assert out["escalate_reason"].tolist() == ["statistical_missing"] * 2


@pytest.mark.parametrize("mode", MODES)
def test_unvalidated_model_escalates_every_row(mode: str) -> None:
    validated = combine_ratings(P_STAT, P_EXP, mode=mode, scale=SCALE)
    out = combine_ratings(P_STAT, P_EXP, mode=mode, scale=SCALE, statistical_validated=False)
    assert out["escalate"].all()
    want = [r or "model_not_validated" for r in validated["escalate_reason"]]
    assert out["escalate_reason"].tolist() == want
    assert out["grade"].tolist() == validated["grade"].tolist()


@pytest.mark.parametrize("mode", ["minimum", "agree_or_escalate"])
def test_worse_grade_never_better_than_either(mode: str, rng: np.random.Generator) -> None:
    p_s, p_e = rng.random(500) ** 3, rng.random(500) ** 3
    out = combine_ratings(p_s, p_e, mode=mode, scale=SCALE)
    final = SCALE.index(out["pd"])
    assert np.all(final >= SCALE.index(p_s))
    assert np.all(final >= SCALE.index(p_e))


def test_bad_parameters_are_named() -> None:
    with pytest.raises(
        InvalidParameterError, match="'mode' parameter of combine_ratings must be one of"
    ):
        combine_ratings([0.1], [0.1], mode="average", scale=SCALE)
    with pytest.raises(InvalidParameterError, match=r"'expert_weight' parameter .* in \[0, 1\]"):
        combine_ratings([0.1], [0.1], mode="blend", scale=SCALE, expert_weight=1.5)
    with pytest.raises(InvalidDataError, match="neither a statistical nor an expert PD"):
        combine_ratings([math.nan], [math.nan], mode="blend", scale=SCALE)
    with pytest.raises(InvalidDataError, match="'pd_expert' must have 2 rows"):
        combine_ratings([0.1, 0.2], [0.1], mode="blend", scale=SCALE)
