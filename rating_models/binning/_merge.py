"""Merging fine bins into final bins: optimal (exact DP), chi-square and tree (information gain).

All functions work on the counts of ``k`` ordered fine bins (``total``, ``bad``) and return the
*cuts*: the fine-bin positions ``0 < c1 < ... < k`` where a new final bin starts. They never
see rows, so they cost the same for 1,000 or 10,000,000 rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "chi_merge",
    "enforce_trend",
    "optimal_cuts",
    "prune_cuts",
    "refine_cuts",
    "tree_split",
    "woe_iv",
]

FloatArray = npt.NDArray[np.float64]
CHI2_95 = 3.841458820694124  # chi-square, 1 degree of freedom, p = 0.05
_NEG = -np.inf


def woe_iv(
    bad: FloatArray, good: FloatArray, n_bad: float, n_good: float
) -> tuple[FloatArray, FloatArray]:
    """WOE = ln(bad share / good share) and IV per bin; 0.5 is added to a bin with a zero count.

    Empty bins get WOE 0 and IV 0.
    """
    bad = np.asarray(bad, dtype=np.float64)
    good = np.asarray(good, dtype=np.float64)
    zero = (bad == 0) | (good == 0)
    b = np.where(zero, bad + 0.5, bad) / max(n_bad, 1.0)
    g = np.where(zero, good + 0.5, good) / max(n_good, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        woe = np.log(b / g)
    empty = (bad + good) == 0
    woe = np.where(empty, 0.0, woe)
    iv = np.where(empty, 0.0, (b - g) * woe)
    return woe, iv


def _segments(
    total: FloatArray, bad: FloatArray, n_bad: float, n_good: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Counts, bad rate and IV of every segment [i, j) of fine bins (matrices (k+1)x(k+1))."""
    ct = np.concatenate(([0.0], np.cumsum(total)))
    cb = np.concatenate(([0.0], np.cumsum(bad)))
    seg_t = ct[None, :] - ct[:, None]
    seg_b = cb[None, :] - cb[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(seg_t > 0, seg_b / seg_t, 0.0)
    _, iv = woe_iv(seg_b.ravel(), (seg_t - seg_b).ravel(), n_bad, n_good)
    return seg_t, rate, iv.reshape(seg_t.shape)


def _layer(
    prev: FloatArray, rate: FloatArray, sign: float
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """best[i, j] = max_h prev[h, i] subject to sign*rate[h,i] <= sign*rate[i,j] (sign 0: none).

    Per column i the candidates h are sorted by rate and turned into a running maximum, so
    each (i, j) is one binary search: O(k^2 log k) instead of O(k^3).
    """
    n = prev.shape[0]
    if sign == 0.0:
        arg = np.broadcast_to(np.argmax(prev, axis=0)[:, None], (n, n))
        return prev[arg[:, 0], np.arange(n)][:, None].repeat(n, axis=1), np.ascontiguousarray(arg)
    key = sign * rate  # key[h, i] of the previous bin, key[i, j] of the new one
    order = np.argsort(key, axis=0, kind="stable")
    sorted_key = np.take_along_axis(key, order, axis=0)
    vals = np.take_along_axis(prev, order, axis=0)
    run = np.maximum.accumulate(vals, axis=0)
    rows = np.arange(n)[:, None]
    at = np.maximum.accumulate(np.where(vals >= run, rows, 0), axis=0)
    # global search: column i's sorted keys are shifted by 4*i so columns never overlap
    shift = 4.0 * np.arange(n)
    flat = (sorted_key + shift[None, :]).T.ravel()
    pos = np.searchsorted(flat, key + 1e-12 + shift[:, None], side="right") - 1 - rows * n
    ok = pos >= 0
    pos = np.clip(pos, 0, n - 1)
    cols = np.broadcast_to(rows, (n, n))
    best = np.where(ok, run[pos, cols], _NEG)
    arg = np.where(ok, order[at[pos, cols], cols], 0)
    return best, arg


def _optimal_shape(
    seg_t: FloatArray,
    rate: FloatArray,
    iv: FloatArray,
    min_count: float,
    max_bins: int,
    phases: tuple[float, ...],
) -> dict[int, tuple[float, list[int]]]:
    """Exact max-IV partitions whose bad-rate trend follows ``phases`` (e.g. (1,) or (1, -1)).

    Returns, per number of phases used (1: only the first phase, 2: both), the best IV and
    its cuts, so a peak run also yields the best ascending partition.
    """
    k = seg_t.shape[0] - 1
    upper = np.triu(np.ones_like(seg_t, dtype=bool), 1)
    gain = np.where(upper & (seg_t >= min_count), iv, _NEG)
    n_ph = len(phases)
    g = np.full((n_ph, k + 1, k + 1), _NEG)
    g[0, 0, :] = gain[0, :]
    history: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]] = []
    cols = np.arange(k + 1)[:, None]  # column i of g for every (i, j)
    best = dict.fromkeys(range(n_ph), (_NEG, (0, 0, 0)))
    best[0] = (float(g[0, 0, k]), (0, 0, 0))
    for m in range(2, max_bins + 1):
        new = np.full_like(g, _NEG)
        arg = np.zeros(g.shape, dtype=np.intp)
        src = np.zeros(g.shape, dtype=np.intp)
        for p, sign in enumerate(phases):
            # sources: any earlier phase; the constraint depends on the bins only, so one
            # search over the elementwise best source does
            pool = g[: p + 1].max(axis=0)
            vals, arg[p] = _layer(pool, rate, sign)
            new[p] = vals + gain
            src[p] = np.argmax(g[: p + 1][:, arg[p], cols], axis=0)
        if not np.isfinite(new).any():
            break
        g = new
        history.append((arg, src))
        for p in range(n_ph):
            cand = g[p, :, k]
            if cand.max() > best[p][0] + 1e-12:
                best[p] = (float(cand.max()), (m - 1, p, int(np.argmax(cand))))
    out: dict[int, tuple[float, list[int]]] = {}
    for used in range(1, n_ph + 1):
        value, at = max((best[p] for p in range(used)), key=lambda b: b[0])
        out[used] = (value, _backtrack(history, at, k))
    return out


