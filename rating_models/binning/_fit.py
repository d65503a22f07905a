"""Fitting the bins of one variable: fine pre-binning on rows, then merging on counts.

Row-level work is a handful of numpy passes (quantiles by partition, ``searchsorted``,
``bincount``), so the cost is linear in rows; merging works on at most ``n_prebins`` counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2

from rating_models.binning._merge import (
    chi_merge,
    enforce_trend,
    optimal_cuts,
    prune_cuts,
    refine_cuts,
    tree_split,
)
from rating_models.binning.bins import (
    as_category_strings,
    as_float,
    categorical_bins,
    numeric_bins,
)
from rating_models.binning.table import BinningTable

__all__ = ["FitSettings", "fit_categorical", "fit_numeric"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FitSettings:
    """Per-variable binning settings (resolved from the estimator's parameters)."""

    method: str
    trend: str
    max_bins: int
    min_bin_share: float
    n_prebins: int
    specials: tuple[Any, ...] = ()
    breaks: tuple[Any, ...] | None = None
    cat_cutoff: float = 0.005
    max_pvalue: float | None = None

    @property
    def chi2_threshold(self) -> float:
        """Chi-square (1 df) two adjacent bins must reach; 0 when pruning is off."""
        return 0.0 if self.max_pvalue is None else float(chi2.isf(self.max_pvalue, 1))


def _round_sig(values: FloatArray, digits: int = 5) -> FloatArray:
    """Round cut points to ``digits`` significant digits (readable breaks)."""
    out = values.copy()
    nz = (out != 0) & np.isfinite(out)
    mag = np.floor(np.log10(np.abs(out[nz])))
    scale = 10.0 ** (digits - 1 - mag)
    out[nz] = np.round(out[nz] * scale) / scale
    return out


def _grid(x: FloatArray, n_levels: int, tail_share: float) -> FloatArray:
    """Quantile cut points of the regular values (deduplicated, readable).

    Besides ``n_levels`` equal-frequency levels, cut points are added where each tail holds
    just over ``tail_share`` of the regular values, so the smallest allowed bin can sit exactly
    in a tail, where risk usually changes fastest.
    """
    if x.size == 0:
        return np.empty(0)
    levels = np.linspace(0.0, 1.0, n_levels + 1)[1:-1]
    if 0.0 < tail_share < 0.5:
        levels = np.union1d(levels, [tail_share, 1.0 - tail_share])
    # candidate cut points need not be exact quantiles: beyond 200,000 values a regular
    # (deterministic) subsample places them, and counting still uses every row
    xs = np.sort(x[:: max(1, x.size // 200_000)])
    q = xs[np.minimum((levels * xs.size).astype(np.intp), xs.size - 1)]
    edges = np.unique(_round_sig(q))
    return edges[(edges > x.min()) & np.isfinite(edges)]


def _grid_counts(
    grid: FloatArray, x: FloatArray, y: npt.NDArray[np.float64]
) -> tuple[FloatArray, FloatArray]:
    """Rows and bad rows per grid cell: one search and one bincount of ``2 * cell + bad``."""
    key = np.searchsorted(grid, x, side="right")
    key *= 2
    key += y.astype(np.intp)
    both = np.bincount(key, minlength=2 * (grid.size + 1)).reshape(-1, 2).astype(np.float64)
    return both.sum(axis=1), both[:, 1].copy()


def _coarse(total: FloatArray, n_prebins: int, tail_share: float) -> list[int]:
    """Boundaries (indices into the micro grid) of about ``n_prebins`` equal-count fine bins."""
    share = np.cumsum(total) / max(total.sum(), 1.0)
    levels = np.linspace(0.0, 1.0, n_prebins + 1)[1:-1]
    if 0.0 < tail_share < 0.5:
        levels = np.union1d(levels, [tail_share, 1.0 - tail_share])
    pos = np.unique(np.searchsorted(share, levels, side="left") + 1)
    return [int(p) for p in pos if 0 < p < total.size]


def _merge(
    total: FloatArray, bad: FloatArray, n_bad: float, n_good: float, s: FitSettings, ordered: bool
) -> tuple[list[int], str]:
    """Cuts of the final bins among the fine bins, by the settings' method and trend."""
    if len(total) <= 1:
        return [], "none"
    min_count = s.min_bin_share * (n_bad + n_good)
    trend = s.trend if ordered else "ascending"
    if s.method == "optimal":
        return optimal_cuts(
            total,
            bad,
            n_bad=n_bad,
            n_good=n_good,
            min_count=min_count,
            max_bins=s.max_bins,
            trend=trend,
        )
    if s.method == "chi":
        cuts = chi_merge(total, bad, min_count=min_count, max_bins=s.max_bins)
    else:
        cuts = tree_split(total, bad, min_count=min_count, max_bins=s.max_bins)
    if trend == "none":
        return cuts, "none"
    return enforce_trend(total, bad, cuts, n_bad=n_bad, n_good=n_good, trend=trend)


def fit_numeric(name: str, column: Any, y: npt.NDArray[np.float64], s: FitSettings) -> BinningTable:
    """Bin one numeric variable (``y`` is 0/1 as float).

    One pass assigns the regular values to a micro grid of ``20 * n_prebins`` quantiles; the
    merge runs on ``n_prebins`` coarse groups of it, then each cut is refined on the micro grid.
    """
    x = as_float(column, name)
    specials = tuple(float(v) for v in s.specials)
    missing = np.isnan(x)
    special_idx = [np.flatnonzero(x == v) for v in specials]
    regular = ~missing
    for idx in special_idx:
        regular[idx] = False
    xr = x[regular] if not regular.all() else x
    yr = y[regular] if not regular.all() else y
    tail = (s.min_bin_share + 0.002) * y.size / max(xr.size, 1)
    if s.breaks is not None:
        grid = np.unique(np.asarray(s.breaks, dtype=np.float64))
    else:
        grid = _grid(xr, 20 * s.n_prebins, tail)
    total, bad = _grid_counts(grid, xr, yr)
    n_bad, n_all = float(y.sum()), float(y.size)
    if s.breaks is not None:
        cuts, trend = list(range(1, grid.size + 1)), "manual"
    else:
        occupied = np.flatnonzero(total > 0)  # drop empty micro bins
        if occupied.size == 0:  # no regular value at all: one empty interval
            occupied = np.zeros(1, dtype=np.intp)
        grid, total, bad = grid[occupied[:-1]], total[occupied], bad[occupied]
        cuts, trend = _merge_numeric(total, bad, n_bad, n_all - n_bad, s, tail)
    bounds = [0, *cuts]
    counts = np.add.reduceat(total, bounds)
    bads = np.add.reduceat(bad, bounds)
    edges = grid[np.asarray(cuts, dtype=np.intp) - 1] if cuts else np.empty(0)
    bins = numeric_bins(name, edges, [[v] for v in specials])
    counts = np.concatenate([counts, [missing.sum()], [i.size for i in special_idx]])
    bads = np.concatenate([bads, [y[missing].sum()], [y[i].sum() for i in special_idx]])
    return BinningTable(bins, tuple(counts.astype(float)), tuple(bads.astype(float)), trend)


def _merge_numeric(
    total: FloatArray, bad: FloatArray, n_bad: float, n_good: float, s: FitSettings, tail: float
) -> tuple[list[int], str]:
    """Cuts (micro-grid indices) of the final bins: merge coarse groups, then refine."""
    if total.size <= 1:
        return [], "none"
    coarse = _coarse(total, s.n_prebins, tail)
    bounds = [0, *coarse]
    cuts, trend = _merge(
        np.add.reduceat(total, bounds), np.add.reduceat(bad, bounds), n_bad, n_good, s, ordered=True
    )
    micro_cuts = [coarse[c - 1] for c in cuts]
    if s.method != "optimal":
        return micro_cuts, trend
    min_count = s.min_bin_share * (n_bad + n_good)
    refined = refine_cuts(
        total, bad, micro_cuts, n_bad=n_bad, n_good=n_good, min_count=min_count, trend=trend
    )
    return prune_cuts(total, bad, refined, s.chi2_threshold), trend


def _category_codes(column: Any) -> tuple[npt.NDArray[np.intp], list[str]]:
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy().astype(np.intp), [str(c) for c in series.cat.categories]
    codes, uniques = pd.factorize(as_category_strings(series), use_na_sentinel=True)
    return codes.astype(np.intp), [str(u) for u in uniques]


def _fine_groups(
    total: FloatArray,
    bad: FloatArray,
    seen: npt.NDArray[np.intp],
    names: list[str],
    s: FitSettings,
) -> list[list[int]]:
    """Fine groups of category codes, ordered by (smoothed) bad rate.

    Categories rarer than ``cat_cutoff`` of the rows are pooled into one group first (an
    identifier-like column thus becomes one bin instead of a perfect, meaningless split);
    the groups are then pooled into at most ``n_prebins`` by cumulative count.
    """
    rare_mask = total[seen] < s.cat_cutoff * total.sum()
    groups = [[int(i)] for i in seen[~rare_mask]]
    if rare_mask.any():
        groups.append([int(i) for i in seen[rare_mask]])
    gt = np.array([total[g].sum() for g in groups])
    gb = np.array([bad[g].sum() for g in groups])
    prior = gb.sum() / max(gt.sum(), 1.0)
    rate = (gb + prior) / (gt + 1.0)
    first = np.asarray([min(names[i] for i in g) for g in groups], dtype=object)
    order = np.lexsort((first, rate)).tolist()
    if len(order) <= s.n_prebins:
        return [groups[i] for i in order]
    share = np.cumsum(gt[order]) / gt.sum()
    cell = np.minimum((share * s.n_prebins).astype(int), s.n_prebins - 1)
    return [
        [c for k in np.flatnonzero(cell == g) for c in groups[order[k]]] for g in np.unique(cell)
    ]


def fit_categorical(
    name: str, column: Any, y: npt.NDArray[np.float64], s: FitSettings
) -> BinningTable:
    """Bin one categorical variable: categories sorted by bad rate, then merged as ordered."""
    codes, names = _category_codes(column)
    ncat = len(names)
    total = np.bincount(codes[codes >= 0], minlength=ncat).astype(np.float64)
    bad = np.bincount(codes[codes >= 0], weights=y[codes >= 0], minlength=ncat).astype(np.float64)
    specials = [str(v) for v in s.specials]
    special_codes = [names.index(v) for v in specials if v in names]
    usable = total > 0
    usable[special_codes] = False
    seen = np.flatnonzero(usable)
    n_bad, n_all = float(y.sum()), float(y.size)
    if s.breaks is not None:
        groups = _manual_groups(s.breaks, [names[i] for i in seen])
        trend = "manual"
    else:
        fine = _fine_groups(total, bad, seen, names, s)
        ft = np.array([total[g].sum() for g in fine])
        fb = np.array([bad[g].sum() for g in fine])
        cuts, _ = _merge(ft, fb, n_bad, n_all - n_bad, s, ordered=False)
        if s.method == "optimal":
            cuts = prune_cuts(ft, fb, cuts, s.chi2_threshold)
        bounds = [0, *cuts, len(fine)]
        groups = [
            sorted(names[i] for g in fine[a:b] for i in g) for a, b in itertools.pairwise(bounds)
        ]
        trend = "ascending"
    table = categorical_bins(name, groups or [[]], [[v] for v in specials])
    idx = table.index(column)
    counts = np.bincount(idx, minlength=table.n_bins).astype(np.float64)
    bads = np.bincount(idx, weights=y, minlength=table.n_bins)
    return BinningTable(table, tuple(counts), tuple(bads), trend)


def _manual_groups(breaks: Sequence[Any], seen: list[str]) -> list[list[str]]:
    """Manual category groups; seen categories not listed get one bin each."""
    groups = [[str(v) for v in (g if isinstance(g, list | tuple) else [g])] for g in breaks]
    listed = {v for g in groups for v in g}
    return groups + [[c] for c in seen if c not in listed]
