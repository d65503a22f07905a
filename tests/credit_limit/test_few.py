"""The few-households path of ``limit_columns`` (plain Python per row) against the array engine.

Both must give the same columns, dtypes and float64 words (``-0.0`` and NaN included) on any
household, and the same error on any input the engine refuses (the few-rows path hands those
to the array engine).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import credit_limit.engine as engine_module
from credit_limit._base import CROPS, GRADES, PRODUCTS, VILLAGE_STATUSES
from credit_limit._inputs import NON_NEGATIVE, NUMERIC
from credit_limit.config import EffectivePolicy, load_policy
from credit_limit.engine import limit_columns
from credit_limit.policy import BankPolicy

CONFIG = Path(__file__).resolve().parents[2] / "config"
SAMPLES = {code: load_policy(code, CONFIG) for code in ("301", "302", "303")}


def _variant(policy: EffectivePolicy, **changes: Any) -> EffectivePolicy:
    data = policy.bank.to_dict() | changes
    return EffectivePolicy.resolve(policy.federation, BankPolicy.from_dict(data))


POLICIES = [
    *SAMPLES.values(),
    _variant(  # the base-plus-shares formula, a product not offered, a fine unit
        SAMPLES["301"],
        limit_formula="base_plus_shares",
        base_plus_shares={
            "base": {"A": 100_000, "B": 80_000, "C": 50_000, "D": 0},
            "asset_pct": 0.10,
            "income_pct": 0.30,
        },
        caps={"pure_credit": {"A": 200_000, "B": 200_000, "C": 100_000, "D": 50_000, "E": 0}},
        rounding={"unit": 1000, "mode": "floor"},
    ),
]
#: amounts around the rounding boundaries (fen and units) and signed zeros
EDGY = [
    0.0,
    -0.0,
    0.005,
    0.0049999,
    1e-9,
    9_999.995,
    9_999.994999,
    10_000.0,
    29_999.997,
    30_000.0049,
    100_000.0 / 0.35,
    100_000.0 / 1.1,
    1e9,
]


def _amount(floored: bool) -> st.SearchStrategy[float]:
    plain = st.floats(0.0 if floored else -2e6, 2e6, allow_nan=False, allow_infinity=False)
    edgy = st.sampled_from(EDGY if not floored else [v for v in EDGY if v >= 0 or v == 0])
    rounded = st.integers(0, 300).map(lambda k: k * 1000.0)
    return st.one_of(plain, edgy, rounded)


@st.composite
def households(draw: st.DrawFn, n: int) -> dict[str, Any]:
    """Named columns of ``n`` households, typed as the online pipeline types them."""
    columns: dict[str, Any] = {}
    if draw(st.booleans()):
        columns["household_id"] = np.array([f"H{i}" for i in range(n)], dtype=object)
    for name in NUMERIC:
        floored = name in NON_NEGATIVE
        columns[name] = np.array([draw(_amount(floored)) for _ in range(n)], dtype=np.float64)
    if draw(st.booleans()):  # counts as the pipeline's float block, or as integers
        columns["livestock_heads"] = columns["livestock_heads"].round()
    for name, allowed in (
        ("grade", GRADES),
        ("credit_village_status", VILLAGE_STATUSES),
        ("main_crop", CROPS),
    ):
        columns[name] = np.array([draw(st.sampled_from(allowed)) for _ in range(n)], dtype=object)
    products = np.array([draw(st.sampled_from(PRODUCTS)) for _ in range(n)], dtype=object)
    columns["product" if draw(st.booleans()) else "requested_product"] = products
    knockout = draw(st.sampled_from(["absent", "bool", "codes"]))
    if knockout == "bool":
        columns["knockout"] = np.array([draw(st.booleans()) for _ in range(n)], dtype=bool)
    elif knockout == "codes":
        codes = [draw(st.sampled_from(["", "K01", "K01;K05"])) for _ in range(n)]
        columns["knockout"] = np.array(codes, dtype=object)
    if draw(st.booleans()):
        columns["term_years"] = np.array(
            [draw(st.sampled_from([1, 2, 3])) for _ in range(n)], dtype=np.int64
        )
    return columns


def same(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    """The same keys in the same order, the same types, dtypes and values, bit for bit."""
    assert list(fast) == list(slow)
    for name, a in fast.items():
        b = slow[name]
        assert type(a) is type(b), name
        if isinstance(a, pd.Categorical):
            assert a.dtype == b.dtype, name
            assert a.codes.tolist() == b.codes.tolist(), name
            continue
        assert a.dtype == b.dtype, name
        assert a.shape == b.shape, name
        if a.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:
            assert a.tobytes() == b.tobytes(), (name, a, b)


def array_engine(columns: dict[str, Any], policy: EffectivePolicy) -> dict[str, Any]:
    """``limit_columns`` through the array engine alone."""
    saved = engine_module.FEW
    engine_module.FEW = 0
    try:
        return limit_columns(columns, policy)
    finally:
        engine_module.FEW = saved


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(1, 8), which=st.integers(0, len(POLICIES) - 1))
def test_few_households_equal_the_array_engine(data: st.DataObject, n: int, which: int) -> None:
    columns = data.draw(households(n))
    policy = POLICIES[which]
    same(limit_columns(columns, policy), array_engine(columns, policy))


def test_random_books_equal_the_array_engine(random_frame: Any) -> None:
    """Every grade, product, status, crop and knockout of a random book, a few at a time."""
    frame = random_frame(np.random.default_rng(11), 1200)
    frame["grade"] = frame["grade"].astype(object)
    at = 0
    sizes = iter(np.random.default_rng(5).integers(1, 9, 1200).tolist())
    seen: set[str] = set()
    for policy in POLICIES:
        while at < len(frame):
            part = frame.iloc[at : at + next(sizes)]
            at += len(part)
            columns = {name: part[name].to_numpy() for name in part.columns}
            fast = limit_columns(columns, policy)
            same(fast, array_engine(columns, policy))
            seen.update(fast["binding"].astype(str).tolist())
        at = 0
    assert {"knockout", "grade_no_credit", "product_not_offered", "assets", "need"} <= seen


def _one_household(amount: float) -> dict[str, Any]:
    """One household as named arrays: every number ``amount``, grade B, pure credit."""
    columns: dict[str, Any] = {name: np.array([amount]) for name in NUMERIC}
    return columns | {
        "grade": np.array(["B"], dtype=object),
        "product": np.array(["pure_credit"], dtype=object),
        "credit_village_status": np.array(["ordinary"], dtype=object),
        "main_crop": np.array(["grain"], dtype=object),
    }


def test_one_household_takes_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = engine_module.few_rows

    def spy(columns: Any, tables: Any, n: int) -> Any:
        calls.append(n)
        return real(columns, tables, n)

    monkeypatch.setattr(engine_module, "few_rows", spy)
    columns = _one_household(1000.0)
    out = limit_columns(columns, SAMPLES["301"])
    assert calls == [1]
    same(out, array_engine(columns, SAMPLES["301"]))


BAD: list[tuple[str, Any]] = [
    ("assets_house", np.array([-1.0])),
    ("income_crop", np.array([np.nan])),
    ("income_wage", np.array([np.inf])),
    ("income_crop", np.array(["12"], dtype=object)),
    ("grade", np.array(["F"], dtype=object)),
    ("main_crop", np.array([None], dtype=object)),
    ("product", np.array(["overdraft"], dtype=object)),
    ("term_years", np.array([2.5])),
    ("term_years", np.array([0])),
    ("term_years", np.array([9])),
    ("knockout", np.array([None], dtype=object)),
    ("knockout", np.array([1.0])),
    ("land_mu", np.array([1.0, 2.0])),
    ("household_id", np.array([["H1"]], dtype=object)),
    ("grade", ["A"]),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_refused_inputs_raise_the_array_engines_error(name: str, value: Any) -> None:
    columns = _one_household(5000.0)
    columns[name] = value
    policy = SAMPLES["302"]
    try:
        expected: Any = array_engine(columns, policy)
    except Exception as exc:  # whatever the array engine raises
        with pytest.raises(type(exc), match="^" + re.escape(str(exc)) + "$"):
            limit_columns(columns, policy)
    else:  # the array engine accepts it (e.g. a float knockout): so does the fast path
        same(limit_columns(columns, policy), expected)