def _backtrack(
    history: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]],
    at: tuple[int, ...],
    k: int,
) -> list[int]:
    layer, phase, start = (int(v) for v in at)
    cuts: list[int] = []
    end = k
    while layer > 0:
        arg, src = history[layer - 1]
        cuts.append(start)
        prev_start = int(arg[phase, start, end])
        phase, start, end = int(src[phase, start, end]), prev_start, start
        layer -= 1
    return sorted(c for c in cuts if 0 < c < k)


_SHAPES: dict[str, tuple[float, ...]] = {
    "ascending": (1.0,),
    "descending": (-1.0,),
    "peak": (1.0, -1.0),
    "valley": (-1.0, 1.0),
    "none": (0.0,),
}


def optimal_cuts(
    total: FloatArray,
    bad: FloatArray,
    *,
    n_bad: float,
    n_good: float,
    min_count: float,
    max_bins: int,
    trend: str,
    shape_gain: float = 0.03,
) -> tuple[list[int], str]:
    """Max-IV partition of fine bins under the trend; returns (cuts, trend used).

    ``trend="auto"`` keeps the better of ascending/descending unless peak or valley has an IV
    at least ``shape_gain`` (relative) higher.
    """
    seg_t, rate, iv = _segments(total, bad, n_bad, n_good)
    min_count = min(min_count, float(seg_t[0, -1]))
    if trend != "auto":
        found = _optimal_shape(seg_t, rate, iv, min_count, max_bins, _SHAPES[trend])
        return found[len(_SHAPES[trend])][1], trend
    peak = _optimal_shape(seg_t, rate, iv, min_count, max_bins, _SHAPES["peak"])
    valley = _optimal_shape(seg_t, rate, iv, min_count, max_bins, _SHAPES["valley"])
    results = {"ascending": peak[1], "descending": valley[1], "peak": peak[2], "valley": valley[2]}
    mono = max(("ascending", "descending"), key=lambda s: results[s][0])
    shaped = max(("peak", "valley"), key=lambda s: results[s][0])
    if results[shaped][0] > results[mono][0] * (1.0 + shape_gain) + 1e-9:
        return results[shaped][1], shaped
    return results[mono][1], mono


