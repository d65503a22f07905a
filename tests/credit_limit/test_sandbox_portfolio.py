"""On a sandbox province: the vectorised engine equals the one-household path, bank by bank."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from credit_limit.config import EffectivePolicy
from credit_limit.engine import compute_limit, compute_limits


def _book(province: Path, policy: EffectivePolicy) -> pd.DataFrame:
    """One bank's households, graded from the true PD by the bank's cut-offs."""
    households = pd.read_parquet(province / "households.parquet")
    outcomes = pd.read_parquet(province / "outcomes.parquet")
    book = households.merge(outcomes, on="household_id", validate="one_to_one")
    book = book[book["bank_code"] == policy.bank.code].reset_index(drop=True)
    return book.assign(
        grade=policy.bank.rating.grades_for_pd(book["true_pd"]),
        knockout=book["bad_habits"],
        pd=book["true_pd"],
    )


def test_vectorised_equals_one_household_path_on_the_sandbox(
    small_province: Path, sample_policies: dict[str, EffectivePolicy]
) -> None:
    compared = 0
    for policy in sample_policies.values():
        book = _book(small_province, policy)
        out = compute_limits(book, policy)
        one = [compute_limit(row, policy) for row in book.to_dict(orient="records")]
        assert [d.limit for d in one] == out["limit"].tolist()
        assert ["+".join(d.binding) for d in one] == out["binding"].astype(str).tolist()
        caps = book["grade"].map(policy.bank.grade_caps).to_numpy()
        assert (out["limit"].to_numpy() <= caps).all()
        compared += len(book)
    assert compared == 400
    assert out["limit"].gt(0).any()
