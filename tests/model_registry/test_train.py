"""Training under the federation's and a bank's configuration (expert card, blend, knockouts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model_registry.config import rating_config
from model_registry.exceptions import EvidenceError
from model_registry.flavor import input_example, load_model, save_model
from model_registry.train import NON_FEATURES, train_rating_model

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def province_frame(small_province: Path, rng: np.random.Generator) -> pd.DataFrame:
    """The sandbox survey and outcome, plus bureau columns drawn at random."""
    households = pd.read_parquet(small_province / "households.parquet")
    outcomes = pd.read_parquet(small_province / "outcomes.parquet")
    frame = households.merge(outcomes[["household_id", "default_12m"]], on="household_id")
    n = len(frame)
    return frame.assign(
        n_accounts=rng.integers(0, 4, n),
        n_delinq_months_24m=rng.poisson(0.3, n),
        cur_overdue_amt=np.where(rng.random(n) < 0.05, 1000.0, 0.0),
        has_bad_debt=(rng.random(n) < 0.02).astype(int),
        worst_status_24m=rng.integers(0, 3, n),
        npl_class_cnt=0,
        qh_b1_dishonest=False,
    )


def test_bank_configuration_trains_a_blended_model(
    province_frame: pd.DataFrame, tmp_path: Path
) -> None:
    y = province_frame.pop("default_12m")
    config = rating_config(CONFIG, "301", columns=province_frame.columns)
    assert (config.mode, config.expert_weight) == ("blend", 0.4)
    result = train_rating_model(
        province_frame, y, name="farmer-rating-301", scale=config.scale, expert=config.expert,
        mode=config.mode, expert_weight=config.expert_weight, knockouts=config.knockouts,
        reason_catalog=config.reason_catalog, feature_catalog_version="pboc-features/1",
    )  # fmt: skip
    model = result.model
    assert model.mode == "blend"
    assert model.expert is not None
    assert model.expert.pd_calibration is not None
    assert model.expert.pd_calibration.source == "fitted"
    assert model.scale.max_pd[:4] == (0.01, 0.025, 0.05, 0.10)
    assert {"K04", "K05", "K06", "K07", "K08"} <= {r.code for r in model.knockouts}
    assert not set(NON_FEATURES) & set(result.test.columns)  # no identifiers or PII logged
    save_model(model, tmp_path / "m", input_example=input_example(model, province_frame))
    loaded = load_model(str(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.predict(province_frame), model.predict(province_frame))


def test_federation_configuration_notes_what_it_leaves_out() -> None:
    survey_only = ["head_age", "years_resident", "income_total"]
    config = rating_config(CONFIG, None, columns=survey_only)
    assert config.mode == "statistical"
    assert config.expert is None
    assert [r.code for r in config.knockouts] == ["K05"]
    assert any("worst_status_24m" in note for note in config.notes)
    with pytest.raises(EvidenceError, match=r"Bank 302's expert card and knockouts read columns"):
        rating_config(CONFIG, "302", columns=survey_only)
    with pytest.raises(EvidenceError, match=r"Expert card federation_default read columns"):
        rating_config(CONFIG, None, columns=survey_only, expert_card="federation_default")


def test_federation_model_with_an_expert_card(province_frame: pd.DataFrame) -> None:
    config = rating_config(
        CONFIG, None, columns=province_frame.columns, expert_card="federation_default"
    )
    assert (config.mode, config.expert_weight) == ("blend", 0.5)
    assert config.expert is not None


def test_hold_out_is_stable_by_household(province_frame: pd.DataFrame) -> None:
    from model_registry.train import _split

    _, held = _split(province_frame, 0.3, 0, "household_id")
    _, held_again = _split(province_frame.iloc[::-1].reset_index(drop=True), 0.3, 0, "household_id")
    ids = set(province_frame["household_id"].iloc[held])
    assert ids == set(
        province_frame["household_id"].iloc[::-1].reset_index(drop=True).iloc[held_again]
    )
    assert 0.2 < len(ids) / len(province_frame) < 0.4
