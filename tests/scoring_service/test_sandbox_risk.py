"""Risk shows in the reports: the latent model is visible in what a model can see."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau_adapters.identity import birth_date, is_valid_resident_id
from scoring_service.sandbox import generate_province
from scoring_service.sandbox.identity import age_on, birth_dates, resident_ids
from scoring_service.sandbox.months import month_index, month_label, months_back
from scoring_service.sandbox.summary import auc


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("risk") / "p"
    generate_province(out, households=2000, banks=2, seed=11)
    drivers = pd.read_parquet(out / "risk_drivers.parquet")
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    households = pd.read_parquet(
        out / "households.parquet", columns=["household_id", "village_review", "bad_habits"]
    )
    return drivers.merge(outcomes, on="household_id").merge(households, on="household_id")


def test_province_is_realistic(province: pd.DataFrame) -> None:
    assert 0.04 <= province["default_12m"].mean() <= 0.10
    assert 0.22 <= province["thin_file"].mean() <= 0.40
    assert 0.75 <= auc(province["true_pd"].to_numpy(), province["default_12m"].to_numpy()) <= 0.88


@pytest.mark.parametrize(
    ("column", "risky"),
    [
        ("n_delinq_months_24m", lambda s: s >= 1),
        ("worst_status_24m", lambda s: s >= 2),
        ("inq_loan_cnt_3m", lambda s: s >= 2),
        ("card_util", lambda s: s >= 0.7),
        ("qh_credoo_score", lambda s: s < 520),
    ],
)
def test_worse_reports_default_more_often(
    province: pd.DataFrame, column: str, risky: object
) -> None:
    flagged = risky(province[column])  # type: ignore[operator]
    assert flagged.sum() >= 40
    worse = province.loc[flagged, "default_12m"].mean()
    better = province.loc[~flagged & province[column].notna(), "default_12m"].mean()
    assert worse > 1.8 * better


def test_village_review_orders_risk(province: pd.DataFrame) -> None:
    rates = province.groupby("village_review")["default_12m"].mean()
    assert rates["poor"] > rates["average"] > rates["good"] > rates["very_good"]
    assert (
        province.loc[province["bad_habits"], "default_12m"].mean() > province["default_12m"].mean()
    )


def test_the_observable_terms_rank_like_the_true_pd(province: pd.DataFrame) -> None:
    """The stored terms (functions of observables only) order households as the true PD does."""
    terms = province[[c for c in province.columns if c.startswith("term_")]].sum(axis=1)
    y = province["default_12m"].to_numpy()
    assert auc(terms.to_numpy(), y) == pytest.approx(
        auc(province["true_pd"].to_numpy(), y), abs=1e-4
    )


@settings(deadline=None, max_examples=60)
@given(
    ages=st.lists(st.integers(18, 90), min_size=1, max_size=20),
    on=st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)),
    seed=st.integers(0, 2**32 - 1),
)
def test_ids_are_valid_and_make_the_exact_age(ages: list[int], on: dt.date, seed: int) -> None:
    rng = np.random.default_rng(seed)
    births = birth_dates(np.array(ages), on, rng)
    male = rng.random(len(ages)) < 0.5
    ids = resident_ids(["431321"] * len(ages), births, male, rng)
    for age, born, number, is_male in zip(ages, births, ids, male, strict=True):
        assert age_on(born, on) == age
        assert is_valid_resident_id(number)
        assert birth_date(number) == born
        assert int(number[16]) % 2 == int(is_male)


@settings(deadline=None)
@given(day=st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), n=st.integers(0, 60))
def test_months_back_stays_in_the_right_month(day: dt.date, n: int) -> None:
    back = months_back(day, n)
    assert month_index(back) == month_index(day) - n
    assert back.day <= day.day
    assert month_label(month_index(back)) == f"{back:%Y-%m}"


@pytest.mark.parametrize(
    ("score", "outcome", "expected"),
    [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),
        ([1, 1, 1, 1], [0, 1, 0, 1], 0.5),
        ([0.2, 0.9], [1, 0], 0.0),
    ],
)
def test_auc_hand_checked(score: list[float], outcome: list[int], expected: float) -> None:
    assert auc(np.array(score), np.array(outcome)) == pytest.approx(expected)


def test_auc_is_undefined_without_both_outcomes() -> None:
    assert np.isnan(auc(np.array([0.1, 0.2]), np.array([0, 0])))
