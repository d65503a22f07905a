"""ScorecardSpec: exact scoring, points, JSON identity, expert cards, malformed specs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from rating_models import (
    Bin,
    FeatureBins,
    FeatureScore,
    Scaling,
    ScorecardSpec,
    SpecError,
    categorical_bins,
    numeric_bins,
)
from tests.rating_models.test_scorecard_helpers import frame_for, specs


def _expert_card() -> ScorecardSpec:
    age = FeatureScore(numeric_bins("age", [30, 50], specials=[[-1]]), (10.0, 25.0, 30.0, 5.0, 0.0))
    crop = FeatureScore(
        FeatureBins(
            "main_crop",
            "categorical",
            (
                Bin("categories", values=("grain", "tea")),
                Bin("categories", values=("fruit",)),
                Bin("missing"),
                Bin("other"),
            ),
        ),
        (20.0, 12.0, 3.0, 6.0),
    )
    return ScorecardSpec((age, crop), intercept_points=40.0, kind="expert")


def test_expert_card_scores_by_hand() -> None:
    card = _expert_card()
    data = pd.DataFrame(
        {
            "age": [25, 30, 49.9, 50, None, -1],
            "main_crop": ["tea", "fruit", None, "rice", "grain", "fruit"],
        }
    )
    # age: [-inf,30)=10 [30,50)=25 [50,inf)=30 missing=5 special -1 -> 0
    # crop: grain/tea=20 fruit=12 missing=3 unseen ("rice") -> other=6
    assert card.score(data).tolist() == [70.0, 77.0, 68.0, 76.0, 65.0, 52.0]
    points = card.points(data)
    assert list(points.columns) == ["age", "main_crop"]
    assert points["main_crop"].tolist() == [20.0, 12.0, 3.0, 6.0, 20.0, 12.0]
    assert card.best_points() == {"age": 30.0, "main_crop": 20.0}


def test_expert_card_has_no_pd() -> None:
    with pytest.raises(SpecError, match="has no scaling, so it maps no PD"):
        _expert_card().pd(pd.DataFrame({"age": [1], "main_crop": ["tea"]}))


def test_pd_follows_the_scaling() -> None:
    card = ScorecardSpec(
        (FeatureScore(categorical_bins("x", [["a"], ["b"]]), (0.0, 20.0, 0.0)),),
        intercept_points=600.0,
        scaling=Scaling(20, 600, 50),
    )
    pd_ = card.pd(pd.DataFrame({"x": ["a", "b"]}))
    assert pd_.tolist() == pytest.approx([1 / 51, 1 / 101])


@given(specs())
@settings(max_examples=60, deadline=None)
def test_json_round_trip_is_identity(spec: ScorecardSpec) -> None:
    again = ScorecardSpec.from_json(spec.to_json())
    assert again == spec
    assert again.to_json() == spec.to_json()


@given(specs())
@settings(max_examples=60, deadline=None)
def test_points_sum_to_the_score(spec: ScorecardSpec) -> None:
    data = frame_for(spec, np.random.default_rng(len(spec.features)), 200)
    before = data.copy()
    score = spec.score(data)
    points = spec.points(data)
    np.testing.assert_allclose(score, spec.intercept_points + points.sum(axis=1), rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(data, before)  # scoring never changes its input
    best = spec.best_points()
    assert all((points[name] <= best[name]).all() for name in spec.feature_names)


def test_special_value_wins_over_its_interval() -> None:
    card = ScorecardSpec(
        (FeatureScore(numeric_bins("inq", [0.5], specials=[[-1.0]]), (1.0, 2.0, 3.0, 4.0)),)
    )
    assert card.score({"inq": np.array([-1.0, -2.0, 0.0, 7.0, np.nan])}).tolist() == [
        4.0,
        1.0,
        1.0,
        2.0,
        3.0,
    ]


def test_missing_column_is_named() -> None:
    with pytest.raises(Exception, match=r"lack the card's feature column\(s\): \['main_crop'\]"):
        _expert_card().score(pd.DataFrame({"age": [1.0]}))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema_version="nongxin.scorecard/0"), "schema_version must be"),
        (lambda d: d["features"][0]["bins"].pop(0), "intervals must be contiguous"),
        (lambda d: d["features"][0]["bins"][3].update(kind="weird"), "Bin kind must be one of"),
        (lambda d: d["features"][1]["bins"].pop(2), "exactly one missing bin"),
        (lambda d: d["features"][1]["bins"][0].pop("points"), "needs numeric 'points'"),
        (lambda d: d["features"].append(d["features"][0]), "lists a feature twice"),
    ],
)
def test_malformed_specs_fail_with_a_reason(mutate: object, message: str) -> None:
    data = json.loads(_expert_card().to_json())
    mutate(data)  # type: ignore[operator]
    with pytest.raises(SpecError, match=message):
        ScorecardSpec.from_dict(data)


@pytest.mark.parametrize(
    "module",
    [
        "rating_models.binning.estimator",
        "rating_models.scorecard.estimator",
        "rating_models.scorecard.scaling",
        "rating_models.scorecard.spec",
        "rating_models.selection",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(importlib.import_module(module), optionflags=flags)
    assert result.attempted > 0
    assert result.failed == 0
