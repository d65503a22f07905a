"""scikit-learn's estimator contract, run against every estimator of rating_models."""

from __future__ import annotations

from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from rating_models import Scorecard, WOEBinning

ESTIMATORS = [WOEBinning(n_jobs=1), Scorecard(binning=WOEBinning(n_jobs=1))]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_contract(estimator: Any, check: Any) -> None:
    check(estimator)
