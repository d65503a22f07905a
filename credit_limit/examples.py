"""Hand-worked households for documentation and tests (§2.1 of the rating and limits doc)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from credit_limit._inputs import NUMERIC

__all__ = ["blank_household", "worked_example_b", "worked_example_e"]


def blank_household(**fields: Any) -> dict[str, Any]:
    """A household with every money and count field 0, ordinary village, no crop; then ``fields``.

    Examples
    --------
    >>> blank_household(grade="A")["grade"], blank_household()["land_mu"]
    ('A', 0.0)
    """
    row: dict[str, Any] = dict.fromkeys(NUMERIC, 0.0)
    row.update(
        household_id="H00000001",
        bank_code="301",
        grade="C",
        product="pure_credit",
        credit_village_status="ordinary",
        main_crop="none",
        knockout=False,
    )
    row.update(fields)
    return row


def worked_example_e() -> pd.DataFrame:
    """§2.1 (e): grade B, net income 80k, net assets 300k, other-bank debt 50k -> 10万.

    Income 120k from vegetables less 40k of expenses; assets 350k less the 50k other-bank
    debt; 40 mu of vegetables documents a need above the asset capacity.
    """
    return pd.DataFrame(
        [
            blank_household(
                grade="B",
                income_crop=120_000.0,
                expense_production=40_000.0,
                assets_house=250_000.0,
                assets_deposits=100_000.0,
                debt_other_banks=50_000.0,
                land_mu=40.0,
                main_crop="vegetables",
            )
        ]
    )


def worked_example_b() -> pd.DataFrame:
    """§2.1 (b): an AAA (grade A) household, total assets 400k, operating income 150k -> 18.5万."""
    return pd.DataFrame(
        [
            blank_household(
                grade="A",
                assets_house=300_000.0,
                assets_machinery=100_000.0,
                income_crop=90_000.0,
                income_business=60_000.0,
            )
        ]
    )