def enforce_trend(
    total: FloatArray,
    bad: FloatArray,
    cuts: list[int],
    *,
    n_bad: float,
    n_good: float,
    trend: str,
) -> tuple[list[int], str]:
    """Coarsen given bins (merge adjacent ones) to the max-IV partition following ``trend``."""
    bounds = [0, *cuts, len(total)]
    t = np.add.reduceat(total, bounds[:-1])
    b = np.add.reduceat(bad, bounds[:-1])
    sub, used = optimal_cuts(
        t, b, n_bad=n_bad, n_good=n_good, min_count=0.0, max_bins=len(t), trend=trend
    )
    return [bounds[c] for c in sub], used


def _chi2_adjacent(t: FloatArray, b: FloatArray) -> FloatArray:
    """Pearson chi-square of each adjacent pair of bins (2x2 table)."""
    t1, t2, b1, b2 = t[:-1], t[1:], b[:-1], b[1:]
    n = t1 + t2
    p = np.where(n > 0, (b1 + b2) / np.maximum(n, 1e-300), 0.0)
    exp = np.stack([t1 * p, t1 * (1 - p), t2 * p, t2 * (1 - p)])
    obs = np.stack([b1, t1 - b1, b2, t2 - b2])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(exp > 0, (obs - exp) ** 2 / exp, 0.0)
    return terms.sum(axis=0)


def chi_merge(
    total: FloatArray,
    bad: FloatArray,
    *,
    min_count: float,
    max_bins: int,
    threshold: float = CHI2_95,
) -> list[int]:
    """Bottom-up ChiMerge: merge the most similar adjacent pair until all pairs differ.

    A bin smaller than ``min_count`` is merged with its more similar neighbour first.
    """
    t = np.asarray(total, dtype=np.float64).copy()
    b = np.asarray(bad, dtype=np.float64).copy()
    starts = list(range(len(t)))
    while len(t) > 1:
        chi = _chi2_adjacent(t, b)
        small = np.flatnonzero(t < min_count)
        if small.size:
            i = int(small[np.argmin(t[small])])
            left = chi[i - 1] if i > 0 else np.inf
            right = chi[i] if i < len(chi) else np.inf
            pair = i - 1 if left <= right else i
        elif len(t) > max_bins or chi.min() < threshold:
            pair = int(np.argmin(chi))
        else:
            break
        t[pair] += t[pair + 1]
        b[pair] += b[pair + 1]
        t, b = np.delete(t, pair + 1), np.delete(b, pair + 1)
        del starts[pair + 1]
    return starts[1:]


def _entropy(t: FloatArray, b: FloatArray) -> FloatArray:
    p = np.where(t > 0, b / np.maximum(t, 1e-300), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log(p), 0.0) + np.where(p < 1, (1 - p) * np.log(1 - p), 0.0))
    return t * h


def _best_split(
    ct: FloatArray, cb: FloatArray, lo: int, hi: int, min_count: float
) -> tuple[float, int]:
    """Best information-gain split of fine bins [lo, hi); (gain, position) or (0, -1)."""
    if hi - lo < 2:
        return 0.0, -1
    pos = np.arange(lo + 1, hi)
    lt, lb = ct[pos] - ct[lo], cb[pos] - cb[lo]
    rt, rb = ct[hi] - ct[pos], cb[hi] - cb[pos]
    parent = _entropy(np.array([ct[hi] - ct[lo]]), np.array([cb[hi] - cb[lo]]))[0]
    gain = parent - _entropy(lt, lb) - _entropy(rt, rb)
    chi = _chi2_adjacent(np.stack([lt, rt]).T.ravel(), np.stack([lb, rb]).T.ravel())[::2]
    gain = np.where((lt >= min_count) & (rt >= min_count) & (chi >= CHI2_95), gain, 0.0)
    j = int(np.argmax(gain))
    return (float(gain[j]), int(pos[j])) if gain[j] > 0 else (0.0, -1)


