"""Discrimination, stability and calibration metrics of a rating model.

Conventions used throughout:

* ``y_true`` is 0/1 with **1 = bad** (default);
* ``y_score`` follows scikit-learn: **higher means riskier** (a PD, or minus the points of a
  scorecard). Pass ``pd`` or ``-score`` accordingly.

Everything is exact and vectorised: AUC is the Mann-Whitney statistic with ties counted as one
half, KS is taken over every distinct score (ties never split), gains tables keep tied scores
in the same group.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1])
>>> s = np.array([0.1, 0.4, 0.35, 0.8])
>>> round(auc(y, s), 4), round(gini(y, s), 4), round(ks(y, s), 4)
(0.75, 0.5, 0.5)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from rating_models.exceptions import InvalidDataError, InvalidParameterError

__all__ = [
    "PSI_THRESHOLDS",
    "auc",
    "calibration_by_grade",
    "csi",
    "escalation_rate",
    "gains_table",
    "gini",
    "ks",
    "ks_curve",
    "override_rate",
    "psi",
    "psi_status",
    "psi_table",
]

#: industry convention (Lewis 1994 / Siddiqi): below 0.10 stable, up to 0.25 watch, above act
PSI_THRESHOLDS: tuple[float, float] = (0.10, 0.25)
#: share floor used in PSI so that an empty bin gives a large but finite term
PSI_EPSILON = 1e-4


def _target(y_true: ArrayLike, *, name: str = "y_true") -> NDArray[np.int8]:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise InvalidDataError(
            f"'{name}' must be one-dimensional. Got shape {y.shape}.", field=name
        )
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise InvalidDataError(f"'{name}' must not contain missing values.", field=name)
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise InvalidDataError(
            f"'{name}' must be 0/1 (1 = bad). Got values {sorted(map(str, values))[:5]}.",
            field=name,
        )
    return y.astype(np.int8)


def _pair(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    y = _target(y_true)
    s = np.asarray(y_score, dtype=np.float64)
    if s.shape != y.shape:
        raise InvalidDataError(
            f"'y_score' must have the shape of 'y_true' {y.shape}. Got {s.shape}.", field="y_score"
        )
    if np.isnan(s).any():
        raise InvalidDataError("'y_score' must not contain missing values.", field="y_score")
    n_bad = int(y.sum())
    if n_bad == 0 or n_bad == y.size:
        raise InvalidDataError(
            "'y_true' must contain both goods (0) and bads (1) to measure discrimination.",
            field="y_true",
        )
    return y, s


def auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half).

    Parameters
    ----------
    y_true : array-like of 0/1
        1 = bad.
    y_score : array-like of float
        Higher = riskier.

    Returns
    -------
    float
        Probability that a random bad scores riskier than a random good.
    """
    y, s = _pair(y_true, y_score)
    ranks = stats.rankdata(s)
    n_bad = int(y.sum())
    n_good = y.size - n_bad
    u = float(ranks[y == 1].sum()) - n_bad * (n_bad + 1) / 2.0
    return u / (n_bad * n_good)


