"""PSI on numeric bin edges: hand-checked tables, and the same tables as the label-based code.

``_labelled_psi_table`` is the implementation before bin counting moved to numeric edges
(every row labelled with its bin as a string, then counted): it stays here as the reference
the fast one must agree with, bin for bin.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating_models.metrics import PSI_EPSILON, psi, psi_table


def _labelled_bins(expected: pd.Series, actual: pd.Series, bins: int) -> list[pd.Series]:
    numeric = pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected)
    if not numeric:
        return [s.astype("string").fillna("<missing>") for s in (expected, actual)]
    finite = expected.dropna().to_numpy(dtype=np.float64)
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if finite.size else []
    labels = []
    for series in (expected, actual):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        idx = np.searchsorted(edges, values, side="right").astype(object)
        idx[np.isnan(values)] = "<missing>"
        labels.append(pd.Series(idx, index=series.index).astype("string"))
    return labels


def _key(label: str) -> tuple[int, float, str]:
    if label == "<missing>":
        return (2, 0.0, label)
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def _labelled_psi_table(expected: object, actual: object, bins: int = 10) -> pd.DataFrame:
    exp_l, act_l = _labelled_bins(
        pd.Series(expected).reset_index(drop=True), pd.Series(actual).reset_index(drop=True), bins
    )
    exp_n, act_n = exp_l.value_counts(sort=False), act_l.value_counts(sort=False)
    index = sorted(set(exp_n.index) | set(act_n.index), key=_key)
    table = pd.DataFrame(
        {
            "bin": index,
            "expected_n": exp_n.reindex(index, fill_value=0).to_numpy(),
            "actual_n": act_n.reindex(index, fill_value=0).to_numpy(),
        }
    )
    e = np.maximum(table["expected_n"] / table["expected_n"].sum(), PSI_EPSILON)
    a = np.maximum(table["actual_n"] / table["actual_n"].sum(), PSI_EPSILON)
    table["expected_share"] = table["expected_n"] / table["expected_n"].sum()
    table["actual_share"] = table["actual_n"] / table["actual_n"].sum()
    table["psi"] = (a - e) * np.log(a / e)
    return table


def test_numeric_psi_hand_checked() -> None:
    # 2 bins cut at the median of expected (2.5): expected 2 | 2, actual 3 | 1 and 1 missing
    table = psi_table([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 4.0, np.nan], bins=2)
    assert table["bin"].tolist() == ["0", "1", "<missing>"]
    assert table["expected_n"].tolist() == [2, 2, 0]
    assert table["actual_n"].tolist() == [3, 1, 1]
    want = [
        (0.6 - 0.5) * math.log(0.6 / 0.5),
        (0.2 - 0.5) * math.log(0.2 / 0.5),
        (0.2 - PSI_EPSILON) * math.log(0.2 / PSI_EPSILON),  # the empty bin is floored
    ]
    assert table["psi"].tolist() == pytest.approx(want)
    assert psi([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 2.0, 4.0, np.nan], bins=2) == pytest.approx(
        sum(want)
    )


def test_categories_hand_checked_with_missing_and_unseen_categories() -> None:
    expected = pd.Series(["B", "A", None, "A"], dtype="category")
    expected = expected.cat.add_categories(["Z"])  # a category no row holds: no bin
    table = psi_table(expected, ["A", "C", "C", None])
    assert table["bin"].tolist() == ["A", "B", "C", "<missing>"]
    assert table["expected_n"].tolist() == [2, 1, 0, 1]
    assert table["actual_n"].tolist() == [1, 0, 2, 1]


_numbers = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan")), st.sampled_from([0.0, 1.0])
)
_words = st.one_of(st.sampled_from(["A", "B", "C", "10", "2", "2.5", ""]), st.none())


@settings(max_examples=150, deadline=None)
@given(
    data=st.one_of(
        st.tuples(st.lists(_numbers, min_size=1, max_size=80), st.lists(_numbers, min_size=1)),
        st.tuples(st.lists(_words, min_size=1, max_size=80), st.lists(_words, min_size=1)),
        st.tuples(
            st.lists(st.integers(-3, 40), min_size=1, max_size=80),
            st.lists(st.integers(-10, 50), min_size=1, max_size=80),
        ),
        st.tuples(st.lists(st.booleans(), min_size=1), st.lists(st.booleans(), min_size=1)),
    ),
    bins=st.integers(2, 12),
)
def test_same_table_as_the_labelled_bins(
    data: tuple[list[object], list[object]], bins: int
) -> None:
    expected, actual = data
    pd.testing.assert_frame_equal(
        psi_table(expected, actual, bins=bins), _labelled_psi_table(expected, actual, bins)
    )


def test_same_table_on_a_large_sample(rng: np.random.Generator) -> None:
    base = np.where(rng.random(200_000) < 0.01, np.nan, rng.gamma(2.0, 3.0, 200_000).round(1))
    shifted = rng.gamma(2.2, 3.0, 150_000).round(1)
    pd.testing.assert_frame_equal(psi_table(base, shifted), _labelled_psi_table(base, shifted))
    grades = rng.choice(np.array(["A", "B", "C", "D", "E"], dtype=object), 200_000)
    pd.testing.assert_frame_equal(
        psi_table(grades, grades[::-1][:90_000]), _labelled_psi_table(grades, grades[::-1][:90_000])
    )