def tree_split(total: FloatArray, bad: FloatArray, *, min_count: float, max_bins: int) -> list[int]:
    """Best-first binary splitting by information gain; a split must be chi-square significant."""
    ct = np.concatenate(([0.0], np.cumsum(total)))
    cb = np.concatenate(([0.0], np.cumsum(bad)))
    leaves = [(0, len(total))]
    cuts: list[int] = []
    while len(leaves) < max_bins:
        options = [
            (*_best_split(ct, cb, lo, hi, min_count), n) for n, (lo, hi) in enumerate(leaves)
        ]
        _, pos, n = max(options, key=lambda o: o[0])
        if pos < 0:
            break
        lo, hi = leaves.pop(n)
        leaves[n:n] = [(lo, pos), (pos, hi)]
        cuts.append(pos)
    return sorted(cuts)


def follows(rate: FloatArray, trend: str) -> bool:
    """Whether bad rates follow ``trend`` (ties allowed)."""
    steps = np.sign(np.round(np.diff(rate), 12))
    if trend in ("none", "manual") or steps.size == 0:
        return True
    if trend in ("ascending", "descending"):
        return bool(np.all(steps * (1 if trend == "ascending" else -1) >= 0))
    first = 1 if trend == "peak" else -1
    turn = int(np.argmax(steps == -first)) if np.any(steps == -first) else steps.size
    return bool(np.all(steps[:turn] != -first) and np.all(steps[turn:] != first))


def refine_cuts(
    total: FloatArray,
    bad: FloatArray,
    cuts: list[int],
    *,
    n_bad: float,
    n_good: float,
    min_count: float,
    trend: str,
    passes: int = 2,
) -> list[int]:
    """Slide each cut over the micro grid between its neighbours to raise IV (coordinate ascent).

    Every move keeps the minimum count and the trend, so the result is never worse.
    """
    ct = np.concatenate(([0.0], np.cumsum(total)))
    cb = np.concatenate(([0.0], np.cumsum(bad)))
    cuts = list(cuts)
    k = total.size
    for _ in range(passes):
        moved = False
        for i in range(len(cuts)):
            lo = cuts[i - 1] if i > 0 else 0
            hi = cuts[i + 1] if i + 1 < len(cuts) else k
            cand = np.arange(lo + 1, hi)
            lt, lb = ct[cand] - ct[lo], cb[cand] - cb[lo]
            rt, rb = ct[hi] - ct[cand], cb[hi] - cb[cand]
            _, iv_l = woe_iv(lb, lt - lb, n_bad, n_good)
            _, iv_r = woe_iv(rb, rt - rb, n_bad, n_good)
            gain = np.where((lt >= min_count) & (rt >= min_count), iv_l + iv_r, _NEG)
            for j in np.argsort(-gain, kind="stable"):
                if not np.isfinite(gain[j]) or cand[j] == cuts[i]:
                    break
                trial = [*cuts[:i], int(cand[j]), *cuts[i + 1 :]]
                b = np.array([0, *trial, k])
                seg_t, seg_b = ct[b[1:]] - ct[b[:-1]], cb[b[1:]] - cb[b[:-1]]
                if follows(seg_b / np.maximum(seg_t, 1e-300), trend):
                    moved |= trial != cuts
                    cuts = trial
                    break
        if not moved:
            break
    return cuts


def prune_cuts(total: FloatArray, bad: FloatArray, cuts: list[int], threshold: float) -> list[int]:
    """Merge adjacent bins whose bad rates do not differ significantly (chi-square < threshold).

    The least significant pair goes first. Merging neighbours keeps a monotone or unimodal
    trend and only grows bins, so every other constraint still holds.
    """
    cuts = list(cuts)
    while cuts:
        bounds = [0, *cuts]
        chi = _chi2_adjacent(np.add.reduceat(total, bounds), np.add.reduceat(bad, bounds))
        worst = int(np.argmin(chi))
        if chi[worst] >= threshold:
            break
        del cuts[worst]
    return cuts
