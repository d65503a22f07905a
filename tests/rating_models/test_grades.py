"""Score -> PD -> grade; PD per grade calibrated on the development sample."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating_models.exceptions import InvalidParameterError, SpecError
from rating_models.rating.grades import (
    GradeCalibration,
    GradeScale,
    PDCalibration,
    calibrate_grades,
)

SCALE = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))


@pytest.mark.parametrize(
    ("pd_value", "grade"),
    [
        (0.0, "A"),
        (0.01, "A"),
        (0.0100001, "B"),
        (0.03, "B"),
        (0.05, "C"),
        (0.2, "D"),
        (0.21, "E"),
        (1.0, "E"),
    ],
)
def test_grade_by_maximum_pd(pd_value: float, grade: str) -> None:
    assert SCALE.grade([pd_value]).tolist() == [grade]


@pytest.mark.parametrize(
    ("max_pd", "match"),
    [
        ((0.01, 0.03, 0.08, 0.20), "one value per grade"),
        ((0.01, 0.03, 0.03, 0.20, 1.0), "increase strictly"),
        ((0.01, 0.03, 0.08, 0.20, 0.9), "to 1.0 for the lowest grade"),
        ((0.0, 0.03, 0.08, 0.20, 1.0), "from a value > 0"),
    ],
)
def test_bad_cutoffs_are_refused(max_pd: tuple[float, ...], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        GradeScale(max_pd=max_pd)


def test_scale_from_mapping_fills_lowest_grade() -> None:
    scale = GradeScale.from_mapping({"A": 0.01, "B": 0.03, "C": 0.08, "D": 0.2})
    assert scale == SCALE
    assert GradeScale.from_dict(scale.to_dict()) == scale
    with pytest.raises(InvalidParameterError, match=r"missing for grades \['C'\]"):
        GradeScale.from_mapping({"A": 0.01, "B": 0.03, "D": 0.2})


def test_pd_from_scaling_hand_checked() -> None:
    cal = PDCalibration.from_scaling(base_points=600, base_odds=19, pdo=50)
    # 600 points: odds 19:1 -> pd 1/20; 650 points: odds 38:1 -> pd 1/39
    assert cal.pd([600, 650]) == pytest.approx([0.05, 1 / 39])
    assert PDCalibration.from_dict(cal.to_dict()) == cal


def test_pd_calibration_fit_recovers_logistic(rng: np.random.Generator) -> None:
    score = rng.uniform(0, 100, size=20000)
    true = PDCalibration(intercept=1.0, slope=-0.06)
    y = rng.random(score.size) < true.pd(score)
    fitted = PDCalibration.fit(score, y.astype(int))
    assert fitted.slope == pytest.approx(-0.06, rel=0.1)
    assert fitted.intercept == pytest.approx(1.0, abs=0.15)


def test_calibrate_grades_hand_checked() -> None:
    # A: 4 rows 0 bads; B: 4 rows 1 bad; C: none; D: 2 rows 0 bads (violator); E: 2 rows 2 bads
    y = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]
    p = [0.005] * 4 + [0.02] * 4 + [0.1] * 2 + [0.5] * 2
    cal = calibrate_grades(y, p, SCALE, prior_strength=20)
    assert cal.n == (4, 4, 0, 2, 2)
    assert cal.bads == (0, 1, 0, 0, 2)
    # priors: geometric middles of [1e-4, .01], [.01, .03], [.03, .08], [.08, .2], [.2, 1]
    p0 = [
        math.sqrt(1e-4 * 0.01),
        math.sqrt(0.01 * 0.03),
        math.sqrt(0.03 * 0.08),
        math.sqrt(0.08 * 0.2),
        math.sqrt(0.2),
    ]
    a = (0 + 20 * p0[0]) / 24  # 0.00083
    b = (1 + 20 * p0[1]) / 24  # 0.0561
    c = p0[2]  # 0.049: below B, pooled with B (C has no weight)
    d = (0 + 20 * p0[3]) / 22  # 0.115
    e = (2 + 20 * p0[4]) / 22  # 0.498
    assert c < b < d
    assert cal.grade_pd == pytest.approx((a, b, b, d, e), rel=1e-6)
    assert cal.pd_of(["A", "E"]) == pytest.approx([a, e])
    assert cal.method == "beta-prior(20)+pav"
    assert GradeCalibration.from_dict(cal.to_dict()) == cal
    assert cal.table()["label_zh"].tolist() == ["特级", "优秀", "较好", "一般", "级外"]


def test_a_lone_household_does_not_make_a_grade_risky() -> None:
    # one A household that defaulted: the grade stays near its cut-offs, not at 75%
    cal = calibrate_grades([1] + [0] * 50 + [1] * 5, [0.005] + [0.02] * 50 + [0.5] * 5, SCALE)
    assert cal.grade_pd[0] < 0.06
    with pytest.raises(
        InvalidParameterError, match="'prior_strength' parameter of calibrate_grades"
    ):
        calibrate_grades([0], [0.1], SCALE, prior_strength=0)


@settings(max_examples=50, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 1), st.floats(0, 1)), min_size=1, max_size=300),
)
def test_calibrated_pd_is_monotone_and_in_unit_interval(rows: list[tuple[int, float]]) -> None:
    cal = calibrate_grades([r[0] for r in rows], [r[1] for r in rows], SCALE)
    values = np.asarray(cal.grade_pd)
    assert np.all(np.diff(values) >= -1e-12)
    assert np.all((values > 0) & (values < 1))


def test_schema_version_is_checked() -> None:
    with pytest.raises(SpecError, match="GradeScale schema_version must be 1"):
        GradeScale.from_dict({"schema_version": 9, "grades": ["A", "E"], "max_pd": [0.1, 1.0]})