def gini(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Gini coefficient (accuracy ratio), ``2 * AUC - 1``."""
    return 2.0 * auc(y_true, y_score) - 1.0


def ks_curve(y_true: ArrayLike, y_score: ArrayLike) -> pd.DataFrame:
    """Cumulative bad and good shares at every distinct score, riskiest first.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold`` (rows with score >= threshold are cut), ``cum_bad``,
        ``cum_good`` (shares in [0, 1]) and ``ks`` (their difference); one row per distinct
        score plus a leading row at zero.
    """
    y, s = _pair(y_true, y_score)
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    cut = np.flatnonzero(np.diff(s_sorted) != 0)
    last = np.append(cut, s_sorted.size - 1)  # last index of each distinct score
    cum_bad = np.cumsum(y_sorted)[last] / y.sum()
    cum_good = np.cumsum(1 - y_sorted)[last] / (y.size - y.sum())
    return pd.DataFrame(
        {
            "threshold": np.append(np.inf, s_sorted[last]),
            "cum_bad": np.append(0.0, cum_bad),
            "cum_good": np.append(0.0, cum_good),
            "ks": np.append(0.0, cum_bad - cum_good),
        }
    )


def ks(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the bad and good score CDFs."""
    return float(np.abs(ks_curve(y_true, y_score)["ks"].to_numpy()).max())


def gains_table(y_true: ArrayLike, y_score: ArrayLike, *, n_groups: int = 10) -> pd.DataFrame:
    """Gains / lift table by score quantile group, riskiest group first.

    Tied scores stay in one group, so fewer than ``n_groups`` rows come back when scores
    take few distinct values.

    Returns
    -------
    pandas.DataFrame
        ``group, score_min, score_max, n, bads, goods, bad_rate, cum_n_share, cum_bad_share
        (capture rate), cum_good_share, ks, lift, cum_lift``.
    """
    if not isinstance(n_groups, int) or n_groups < 1:
        raise InvalidParameterError(
            f"The 'n_groups' parameter of gains_table must be an int >= 1. Got {n_groups!r}.",
            parameter="n_groups",
        )
    y, s = _pair(y_true, y_score)
    ranks = stats.rankdata(-s, method="max")  # ties share their largest rank
    group = np.ceil(ranks * n_groups / s.size).astype(np.int64)
    codes, group = np.unique(group, return_inverse=True)
    k = codes.size
    n = np.bincount(group, minlength=k)
    bads = np.bincount(group, weights=y, minlength=k)
    overall = y.mean()
    cum_bad = np.cumsum(bads) / bads.sum()
    cum_good = np.cumsum(n - bads) / (n - bads).sum()
    cum_n = np.cumsum(n) / n.sum()
    table = pd.DataFrame(
        {
            "group": np.arange(1, k + 1),
            "score_min": pd.Series(s).groupby(group).min().to_numpy(),
            "score_max": pd.Series(s).groupby(group).max().to_numpy(),
            "n": n,
            "bads": bads.astype(np.int64),
            "goods": (n - bads).astype(np.int64),
            "bad_rate": bads / n,
            "cum_n_share": cum_n,
            "cum_bad_share": cum_bad,
            "cum_good_share": cum_good,
            "ks": cum_bad - cum_good,
            "lift": (bads / n) / overall,
            "cum_lift": cum_bad / cum_n,
        }
    )
    return table


_MISSING = "<missing>"


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _bin_counts(values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    """Rows per bin (``len(edges) + 1`` bins, ``side="right"``), then the missing ones."""
    missing = np.isnan(values)
    n_missing = int(missing.sum())
    if n_missing:
        values = values[~missing]
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
    return np.append(counts, n_missing).astype(np.int64)


def _category_counts(values: pd.Series) -> pd.Series:
    """Rows per category, keyed by the category's string (``<missing>`` for missing values).

    Counted on the raw values, then only the (few) distinct ones are turned into labels, so a
    million strings are hashed once, never copied into a string column."""
    counts = values.value_counts(dropna=False, sort=False)
    counts = counts[counts.to_numpy() > 0]  # a categorical lists its unseen categories too
    labels = pd.Series(counts.index).astype("string").fillna(_MISSING)
    return pd.Series(counts.to_numpy(dtype=np.int64)).groupby(labels.to_numpy(), sort=False).sum()


def _psi_counts(
    expected: pd.Series, actual: pd.Series, bins: int
) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64]]:
    """Bin labels (in table order) and the rows of each sample per bin: quantiles of
    ``expected`` (numeric bin edges, labels ``"0"``, ``"1"``, … only for the output) or
    categories."""
    if not _is_numeric(expected):
        exp_n, act_n = _category_counts(expected), _category_counts(actual)
        index = sorted(set(exp_n.index) | set(act_n.index), key=_bin_sort_key)
        return (
            index,
            exp_n.reindex(index, fill_value=0).to_numpy(dtype=np.int64),
            act_n.reindex(index, fill_value=0).to_numpy(dtype=np.int64),
        )
    exp = expected.to_numpy(dtype=np.float64, na_value=np.nan)
    act = actual.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = exp[~np.isnan(exp)]
    edges = (
        np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
        if finite.size
        else np.empty(0, dtype=np.float64)
    )
    exp_c, act_c = _bin_counts(exp, edges), _bin_counts(act, edges)
    seen = np.flatnonzero((exp_c + act_c) > 0)
    labels = [str(i) for i in range(edges.size + 1)] + [_MISSING]
    return [labels[i] for i in seen], exp_c[seen], act_c[seen]


