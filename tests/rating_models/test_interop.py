"""scorecardpy interop on its own German credit data: same points on every row, both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from rating_models import Scorecard, SpecError, WOEBinning, from_scorecardpy, to_scorecardpy

sc = pytest.importorskip("scorecardpy")

# scorecardpy probes every text column with pd.to_datetime, which warns; nothing of ours
pytestmark = pytest.mark.filterwarnings("ignore:Could not infer format:UserWarning")

# a mix of numeric and categorical (pandas category and object) variables keeps woebin quick
COLUMNS = [
    "creditability",
    "status_of_existing_checking_account",
    "duration_in_month",
    "credit_history",
    "purpose",
    "credit_amount",
    "savings_account_and_bonds",
    "age_in_years",
]


@pytest.fixture(scope="module")
def german() -> pd.DataFrame:
    data = sc.germancredit()[COLUMNS]
    return data.assign(creditability=(data["creditability"] == "bad").astype(int))


@pytest.fixture(scope="module")
def scorecardpy_card(
    german: pd.DataFrame,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    bins = sc.woebin(german, y="creditability", print_step=0)
    woe = sc.woebin_ply(german, bins, print_step=0)
    y = woe.pop("creditability")
    model = LogisticRegression(max_iter=1000).fit(woe, y)
    card = sc.scorecard(bins, model, woe.columns)
    return bins, card


@pytest.mark.slow
def test_imported_card_matches_scorecard_ply_on_every_row(
    german: pd.DataFrame,
    scorecardpy_card: tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]],
) -> None:
    bins, card = scorecardpy_card
    spec = from_scorecardpy(bins, card)
    theirs = sc.scorecard_ply(german, card, only_total_score=False, print_step=0)
    ours = spec.points(german)
    for name in spec.feature_names:
        np.testing.assert_array_equal(ours[name].to_numpy(), theirs[f"{name}_points"].to_numpy())
    np.testing.assert_array_equal(spec.score(german), theirs["score"].to_numpy())
    # and back: the exported card is the same card
    assert from_scorecardpy(bins, to_scorecardpy(spec)) == spec


@pytest.mark.slow
def test_our_card_scores_the_same_in_scorecardpy(german: pd.DataFrame) -> None:
    X = german.drop(columns="creditability")
    y = german["creditability"]
    spec = Scorecard(WOEBinning(n_jobs=1), min_iv=0.0, points_decimals=0).fit(X, y).spec_
    theirs = sc.scorecard_ply(german, to_scorecardpy(spec), print_step=0)
    np.testing.assert_array_equal(spec.score(german), theirs["score"].to_numpy())


def test_card_without_basepoints_is_refused() -> None:
    with pytest.raises(SpecError, match="needs its 'basepoints' entry"):
        from_scorecardpy(None, {})


def test_merged_missing_and_special_labels() -> None:
    card = {
        "basepoints": pd.DataFrame(
            {"variable": ["basepoints"], "bin": [np.nan], "points": [500.0]}
        ),
        "inq": pd.DataFrame(
            {
                "variable": "inq",
                "bin": ["[-inf,2.0)%,%missing", "[2.0,inf)", "-1.0"],
                "points": [10.0, -5.0, -20.0],
            }
        ),
    }
    spec = from_scorecardpy(None, card)
    score = spec.score({"inq": np.array([0.0, np.nan, 3.0, -1.0])})
    assert score.tolist() == [510.0, 510.0, 495.0, 480.0]
