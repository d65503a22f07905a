"""The federation's expert card on the sandbox province: real column names, thin files, PD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bureau_adapters.pboc import parse_file
from bureau_adapters.pboc.features import features_frame
from rating_models import ExpertCard, GradeScale, RatingSetup, knockout_rules, rate_households
from rating_models.expert import expert_score, indicator_points
from rating_models.metrics import auc

CARD = ExpertCard.from_yaml(
    Path(__file__).resolve().parents[2] / "config" / "expert_cards" / "federation_default.yaml"
)


@pytest.fixture(scope="module")
def province_frame(small_province: Path) -> pd.DataFrame:
    households = pd.read_parquet(small_province / "households.parquet").set_index("household_id")
    outcomes = pd.read_parquet(small_province / "outcomes.parquet").set_index("household_id")
    files = sorted((small_province / "reports" / "pboc").glob("*.xml"))
    features = features_frame([parse_file(p) for p in files])
    features.index = [p.stem for p in files]
    return households.join(outcomes).join(features)


def test_card_scores_every_sandbox_household(province_frame: pd.DataFrame) -> None:
    score = expert_score(CARD, province_frame)
    assert score.notna().all()
    assert score.between(0, 100).all()
    # a discriminating card on the sandbox's latent risk (400 households, seeded: deterministic)
    assert auc(province_frame["default_12m"], -score) > 0.6


def test_thin_files_get_neutral_credit_points(province_frame: pd.DataFrame) -> None:
    points = indicator_points(CARD, province_frame)
    thin = province_frame["thin_file"].to_numpy()
    credit = points.loc[thin, ["n_delinq_months_24m", "cur_overdue_amt", "has_bad_debt"]]
    assert (credit.to_numpy() == np.array([6.0, 2.0, 2.0])).all()
    assert points.loc[~thin, "n_delinq_months_24m"].max() == 10.0


def test_expert_mode_rates_the_province_with_calibrated_pd(province_frame: pd.DataFrame) -> None:
    setup = RatingSetup(
        GradeScale(max_pd=(0.01, 0.025, 0.05, 0.10, 1.0)),
        mode="expert",
        knockouts=knockout_rules(["pboc_serious_delinquency_24m", "age_outside_18_65"]),
    )
    out = rate_households(province_frame, setup=setup, expert=CARD)
    assert out["pd"].between(0, 1).all()
    assert set(out["grade"]) <= set("ABCDE")
    knocked = out["knockout"] != ""
    assert (out.loc[knocked, "grade"] == "E").all()
    assert out.loc[~knocked, "reason_1"].str.startswith("X:").all()  # no catalog given
