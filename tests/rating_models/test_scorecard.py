"""The Scorecard estimator: points scaling by hand, selection reasons, PD, input safety."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from rating_models import InvalidParameterError, Scorecard, ScorecardSpec, WOEBinning
from tests.rating_models.test_scorecard_helpers import credit_like


@pytest.fixture
def fitted(rng: np.random.Generator) -> tuple[Scorecard, pd.DataFrame, np.ndarray]:
    X, y = credit_like(rng, 4000)
    card = Scorecard(WOEBinning(special_values={"inq": [-1]}, n_jobs=1)).fit(X, y)
    return card, X, y


def test_points_are_scaled_woe_times_coefficient(
    fitted: tuple[Scorecard, pd.DataFrame, np.ndarray],
) -> None:
    card, X, _ = fitted
    factor = 20 / math.log(2)
    offset = 600 - factor * math.log(50)
    spec = card.spec_
    assert spec.intercept_points == pytest.approx(offset - factor * card.estimator_.intercept_[0])
    for feature, coef in zip(spec.features, card.estimator_.coef_[0], strict=True):
        woe = card.binning_.tables_[feature.name].woe
        assert feature.points == pytest.approx(tuple(-factor * coef * woe))
    # unrounded points reproduce the logistic regression exactly
    woe_x = card.binning_.transform(X)[list(card.selection_.selected)].to_numpy()
    np.testing.assert_allclose(
        card.predict_proba(X)[:, 1], card.estimator_.predict_proba(woe_x)[:, 1], rtol=1e-9
    )


def test_score_is_good_and_pd_consistent(
    fitted: tuple[Scorecard, pd.DataFrame, np.ndarray],
) -> None:
    card, X, y = fitted
    score = card.predict_score(X)
    assert roc_auc_score(y, -score) > 0.7
    np.testing.assert_allclose(card.spec_.pd(X), card.predict_proba(X)[:, 1])
    # PDO: 20 more points halve the bad odds
    odds = lambda s: card.spec_.pd_from_score(s) / (1 - card.spec_.pd_from_score(s))  # noqa: E731
    assert odds(np.array([520.0]))[0] / odds(np.array([540.0]))[0] == pytest.approx(2.0)


def test_every_variable_is_selected_or_has_a_reason(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 3000)
    X["income_copy"] = X["income"] * 1.0001
    X["constant"] = 7.0
    card = Scorecard(WOEBinning(n_jobs=1)).fit(X, y)
    reasons = card.dropped_features_
    assert set(card.selection_.selected) | set(reasons) == set(X.columns)
    assert not set(card.selection_.selected) & set(reasons)
    assert reasons["constant"].startswith("IV 0.0000 below 0.02")
    assert "correlation" in reasons.get("income_copy", "") + reasons.get("income", "")


def test_inner_estimator_is_a_cloned_parameter(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 1500)
    inner = LogisticRegression(C=0.5, max_iter=500)
    card = Scorecard(WOEBinning(n_jobs=1), estimator=inner).fit(X, y)
    assert card.estimator_ is not inner
    assert card.estimator_.C == 0.5
    assert not hasattr(inner, "coef_")


def test_rounded_points_and_string_labels(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 2000)
    labels = np.where(y == 1, "z_bad", "a_good")
    card = Scorecard(WOEBinning(n_jobs=1), points_decimals=0).fit(X, labels)
    assert list(card.classes_) == ["a_good", "z_bad"]
    assert all(p == round(p) for f in card.spec_.features for p in f.points)
    assert set(card.predict(X)) <= {"a_good", "z_bad"}
    assert ScorecardSpec.from_json(card.spec_.to_json()) == card.spec_


def test_predict_leaves_input_untouched(
    fitted: tuple[Scorecard, pd.DataFrame, np.ndarray],
) -> None:
    card, X, _ = fitted
    before = X.copy()
    card.predict_proba(X)
    pd.testing.assert_frame_equal(X, before)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"pdo": -20}, r"The 'pdo' parameter of Scorecard must be a float > 0\. Got -20\."),
        ({"base_odds": 0}, r"The 'base_odds' parameter of Scorecard must be a float > 0\. Got 0\."),
        (
            {"max_corr": 1.5},
            r"The 'max_corr' parameter of Scorecard must be None or a float in the range \(0, 1\]\. Got 1\.5\.",
        ),
        (
            {"estimator": "lr"},
            r"The 'estimator' parameter of Scorecard must be None or an estimator with fit and coef_\. Got 'lr'\.",
        ),
    ],
)
def test_bad_parameters_fail_loudly(
    rng: np.random.Generator, params: dict[str, object], message: str
) -> None:
    X, y = credit_like(rng, 200)
    with pytest.raises(InvalidParameterError, match=message):
        Scorecard(**params).fit(X, y)  # type: ignore[arg-type]


def test_progress_reports_every_variable_then_selection_and_fit(
    rng: np.random.Generator,
) -> None:
    X, y = credit_like(rng, 1500)
    calls: list[tuple[str, int]] = []
    card = Scorecard(WOEBinning(n_jobs=2)).fit(X, y, progress=lambda s, n: calls.append((s, n)))
    assert calls == [("binning", 1)] * X.shape[1] + [("selection", 1), ("logistic regression", 1)]
    plain = Scorecard(WOEBinning(n_jobs=2)).fit(X, y)
    np.testing.assert_array_equal(card.predict_score(X), plain.predict_score(X))


def test_defaults_keep_rare_flags_with_a_mild_penalty(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 15_000)  # enough rows for 2 % bins
    X["habit"] = (rng.random(len(X)) < 0.04) & (y == 1) | (rng.random(len(X)) < 0.02)
    card = Scorecard(WOEBinning(n_jobs=1)).fit(X, y)
    assert card.estimator_.C == 0.1
    assert "habit" in card.selection_.selected  # one bin holds ~0.97 of rows: kept
    strict = Scorecard(WOEBinning(n_jobs=1), max_single_bin_share=0.95).fit(X, y)
    assert strict.dropped_features_["habit"].startswith("one bin holds")
