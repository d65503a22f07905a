"""Grades and calibration, multi-mode combination, knockouts and reason codes."""

from rating_models.rating.combine import MODES, apply_knockouts, combine_ratings
from rating_models.rating.grades import (
    DEFAULT_GRADES,
    GRADE_LABELS_ZH,
    GradeCalibration,
    GradeScale,
    PDCalibration,
    calibrate_grades,
)
from rating_models.rating.knockouts import (
    STANDARD_KNOCKOUTS,
    KnockoutRule,
    evaluate_knockouts,
    knockout_rules,
)
from rating_models.rating.reasons import ReasonCatalog, ReasonText, top_reasons

__all__ = [
    "DEFAULT_GRADES",
    "GRADE_LABELS_ZH",
    "MODES",
    "STANDARD_KNOCKOUTS",
    "GradeCalibration",
    "GradeScale",
    "KnockoutRule",
    "PDCalibration",
    "ReasonCatalog",
    "ReasonText",
    "apply_knockouts",
    "calibrate_grades",
    "combine_ratings",
    "evaluate_knockouts",
    "knockout_rules",
    "top_reasons",
]
