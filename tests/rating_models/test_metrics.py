"""Metrics: hand-checked examples and agreement with scikit-learn / scipy on random data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from rating_models.exceptions import InvalidDataError, InvalidParameterError
from rating_models.metrics import (
    auc,
    calibration_by_grade,
    csi,
    escalation_rate,
    gains_table,
    gini,
    ks,
    ks_curve,
    override_rate,
    psi,
    psi_status,
    psi_table,
)

Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])


def test_hand_checked_auc_gini_ks() -> None:
    # bad 0.35 beats good 0.1 but not 0.4; bad 0.8 beats both: 3 of 4 pairs
    assert auc(Y, S) == pytest.approx(0.75)
    assert gini(Y, S) == pytest.approx(0.5)
    # cut at 0.8: half the bads, no goods -> 0.5
    assert ks(Y, S) == pytest.approx(0.5)


def test_ties_count_one_half() -> None:
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert ks([0, 1, 0, 1], [0.2, 0.2, 0.7, 0.7]) == pytest.approx(0.0)


def test_ks_curve_is_per_distinct_score() -> None:
    curve = ks_curve([0, 1, 0, 1, 1], [0.2, 0.2, 0.7, 0.9, 0.9])
    assert curve["threshold"].tolist() == [np.inf, 0.9, 0.7, 0.2]
    assert curve["cum_bad"].tolist() == pytest.approx([0, 2 / 3, 2 / 3, 1])
    assert curve["cum_good"].tolist() == pytest.approx([0, 0, 0.5, 1])


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 30)), min_size=4, max_size=200
    ).filter(lambda rows: len({r[0] for r in rows}) == 2)
)
def test_auc_and_ks_match_reference_implementations(data: list[tuple[int, int]]) -> None:
    y = np.array([r[0] for r in data])
    s = np.array([r[1] for r in data], dtype=float) / 7.0  # many ties
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    # method="asymp": the statistic does not depend on the method, and the exact p-value
    # computation warns on some samples (warnings are errors in this suite)
    reference = ks_2samp(s[y == 1], s[y == 0], method="asymp").statistic
    assert ks(y, s) == pytest.approx(reference)


def test_gains_table_hand_checked() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    s = np.arange(10, 0, -1, dtype=float)  # riskiest first
    table = gains_table(y, s, n_groups=5)
    assert table["n"].tolist() == [2, 2, 2, 2, 2]
    assert table["bads"].tolist() == [2, 1, 0, 0, 0]
    assert table["cum_bad_share"].tolist() == pytest.approx([2 / 3, 1, 1, 1, 1])
    assert table["lift"].iloc[0] == pytest.approx(1.0 / 0.3)
    assert table["cum_lift"].iloc[1] == pytest.approx(1.0 / 0.4)
    assert table["ks"].max() == pytest.approx(ks(y, s))


def test_gains_table_keeps_ties_together() -> None:
    y = np.array([1, 0, 0, 1, 0, 0])
    s = np.array([5.0, 5.0, 5.0, 5.0, 1.0, 1.0])
    table = gains_table(y, s, n_groups=3)
    assert table["n"].tolist() == [4, 2]


def test_psi_hand_checked_and_status() -> None:
    expected = ["a"] * 50 + ["b"] * 50
    actual = ["a"] * 25 + ["b"] * 75
    want = (0.25 - 0.5) * math.log(0.5) + (0.75 - 0.5) * math.log(1.5)
    assert psi(expected, actual) == pytest.approx(want)
    assert psi_status(want) == "act"
    assert psi_status(0.05) == "stable"
    assert psi_status(0.2) == "watch"


def test_psi_numeric_uses_expected_deciles_and_missing_bin(rng: np.random.Generator) -> None:
    base = rng.normal(size=5000)
    assert psi(base, base) == pytest.approx(0.0)
    table = psi_table(np.append(base, np.nan), rng.normal(0.5, 1, size=5000))
    assert "<missing>" in table["bin"].tolist()
    assert table["expected_n"].iloc[:-1].sum() == 5000
    assert psi(base, rng.normal(0.5, 1, size=5000)) > 0.1


def test_csi_per_feature_in_order() -> None:
    a = pd.DataFrame({"x": ["1", "2"] * 50, "y": ["a"] * 100})
    b = pd.DataFrame({"x": ["1"] * 100, "y": ["a"] * 100})
    out = csi(a, b, ["y", "x"])
    assert out["feature"].tolist() == ["y", "x"]
    assert out["csi"].iloc[0] == pytest.approx(0.0)
    assert out["status"].iloc[1] == "act"
    with pytest.raises(InvalidDataError, match=r"\['z'\] are missing"):
        csi(a, b, ["z"])


def test_calibration_by_grade_hand_checked() -> None:
    y = [0, 0, 0, 1, 1, 0]
    p = [0.01, 0.01, 0.1, 0.1, 0.6, 0.6]
    g = ["A", "A", "B", "B", "E", "E"]
    table = calibration_by_grade(y, p, g, grades=["A", "B", "C", "D", "E"])
    assert table["grade"].tolist() == ["A", "B", "C", "D", "E"]
    assert table["n"].tolist() == [2, 2, 0, 0, 2]
    assert table["bad_rate"].tolist()[:2] == [0.0, 0.5]
    assert math.isnan(table["bad_rate"].iloc[2])
    assert table["mean_pd"].iloc[1] == pytest.approx(0.1)
    assert table["ci_low"].iloc[1] < 0.5 < table["ci_high"].iloc[1]
    with pytest.raises(InvalidDataError, match=r"Grades \['F'\] are not on the scale"):
        calibration_by_grade(y, p, ["F"] * 6, grades=["A", "E"])


def test_override_and_escalation_rates() -> None:
    assert override_rate(["A", "B", "C", "D"], ["A", "C", "C", "D"]) == pytest.approx(0.25)
    assert escalation_rate([True, False, False, False]) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 0], [0.1, 0.2], "both goods"),
        ([0, 2], [0.1, 0.2], "must be 0/1"),
        ([0, 1], [0.1], "must have the shape"),
        ([0, 1], [0.1, np.nan], "missing values"),
    ],
)
def test_bad_inputs_are_named(y: list[int], s: list[float], match: str) -> None:
    with pytest.raises(InvalidDataError, match=match):
        auc(y, s)


def test_bad_parameters_are_named() -> None:
    with pytest.raises(InvalidParameterError, match="'n_groups' parameter of gains_table"):
        gains_table(Y, S, n_groups=0)
    with pytest.raises(InvalidParameterError, match="'bins' parameter of psi"):
        psi([1.0], [1.0], bins=1)
