"""Fixtures of the credit_limit tests: the sample configuration and random household frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_limit._base import CROPS, GRADES, PRODUCTS, VILLAGE_STATUSES
from credit_limit.config import EffectivePolicy, load_policy

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config"
DATA = Path(__file__).resolve().parent / "data"

RandomFrame = Callable[[np.random.Generator, int], pd.DataFrame]


@pytest.fixture(scope="session")
def config_dir() -> Path:
    return CONFIG


@pytest.fixture(scope="session")
def sample_policies() -> dict[str, EffectivePolicy]:
    """The three sandbox banks' effective policies from ``config/``."""
    return {code: load_policy(code, CONFIG) for code in ("301", "302", "303")}


def _money(rng: np.random.Generator, n: int, scale: float, zero_share: float) -> np.ndarray:
    """Lognormal amounts with a share of exact zeros and a few round numbers (ties)."""
    values = np.round(rng.lognormal(np.log(scale), 1.0, n), 2)
    values[rng.random(n) < zero_share] = 0.0
    round_ones = rng.random(n) < 0.1
    values[round_ones] = np.round(values[round_ones], -4)
    return values


def random_households(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Households over the whole input domain: every grade, product, status, crop, knockout."""
    frame = pd.DataFrame(
        {
            "household_id": [f"H{i:08d}" for i in range(n)],
            "grade": rng.choice(GRADES, n),
            "product": rng.choice(PRODUCTS, n),
            "credit_village_status": rng.choice(VILLAGE_STATUSES, n),
            "main_crop": rng.choice(CROPS, n),
            "knockout": rng.random(n) < 0.08,
            "pd": rng.beta(1.0, 30.0, n),
            "land_mu": np.round(rng.gamma(2.0, 8.0, n), 1) * (rng.random(n) > 0.1),
            "livestock_heads": rng.poisson(4.0, n) * (rng.random(n) > 0.5),
            "term_years": rng.integers(1, 4, n),
        }
    )
    for col, scale in {
        "income_crop": 30_000,
        "income_livestock": 15_000,
        "income_wage": 40_000,
        "income_business": 25_000,
        "income_other": 3_000,
    }.items():
        frame[col] = _money(rng, n, scale, 0.3)
    frame["income_business"] -= (rng.random(n) < 0.05) * 20_000.0  # a few business losses
    for col, scale in {
        "expense_living": 25_000,
        "expense_production": 15_000,
        "expense_education": 5_000,
        "expense_medical": 3_000,
    }.items():
        frame[col] = _money(rng, n, scale, 0.2)
    for col, scale in {
        "assets_house": 250_000,
        "assets_vehicle": 40_000,
        "assets_machinery": 30_000,
        "assets_livestock": 20_000,
        "assets_deposits": 50_000,
    }.items():
        frame[col] = _money(rng, n, scale, 0.3)
    for col, scale in {
        "debt_this_bank": 40_000,
        "debt_other_banks": 50_000,
        "debt_informal": 20_000,
        "guarantees_given": 30_000,
    }.items():
        frame[col] = _money(rng, n, scale, 0.6)
    return frame


@pytest.fixture(scope="session")
def random_frame() -> RandomFrame:
    """``random_frame(rng, n)``: a random household frame over the whole input domain."""
    return random_households
