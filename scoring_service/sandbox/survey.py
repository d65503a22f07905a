"""Household survey of the sandbox: the columns of ``docs/data-model.md`` (one row a household).

Every column is drawn vectorised for a chunk of households. The hidden character ``z``
(higher = riskier) shifts the columns a loan officer can see: village review, bad habits,
informal high-interest borrowing, deposits. Bank debts and guarantees given are filled in
later from the household's PBOC report so that survey and report agree.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["draw_survey"]

_CROPS = np.array(["grain", "vegetables", "fruit", "tea", "cash_crop"])
_CROP_P = np.array([0.45, 0.15, 0.12, 0.08, 0.20])
_NET_PER_MU = np.array([900.0, 3000.0, 3400.0, 2800.0, 2000.0])
_REVIEWS = np.array(["poor", "average", "good", "very_good"])
_PRODUCTS = np.array(["pure_credit", "joint_guarantee", "guaranteed", "mortgage"])
_PRODUCT_P = np.array([0.50, 0.25, 0.15, 0.10])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _demographics(z: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(z)
    age = np.clip(np.round(rng.normal(48.0, 11.0, n)), 22, 75).astype(np.int64)
    u = rng.random(n)
    p_single = np.where(age < 30, 0.35, 0.04)
    p_widow = np.where(age >= 60, 0.15, 0.02)
    p_divorced = 0.03 + 0.04 * (z > 1.0)
    marital = np.where(
        u < p_single,
        "single",
        np.where(
            u < p_single + p_widow,
            "widowed",
            np.where(u < p_single + p_widow + p_divorced, "divorced", "married"),
        ),
    )
    h = rng.random(n)
    p_poor = 0.03 + 0.004 * np.clip(age - 40, 0, None)
    health = np.where(h < p_poor, "poor", np.where(h < p_poor + 0.30, "average", "good"))
    e = rng.random(n) + np.clip(age - 30, 0, None) / 60.0
    education = np.where(
        e > 1.05, "primary", np.where(e > 0.45, "junior", np.where(e > 0.12, "senior", "college"))
    )
    members = np.clip(1 + rng.poisson(2.6, n), 1, 8)
    members = np.where(marital == "single", np.minimum(members, 3), members)
    workers = np.clip(rng.binomial(members, 0.55), 0, members)
    workers = np.where((workers == 0) & (age < 65), 1, workers)
    moved = rng.random(n) < 0.2
    years_resident = np.where(moved, age - rng.integers(18, 40, n).clip(None, age - 1), age)
    return {
        "head_age": age,
        "marital_status": marital,
        "health": health,
        "education": education,
        "members": members.astype(np.int64),
        "workers": workers.astype(np.int64),
        "years_resident": np.clip(years_resident, 1, None).astype(np.int64),
    }


def _farm_and_income(
    cols: dict[str, np.ndarray], z: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = len(z)
    land = np.round(_lognormal(rng, 6.0, 0.65, n), 1)
    land = np.where(rng.random(n) < 0.08, 0.0, land)
    crop_idx = rng.choice(len(_CROPS), n, p=_CROP_P)
    main_crop = np.where(land > 0, _CROPS[crop_idx], "none")
    heads = np.where(rng.random(n) < 0.55, 0, np.round(_lognormal(rng, 6.0, 1.0, n)))
    skill = np.exp(-0.08 * z + 0.25 * rng.standard_normal(n))
    income_crop = land * _NET_PER_MU[crop_idx] * skill
    income_livestock = heads * 450.0 * np.exp(0.3 * rng.standard_normal(n))
    migrants = rng.binomial(cols["workers"], 0.4)
    local = rng.binomial(cols["workers"] - migrants, 0.6)  # odd jobs near home (打零工)
    income_wage = migrants * _lognormal(rng, 45_000.0, 0.3, n) + local * _lognormal(
        rng, 12_000.0, 0.4, n
    )
    has_business = rng.random(n) < 0.15
    income_business = np.where(has_business, _lognormal(rng, 50_000.0, 0.7, n) * skill, 0.0)
    income_other = rng.uniform(800.0, 6_000.0, n)
    return {
        "land_mu": land,
        "main_crop": main_crop,
        "livestock_heads": heads.astype(np.int64),
        "income_crop": np.round(income_crop, -2),
        "income_livestock": np.round(income_livestock, -2),
        "income_wage": np.round(income_wage, -2),
        "income_business": np.round(income_business, -2),
        "income_other": np.round(income_other, -2),
    }


def _expenses_and_assets(
    cols: dict[str, np.ndarray], z: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = len(z)
    members, age = cols["members"], cols["head_age"]
    farm = cols["income_crop"] + cols["income_livestock"]
    schooling = (members >= 3) & (age >= 28) & (age <= 56) & (rng.random(n) < 0.65)
    medical_factor = np.where(
        cols["health"] == "poor", 4.0, np.where(cols["health"] == "average", 1.6, 1.0)
    )
    heads = cols["livestock_heads"]
    vehicle = np.where(rng.random(n) < 0.4, 0.0, _lognormal(rng, 60_000.0, 0.6, n))
    machinery = np.where(
        cols["land_mu"] > 10,
        _lognormal(rng, 25_000.0, 0.8, n),
        np.where(rng.random(n) < 0.3, 5_000.0, 0.0),
    )
    deposits = _lognormal(rng, 30_000.0, 1.0, n) * np.exp(-0.35 * z)
    return {
        "expense_living": np.round(members * _lognormal(rng, 6_000.0, 0.25, n), -2),
        "expense_production": np.round(0.35 * farm * np.exp(0.2 * rng.standard_normal(n)), -2),
        "expense_education": np.where(schooling, np.round(rng.uniform(3_000, 15_000, n), -2), 0.0),
        "expense_medical": np.round(
            1_500.0 * medical_factor * np.exp(0.4 * rng.standard_normal(n)), -2
        ),
        "assets_house": np.round(_lognormal(rng, 180_000.0, 0.5, n), -3),
        "assets_vehicle": np.round(vehicle, -3),
        "assets_machinery": np.round(machinery, -3),
        "assets_livestock": np.round(heads * 1_200.0, -2),
        "assets_deposits": np.round(deposits, -2),
        "deposits_this_bank_avg": np.round(deposits * rng.beta(2.0, 2.0, n), -2),
    }


def _conduct(
    cols: dict[str, np.ndarray], z: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    n = len(z)
    informal = rng.random(n) < 0.10 + 0.15 * _sigmoid(2.0 * z - 1.5)
    debt_informal = np.where(informal, np.round(_lognormal(rng, 30_000.0, 0.8, n), -3), 0.0)
    high_interest = informal & (rng.random(n) < _sigmoid(-1.2 + 1.3 * z))
    review_score = -0.9 * z + 0.7 * rng.standard_normal(n)
    review = _REVIEWS[np.digitize(review_score, [-1.3, -0.3, 0.9])]
    adult_years = np.minimum(cols["years_resident"], cols["head_age"] - 18)
    years_with_bank = np.minimum(adult_years, rng.exponential(8.0, n).astype(np.int64))
    return {
        "debt_informal": debt_informal,
        "informal_high_interest": high_interest,
        "years_with_bank": years_with_bank.astype(np.int64),
        "village_review": review,
        "bad_habits": rng.random(n) < _sigmoid(-3.6 + 1.1 * z),
        "requested_product": _PRODUCTS[rng.choice(len(_PRODUCTS), n, p=_PRODUCT_P)],
    }


def draw_survey(
    z: np.ndarray, survey_date: dt.date, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Survey columns for households with hidden character ``z`` (identity added elsewhere).

    Bank debts (``debt_this_bank``, ``debt_other_banks``) and ``guarantees_given`` are not
    drawn here: they come from the household's bureau facts.
    """
    cols = _demographics(z, rng)
    cols.update(_farm_and_income(cols, z, rng))
    cols.update(_expenses_and_assets(cols, z, rng))
    cols.update(_conduct(cols, z, rng))
    cols["survey_date"] = np.full(len(z), np.datetime64(survey_date, "D"))
    return cols
