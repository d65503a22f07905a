"""Variable selection: each filter drops what it should, with a readable reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rating_models import SelectionResult, WOEBinning, select_features
from rating_models.selection import vif
from tests.rating_models.test_scorecard_helpers import credit_like


@pytest.fixture
def woe_data(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, WOEBinning]:
    X, y = credit_like(rng, 3000)
    X["income_twin"] = X["income"] * 1.01
    X["constant"] = 1.0
    X["mostly_missing"] = np.where(rng.random(len(X)) < 0.97, np.nan, X["age"])
    binning = WOEBinning(n_jobs=1).fit(X, y)
    return binning.transform(X), y, binning


def test_filters_and_reasons(woe_data: tuple[pd.DataFrame, np.ndarray, WOEBinning]) -> None:
    woe, y, binning = woe_data
    result = select_features(woe, y, binning.tables_, max_missing_rate=0.9)
    reasons = result.reasons
    assert reasons["constant"].startswith("IV 0.0000 below 0.02")
    assert reasons["mostly_missing"].startswith(("missing rate", "IV "))
    twin = "income_twin" if "income_twin" in reasons else "income"
    assert reasons[twin].startswith("correlation ")
    assert list(result.selected) == [c for c in woe.columns if c not in reasons]
    assert SelectionResult.from_dict(result.to_dict()) == result


def test_vif_by_hand() -> None:
    # two columns with correlation r have VIF 1 / (1 - r^2)
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    b = 0.6 * a + 0.8 * rng.normal(size=5000)
    r = np.corrcoef(a, b)[0, 1]
    assert vif(np.column_stack([a, b])) == pytest.approx([1 / (1 - r**2)] * 2)


def test_vif_filter_and_stepwise(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 1000)
    X["income_twin"] = X["income"] * 1.01
    binning = WOEBinning(n_jobs=1).fit(X, y)
    woe = binning.transform(X)
    result = select_features(
        woe, y, binning.tables_, min_iv=0.0, max_corr=None, max_vif=5.0, stepwise=True
    )
    dropped = result.reasons
    assert any(r.startswith("VIF ") for r in dropped.values())
    assert len(result.selected) + len(dropped) == woe.shape[1]
    assert all(r.startswith(("VIF ", "stepwise")) for r in dropped.values())