def psi_table(expected: ArrayLike, actual: ArrayLike, *, bins: int = 10) -> pd.DataFrame:
    """Population stability table of ``actual`` against the ``expected`` (base) sample.

    Numeric inputs are cut at the deciles (``bins`` quantiles) of ``expected``; anything else
    (strings, categories, booleans, bin labels) is compared category by category. Missing
    values form their own bin. Shares are floored at ``PSI_EPSILON``. Rows are counted per bin
    on numeric edges (``searchsorted`` + ``bincount``) or per distinct value, so millions of
    rows cost tens of milliseconds; only the table's few bins get labels.

    Returns
    -------
    pandas.DataFrame
        ``bin, expected_n, actual_n, expected_share, actual_share, psi`` (one term per bin
        seen in either sample: ``"0"``, ``"1"``, … for the quantile bins of a numeric sample,
        the category otherwise, and ``"<missing>"`` last).

    Examples
    --------
    >>> table = psi_table(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> table["bin"].tolist(), table["actual_n"].tolist()
    (['a', 'b'], [1, 3])
    >>> round(float(table["psi"].sum()), 4)
    0.2747
    """
    if not isinstance(bins, int) or bins < 2:
        raise InvalidParameterError(
            f"The 'bins' parameter of psi must be an int >= 2. Got {bins!r}.", parameter="bins"
        )
    exp_s, act_s = pd.Series(expected), pd.Series(actual)
    if exp_s.empty or act_s.empty:
        raise InvalidDataError("Both samples of a PSI must be non-empty.", field="expected")
    index, exp_n, act_n = _psi_counts(exp_s, act_s, bins)
    table = pd.DataFrame({"bin": index, "expected_n": exp_n, "actual_n": act_n})
    e = np.maximum(table["expected_n"] / table["expected_n"].sum(), PSI_EPSILON)
    a = np.maximum(table["actual_n"] / table["actual_n"].sum(), PSI_EPSILON)
    table["expected_share"] = table["expected_n"] / table["expected_n"].sum()
    table["actual_share"] = table["actual_n"] / table["actual_n"].sum()
    table["psi"] = (a - e) * np.log(a / e)
    return table


def _bin_sort_key(label: str) -> tuple[int, float, str]:
    if label == _MISSING:
        return (2, 0.0, label)
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def psi(expected: ArrayLike, actual: ArrayLike, *, bins: int = 10) -> float:
    """Population stability index, the sum of :func:`psi_table`'s terms."""
    return float(psi_table(expected, actual, bins=bins)["psi"].sum())


def psi_status(value: float) -> str:
    """``"stable"`` (< 0.10), ``"watch"`` (0.10-0.25) or ``"act"`` (> 0.25)."""
    low, high = PSI_THRESHOLDS
    return "stable" if value < low else ("watch" if value <= high else "act")


def csi(
    expected: pd.DataFrame, actual: pd.DataFrame, columns: Sequence[str], *, bins: int = 10
) -> pd.DataFrame:
    """Characteristic stability index: the PSI of every listed column, in the given order.

    Pass bin labels (a scorecard's bin of each feature) to measure stability of the card's
    characteristics; pass raw columns to measure raw drift.

    Returns
    -------
    pandas.DataFrame
        ``feature, csi, status``.
    """
    missing = [c for c in columns if c not in expected.columns or c not in actual.columns]
    if missing:
        raise InvalidDataError(
            f"Columns {missing} are missing from one of the CSI samples.", columns=missing
        )
    values = [psi(expected[c], actual[c], bins=bins) for c in columns]
    return pd.DataFrame(
        {"feature": list(columns), "csi": values, "status": [psi_status(v) for v in values]}
    )


