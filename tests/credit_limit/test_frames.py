"""One row at a time equals many rows at once; the fast pandas edges equal the public API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_limit import _frames
from credit_limit.config import EffectivePolicy
from credit_limit.engine import compute_limit, compute_limits, limit_columns
from credit_limit.exceptions import LimitInputError

RandomFrame = Callable[[np.random.Generator, int], pd.DataFrame]
CATEGORY_COLUMNS = ("grade", "product", "credit_village_status", "main_crop")


def _typed(frame: pd.DataFrame, how: str, rng: np.random.Generator) -> pd.DataFrame:
    """The same households with the column dtypes a caller may use."""
    if how == "category":
        frame = frame.astype(dict.fromkeys(CATEGORY_COLUMNS, "category"))
    elif how == "string":
        frame = frame.astype({"grade": "string", "main_crop": "string", "income_other": object})
    elif how == "codes":  # knockout as the fired rule codes, and a few integer columns
        frame = frame.assign(
            knockout=np.where(frame["knockout"], "bad_habits;R7", ""),
            livestock_heads=frame["livestock_heads"].astype(np.int32),
            assets_deposits=frame["assets_deposits"].astype(np.float32),
        )
    elif how == "no_term":
        frame = frame.drop(columns=["term_years", "knockout"])
    shuffled = rng.permutation(len(frame)) * 3 + 5  # an index that is neither sorted nor 0..n
    return frame.set_axis(pd.Index(shuffled), axis=0)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    bank=st.sampled_from(["301", "302", "303"]),
    how=st.sampled_from(["object", "category", "string", "codes", "no_term"]),
)
def test_one_row_frames_equal_the_batch_row_for_row(
    random_frame: RandomFrame,
    sample_policies: dict[str, EffectivePolicy],
    seed: int,
    bank: str,
    how: str,
) -> None:
    """Every output column, exactly, for frames above and below the small-frame paths."""
    rng = np.random.default_rng(seed)
    frame = _typed(random_frame(rng, 90), how, rng)
    policy = sample_policies[bank]
    batch = compute_limits(frame, policy)
    rows = pd.concat([compute_limits(frame.iloc[[i]], policy) for i in range(len(frame))])
    pd.testing.assert_frame_equal(rows, batch, check_exact=True)
    for record, limit in zip(frame.to_dict(orient="records")[:10], batch["limit"], strict=False):
        assert compute_limit(record, policy).limit == limit


@pytest.mark.parametrize("how", ["object", "category", "string", "codes", "no_term"])
@pytest.mark.parametrize("n", [1, 200])
def test_fast_pandas_edges_equal_the_public_api(
    random_frame: RandomFrame,
    sample_policies: dict[str, EffectivePolicy],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
    n: int,
) -> None:
    rng = np.random.default_rng(n)
    frame = _typed(random_frame(rng, n), how, rng)
    fast = compute_limits(frame, sample_policies["302"])
    monkeypatch.setattr(_frames, "FAST", False)
    public = compute_limits(frame, sample_policies["302"])
    pd.testing.assert_frame_equal(fast, public, check_exact=True)


def _faulty(n: int, **columns: Any) -> pd.DataFrame:
    from credit_limit.examples import blank_household

    frame = pd.DataFrame([blank_household(grade="A")] * n)
    for name, value in columns.items():
        values = frame.get(name, pd.Series(1, index=frame.index)).astype(object)
        values.iloc[n - 1] = value  # the fault in the last row
        frame[name] = values
    return frame


FAULTS = [
    ({"income_wage": np.nan, "land_mu": "x"}, r"'income_wage' has 1 missing"),
    ({"income_wage": "x", "land_mu": -1.0}, r"'income_wage' must be numeric"),
    ({"income_crop": 1.0, "land_mu": -1.0, "debt_informal": np.inf}, r"'debt_informal' has 1"),
    ({"expense_living": -np.inf}, r"'expense_living' has 1 missing or infinite"),
    ({"guarantees_given": -5.0}, r"'guarantees_given' must be >= 0; found 1 .* e.g. -5.0"),
    ({"grade": "F", "main_crop": "rice"}, r"'grade' has value\(s\) \['F'\]"),
    ({"knockout": None}, r"'knockout' has missing values"),
    ({"term_years": 7}, r"term_years \[7\] have no term adjustment"),
]


@pytest.mark.parametrize(("faults", "match"), FAULTS)
@pytest.mark.parametrize("n", [1, 100])
@pytest.mark.parametrize("api", ["fast", "public"])
def test_the_first_faulty_column_is_named_whatever_the_size(
    sample_policies: dict[str, EffectivePolicy],
    monkeypatch: pytest.MonkeyPatch,
    faults: dict[str, Any],
    match: str,
    n: int,
    api: str,
) -> None:
    """Columns are checked in the declared order; the message counts the faulty values."""
    if api == "public":
        monkeypatch.setattr(_frames, "FAST", False)
    frame = _faulty(n, **faults)
    with pytest.raises(LimitInputError, match=match) as caught:
        compute_limits(frame, sample_policies["301"])
    assert caught.value.code == "LIMIT_INPUT"
    assert caught.value.fields.get("column", "term_years") in {*faults, "term_years"}


def test_a_repeated_column_is_refused_by_name(
    sample_policies: dict[str, EffectivePolicy],
) -> None:
    frame = _faulty(3)
    repeated = pd.concat([frame, frame[["land_mu", "bank_code"]]], axis=1)
    with pytest.raises(LimitInputError, match=r"column\(s\) \['land_mu'\] more than once"):
        compute_limits(repeated, sample_policies["301"])
    other = pd.concat([frame, frame[["bank_code"]]], axis=1)  # not read by the engine
    pd.testing.assert_frame_equal(
        compute_limits(other, sample_policies["301"]), compute_limits(frame, sample_policies["301"])
    )


def test_the_result_shares_no_memory_with_the_input(
    random_frame: RandomFrame, sample_policies: dict[str, EffectivePolicy]
) -> None:
    frame = random_frame(np.random.default_rng(5), 3).assign(knockout_reasons="R1")
    before = frame.copy()
    out = compute_limits(frame, sample_policies["303"])
    out.loc[:, "household_id"] = "changed"
    out.loc[:, "knockout_reasons"] = "changed"
    out.loc[:, "need"] = -1.0
    pd.testing.assert_frame_equal(frame, before)


def test_a_big_frame_equals_its_small_slices(
    random_frame: RandomFrame, sample_policies: dict[str, EffectivePolicy]
) -> None:
    """Above ``SMALL`` rows the result is built column by column; the values are the same."""
    frame = random_frame(np.random.default_rng(11), _frames.SMALL + 904)
    whole = compute_limits(frame, sample_policies["301"])
    halves = [frame.iloc[: _frames.SMALL // 2], frame.iloc[_frames.SMALL // 2 :]]
    assert min(len(h) for h in halves) <= _frames.SMALL < len(frame)
    parts = pd.concat([compute_limits(h, sample_policies["301"]) for h in halves])
    pd.testing.assert_frame_equal(parts, whole, check_exact=True)


@pytest.mark.parametrize("n", [1, 300])
def test_limit_columns_from_named_arrays_equal_the_frame(
    random_frame: RandomFrame, sample_policies: dict[str, EffectivePolicy], n: int
) -> None:
    frame = _typed(random_frame(np.random.default_rng(n), n), "codes", np.random.default_rng(0))
    expected = compute_limits(frame, sample_policies["303"]).reset_index(drop=True)
    named: dict[str, Any] = {name: frame[name].to_numpy() for name in frame.columns}
    named["grade"] = frame["grade"].tolist()  # lists and Series are read as pandas types them
    named["main_crop"] = frame["main_crop"].astype("category").reset_index(drop=True)
    for columns in (named, frame):
        got = pd.DataFrame(limit_columns(columns, sample_policies["303"]))
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_limit_columns_refuse_columns_of_other_lengths(
    sample_policies: dict[str, EffectivePolicy],
) -> None:
    named: dict[str, Any] = {k: np.array([v, v]) for k, v in _faulty(1).iloc[0].items()}
    named["land_mu"] = np.array([1.0, 2.0, 3.0])
    with pytest.raises(LimitInputError, match=r"'land_mu' must hold 2 values") as caught:
        limit_columns(named, sample_policies["301"])
    assert caught.value.fields["column"] == "land_mu"
    del named["land_mu"]
    with pytest.raises(LimitInputError, match=r"household columns lack column\(s\) \['land_mu'\]"):
        limit_columns(named, sample_policies["301"])
