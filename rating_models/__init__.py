"""Pure modelling for farmer ratings: WOE binning, scorecards, grades, reason codes, metrics.

Imports nothing of the rest of the toolkit: numpy, pandas and scikit-learn only.
Errors: see :mod:`rating_models.exceptions`.
"""

from rating_models.exceptions import (
    InvalidDataError,
    InvalidParameterError,
    NotFittedError,
    RatingModelsError,
    SpecError,
)

__all__ = [
    "InvalidDataError",
    "InvalidParameterError",
    "NotFittedError",
    "RatingModelsError",
    "SpecError",
]