def calibration_by_grade(
    y_true: ArrayLike,
    pd_pred: ArrayLike,
    grade: ArrayLike,
    *,
    grades: Sequence[str],
    grade_pd: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Observed against predicted bad rate for every grade of the scale, in scale order.

    Parameters
    ----------
    y_true : array-like of 0/1
    pd_pred : array-like of float
        Each row's predicted PD (its mean per grade is ``mean_pd``).
    grade : array-like of str
        Each row's grade; every value must be in ``grades``.
    grades : sequence of str
        The grade scale, best first.
    grade_pd : sequence of float, optional
        The calibrated PD of each grade (same order); the binomial test uses it when given,
        otherwise the mean predicted PD.
    confidence : float
        Level of the Jeffreys interval around the observed bad rate.

    Returns
    -------
    pandas.DataFrame
        ``grade, n, share, bads, bad_rate, mean_pd, grade_pd, ci_low, ci_high, p_value``.
        ``p_value`` is the two-sided exact binomial test of the observed bads against the
        tested PD; a small value says the grade is not calibrated.
    """
    y = _target(y_true)
    p = np.asarray(pd_pred, dtype=np.float64)
    g = pd.Series(np.asarray(grade, dtype=object))
    unknown = sorted(set(g.unique()) - set(grades), key=str)
    if unknown:
        raise InvalidDataError(f"Grades {unknown} are not on the scale {list(grades)}.")
    if p.shape != y.shape or len(g) != y.size:
        raise InvalidDataError("'y_true', 'pd_pred' and 'grade' must have the same length.")
    frame = pd.DataFrame({"g": pd.Categorical(g, categories=list(grades)), "y": y, "p": p})
    agg = frame.groupby("g", observed=False).agg(
        n=("y", "size"), bads=("y", "sum"), mean_pd=("p", "mean")
    )
    n = agg["n"].to_numpy()
    bads = agg["bads"].to_numpy()
    alpha = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        bad_rate = np.where(n > 0, bads / np.maximum(n, 1), np.nan)
    lo = np.where(bads > 0, stats.beta.ppf(alpha, bads + 0.5, n - bads + 0.5), 0.0)
    hi = np.where(bads < n, stats.beta.ppf(1 - alpha, bads + 0.5, n - bads + 0.5), 1.0)
    tested = (
        np.asarray(grade_pd, dtype=np.float64)
        if grade_pd is not None
        else agg["mean_pd"].to_numpy()
    )
    p_values = [
        stats.binomtest(int(b), int(k), float(t)).pvalue if k > 0 and 0 < t < 1 else np.nan
        for b, k, t in zip(bads, n, tested, strict=True)
    ]
    return pd.DataFrame(
        {
            "grade": list(grades),
            "n": n.astype(np.int64),
            "share": n / max(int(n.sum()), 1),
            "bads": bads.astype(np.int64),
            "bad_rate": bad_rate,
            "mean_pd": agg["mean_pd"].to_numpy(),
            "grade_pd": np.asarray(grade_pd, dtype=np.float64) if grade_pd is not None else np.nan,
            "ci_low": np.where(n > 0, lo, np.nan),
            "ci_high": np.where(n > 0, hi, np.nan),
            "p_value": p_values,
        }
    )


def override_rate(system_grade: ArrayLike, final_grade: ArrayLike) -> float:
    """Share of decisions whose final grade differs from the system's grade."""
    a = np.asarray(system_grade, dtype=object)
    b = np.asarray(final_grade, dtype=object)
    if a.shape != b.shape or a.size == 0:
        raise InvalidDataError("'system_grade' and 'final_grade' must be non-empty and aligned.")
    return float(np.mean(a != b))


def escalation_rate(escalate: ArrayLike) -> float:
    """Share of decisions sent to manual review."""
    flags = np.asarray(escalate, dtype=bool)
    if flags.size == 0:
        raise InvalidDataError("'escalate' must be non-empty.", field="escalate")
    return float(flags.mean())
