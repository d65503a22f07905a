"""Identity columns of a chunk of household heads (and their spouses, for the report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from scoring_service.sandbox.geography import COUNTIES
from scoring_service.sandbox.identity import birth_dates, names, phones, resident_ids

__all__ = ["Heads", "draw_heads"]


@dataclass(frozen=True, slots=True)
class Heads:
    """Identity of household heads and spouses (spouse fields empty when not married)."""

    male: np.ndarray
    name: list[str]
    birth: list[dt.date]
    id_number: list[str]
    phone: list[str]
    spouse_name: list[str]
    spouse_id: list[str]
    spouse_phone: list[str]


def draw_heads(
    ages: np.ndarray,
    married: np.ndarray,
    home_county: np.ndarray,
    on: dt.date,
    rng: np.random.Generator,
) -> Heads:
    """Heads (86% men) born mostly in their bank's county, and a spouse for the married."""
    n = len(ages)
    codes = np.array([c for c, _ in COUNTIES])
    elsewhere = rng.random(n) < 0.08
    region = np.where(elsewhere, codes[rng.integers(0, len(codes), n)], home_county).tolist()
    male = rng.random(n) < 0.86
    birth = birth_dates(ages, on, rng)
    spouse_age = np.clip(ages + np.where(male, -1, 1) * rng.integers(0, 5, n), 20, 80)
    spouse_birth = birth_dates(spouse_age, on, rng)
    spouse_ids = resident_ids(region, spouse_birth, ~male, rng)
    spouse_names = names(~male, rng)
    spouse_phones = phones(n, rng)
    keep = married.tolist()
    return Heads(
        male=male,
        name=names(male, rng),
        birth=birth,
        id_number=resident_ids(region, birth, male, rng),
        phone=phones(n, rng),
        spouse_name=[s if k else "" for s, k in zip(spouse_names, keep, strict=True)],
        spouse_id=[s if k else "" for s, k in zip(spouse_ids, keep, strict=True)],
        spouse_phone=[s if k else "" for s, k in zip(spouse_phones, keep, strict=True)],
    )
