"""WOE binning: hand-checked statistics, special and missing values, trends, determinism."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rating_models import BinningTable, InvalidDataError, InvalidParameterError, WOEBinning
from rating_models.binning._merge import chi_merge, optimal_cuts, tree_split, woe_iv
from tests.rating_models.test_scorecard_helpers import credit_like


def test_woe_and_iv_by_hand() -> None:
    # bins: 10 bad / 40 good and 20 bad / 30 good; totals 30 bad / 70 good
    woe, iv = woe_iv(np.array([10.0, 20.0]), np.array([40.0, 30.0]), 30.0, 70.0)
    expected_woe = [math.log((10 / 30) / (40 / 70)), math.log((20 / 30) / (30 / 70))]
    assert woe.tolist() == pytest.approx(expected_woe)
    assert iv.tolist() == pytest.approx(
        [(10 / 30 - 40 / 70) * expected_woe[0], (20 / 30 - 30 / 70) * expected_woe[1]]
    )


def test_empty_bin_is_neutral_and_zero_count_is_smoothed() -> None:
    woe, iv = woe_iv(np.array([0.0, 0.0, 5.0]), np.array([0.0, 4.0, 5.0]), 5.0, 9.0)
    assert woe[0] == 0.0
    assert iv[0] == 0.0
    assert woe[1] == pytest.approx(math.log((0.5 / 5) / (4.5 / 9)))


def test_table_counts_and_serialisation(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    binning = WOEBinning(n_jobs=1).fit(X, y)
    for name, table in binning.tables_.items():
        assert sum(table.count) == len(X), name
        assert sum(table.bad) == y.sum(), name
        assert BinningTable.from_dict(table.to_dict()) == table
    frame = binning.tables_["util"].to_frame()
    assert list(frame.columns) == [
        "variable",
        "bin",
        "count",
        "count_share",
        "good",
        "bad",
        "bad_rate",
        "woe",
        "iv",
    ]
    assert frame.loc[frame["bin"] == "missing", "count"].item() == X["util"].isna().sum()


def test_special_values_have_their_own_bin_at_transform(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    binning = WOEBinning(special_values={"inq": [-1]}, n_jobs=1).fit(X, y)
    table = binning.tables_["inq"]
    special = next(i for i, b in enumerate(table.bins.bins) if b.kind == "special")
    assert table.count[special] == (X["inq"] == -1).sum()
    woe = binning.transform(X)["inq"].to_numpy()
    assert np.all(woe[X["inq"].to_numpy() == -1] == table.woe[special])
    # the special bin is the riskiest in this data set and differs from the lowest interval
    assert table.woe[special] != table.woe[0]


def test_missing_values_get_the_missing_bin(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    binning = WOEBinning(n_jobs=1).fit(X, y)
    table = binning.tables_["util"]
    woe = binning.transform(X)["util"].to_numpy()
    assert np.all(woe[X["util"].isna().to_numpy()] == table.woe[table.bins.missing_index])


@pytest.mark.parametrize("method", ["optimal", "chi", "tree"])
@pytest.mark.parametrize("trend", ["ascending", "descending", "peak", "valley", "auto"])
def test_trend_is_respected(rng: np.random.Generator, method: str, trend: str) -> None:
    X, y = credit_like(rng)
    binning = WOEBinning(method, monotonic_trend=trend, n_jobs=1).fit(X, y)
    for name in ("income", "age", "util"):
        table = binning.tables_[name]
        woe = table.woe[[i for i, b in enumerate(table.bins.bins) if b.kind == "interval"]]
        _assert_shape(np.diff(woe), table.trend if trend == "auto" else trend)


def _assert_shape(steps: np.ndarray, trend: str) -> None:
    signs = np.sign(np.round(steps, 12))
    if trend == "ascending":
        assert np.all(signs >= 0)
    elif trend == "descending":
        assert np.all(signs <= 0)
    else:
        first, second = (1, -1) if trend == "peak" else (-1, 1)
        turn = np.argmax(signs == second) if np.any(signs == second) else len(signs)
        assert np.all(signs[:turn] != second)
        assert np.all(signs[turn:] != first)


@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=25),
    st.lists(st.integers(0, 30), min_size=25, max_size=25),
    st.sampled_from(["ascending", "descending", "peak", "valley"]),
    st.integers(2, 8),
)
@settings(max_examples=60, deadline=None)
def test_optimal_cuts_respect_trend_share_and_count(
    bad_counts: list[int], good_counts: list[int], trend: str, max_bins: int
) -> None:
    bad = np.asarray(bad_counts, dtype=float)
    good = np.asarray(good_counts[: len(bad)], dtype=float)
    total = bad + good
    min_count = 0.1 * total.sum()
    cuts, _ = optimal_cuts(
        total,
        bad,
        n_bad=bad.sum(),
        n_good=good.sum(),
        min_count=min_count,
        max_bins=max_bins,
        trend=trend,
    )
    bounds = [0, *cuts, len(total)]
    t = np.add.reduceat(total, bounds[:-1])
    b = np.add.reduceat(bad, bounds[:-1])
    assert len(t) <= max_bins
    if len(t) > 1:
        assert np.all(t >= min_count - 1e-9)
        _assert_shape(np.diff(b / t), trend)


@pytest.mark.parametrize("merge", [chi_merge, tree_split])
def test_chi_and_tree_respect_max_bins_and_share(merge: object) -> None:
    total = np.full(20, 50.0)
    bad = np.linspace(1, 40, 20)
    cuts = merge(total, bad, min_count=100.0, max_bins=4)  # type: ignore[operator]
    sizes = np.diff([0, *cuts, 20]) * 50
    assert len(sizes) <= 4
    assert sizes.min() >= 100


@pytest.mark.parametrize("dtype", ["object", "category", "string"])
def test_categorical_dtypes_bin_alike(rng: np.random.Generator, dtype: str) -> None:
    X, y = credit_like(rng)
    reference = WOEBinning(n_jobs=1).fit(X[["region"]], y).tables_["region"]
    X2 = X[["region"]].astype(dtype)
    X2.loc[:10, "region"] = None
    table = WOEBinning(n_jobs=1).fit(X2.iloc[11:], y[11:]).tables_["region"]
    assert [b.values for b in table.bins.bins] == [b.values for b in reference.bins.bins]
    woe = WOEBinning(n_jobs=1).fit(X2, y).transform(X2)["region"]
    assert woe.notna().all()


def test_many_levels_never_prompt(rng: np.random.Generator) -> None:
    n = 5000
    town = rng.integers(0, 300, n)
    y = (rng.random(n) < 0.1 + 0.3 * (town % 7 == 0)).astype(int)
    X = pd.DataFrame({"town": [f"town-{t}" for t in town]})
    table = WOEBinning(n_jobs=1).fit(X, y).tables_["town"]
    assert 2 <= sum(b.kind == "categories" for b in table.bins.bins) <= 8


def test_manual_breaks(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    binning = WOEBinning(
        breaks={"age": [30, 50], "region": [["north", "west"], ["south"]]}, n_jobs=1
    ).fit(X, y)
    assert binning.tables_["age"].bins.edges.tolist() == [30.0, 50.0]
    groups = [b.values for b in binning.tables_["region"].bins.bins if b.kind == "categories"]
    assert groups == [("north", "west"), ("south",), ("east",), ("central",)]


def test_deterministic_and_threads_agree(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    one = WOEBinning(n_jobs=1).fit(X, y)
    two = WOEBinning(n_jobs=2).fit(X, y)
    assert one.tables_ == two.tables_
    assert list(one.tables_) == list(X.columns)
    pd.testing.assert_frame_equal(one.transform(X), two.transform(X))


def test_transform_leaves_input_untouched(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    before = X.copy()
    binning = WOEBinning(special_values=[-1], n_jobs=1).fit(X, y)
    binning.transform(X)
    pd.testing.assert_frame_equal(X, before)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"max_bins": 1},
            r"The 'max_bins' parameter of WOEBinning must be an int in the range \[2, 50\]. Got 1\.",
        ),
        (
            {"method": "magic"},
            r"The 'method' parameter of WOEBinning must be one of 'optimal', 'chi', 'tree'\. Got 'magic'\.",
        ),
        (
            {"min_bin_share": 0.0},
            r"The 'min_bin_share' parameter of WOEBinning must be one of 'auto' or a float in "
            r"the range \(0, 0.5\]\. Got 0.0\.",
        ),
        (
            {"breaks": {"nope": [1]}},
            r"The 'breaks' parameter of WOEBinning names columns that are not in X: \['nope'\]",
        ),
    ],
)
def test_bad_parameters_fail_loudly(
    rng: np.random.Generator, params: dict[str, object], message: str
) -> None:
    X, y = credit_like(rng, 200)
    with pytest.raises(InvalidParameterError, match=message):
        WOEBinning(**params).fit(X, y)  # type: ignore[arg-type]


def test_text_in_a_numeric_card_column_fails(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 300)
    binning = WOEBinning(n_jobs=1).fit(X, y)
    X2 = X.astype({"age": object})
    X2.loc[0, "age"] = "forty"
    with pytest.raises(InvalidDataError, match="Column 'age' is numeric in the card"):
        binning.transform(X2)


def _brute_force(
    total: np.ndarray, bad: np.ndarray, min_count: float, max_bins: int, trend: str
) -> float:
    from itertools import combinations

    from rating_models.binning._merge import follows

    k = len(total)
    best = -np.inf
    for m in range(min(max_bins, k)):
        for cuts in combinations(range(1, k), m):
            bounds = [0, *cuts, k]
            t = np.add.reduceat(total, bounds[:-1])
            b = np.add.reduceat(bad, bounds[:-1])
            if len(t) > 1 and t.min() < min_count:
                continue
            if follows(b / t, trend):
                _, iv = woe_iv(b, t - b, bad.sum(), (total - bad).sum())
                best = max(best, iv.sum())
    return best


@given(
    st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40)), min_size=2, max_size=8),
    st.sampled_from(["ascending", "descending", "peak", "valley", "none"]),
    st.integers(2, 5),
)
@settings(max_examples=80, deadline=None)
def test_optimal_cuts_are_optimal(counts: list[tuple[int, int]], trend: str, max_bins: int) -> None:
    bad = np.asarray([c[0] for c in counts], dtype=float)
    total = bad + np.asarray([c[1] for c in counts], dtype=float)
    min_count = 0.1 * total.sum()
    cuts, _ = optimal_cuts(
        total,
        bad,
        n_bad=bad.sum(),
        n_good=(total - bad).sum(),
        min_count=min_count,
        max_bins=max_bins,
        trend=trend,
    )
    bounds = [0, *cuts, len(total)]
    t = np.add.reduceat(total, bounds[:-1])
    b = np.add.reduceat(bad, bounds[:-1])
    _, iv = woe_iv(b, t - b, bad.sum(), (total - bad).sum())
    assert iv.sum() == pytest.approx(_brute_force(total, bad, min_count, max_bins, trend), abs=1e-9)


def test_pruning_merges_insignificant_neighbours(rng: np.random.Generator) -> None:
    X, y = credit_like(rng)
    X = X.assign(noise=rng.normal(size=len(X)))
    pruned = WOEBinning(max_pvalue=0.05, n_jobs=1).fit(X, y).tables_
    for name, table in pruned.items():
        regular = [i for i, b in enumerate(table.bins.bins) if b.kind in ("interval", "categories")]
        t = np.asarray(table.count)[regular]
        b = np.asarray(table.bad)[regular]
        from rating_models.binning._merge import CHI2_95, _chi2_adjacent

        assert np.all(_chi2_adjacent(t, b) >= CHI2_95 - 1e-9), name


def test_identifier_like_column_is_one_bin(rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 2000)
    ids = pd.DataFrame({"household_id": [f"H{i:08d}" for i in range(len(X))]})
    table = WOEBinning(n_jobs=1).fit(ids, y).tables_["household_id"]
    assert table.iv == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("method", ["optimal", "chi", "tree"])
@pytest.mark.parametrize("fill", [np.nan, -1.0, 3.0])
def test_degenerate_numeric_columns(rng: np.random.Generator, method: str, fill: float) -> None:
    X, y = credit_like(rng, 500)
    X = X.assign(empty=fill)  # all missing, all special, or constant
    binning = WOEBinning(method, special_values={"empty": [-1]}, n_jobs=1).fit(X, y)
    table = binning.tables_["empty"]
    assert sum(table.count) == len(X)
    assert table.iv == pytest.approx(0.0, abs=1e-12)
    assert binning.transform(X)["empty"].eq(0.0).all()


def test_auto_min_bin_share_keeps_250_rows_between_2_and_5_percent() -> None:
    binning = WOEBinning()
    assert binning.resolved_min_bin_share(700) == 0.05
    assert binning.resolved_min_bin_share(10_000) == pytest.approx(0.025)
    assert binning.resolved_min_bin_share(14_000) == 0.02
    assert binning.resolved_min_bin_share(1_000_000) == 0.02
    assert WOEBinning(min_bin_share=0.1).resolved_min_bin_share(14_000) == 0.1


def test_a_rare_flag_is_a_bin_of_its_own_on_enough_rows(rng: np.random.Generator) -> None:
    n = 20_000
    flag = (rng.random(n) < 0.03).astype(float)  # 3 % of rows, strong effect
    y = (rng.random(n) < np.where(flag == 1, 0.3, 0.05)).astype(int)
    X = pd.DataFrame({"flag": flag})
    table = WOEBinning(n_jobs=1).fit(X, y).tables_["flag"]
    assert [c for c in table.count if c > 0] == [n - flag.sum(), flag.sum()]
    assert table.iv > 0.1
    # a fixed 5 % minimum cannot separate it
    assert WOEBinning(min_bin_share=0.05, n_jobs=1).fit(X, y).tables_["flag"].iv == 0.0
