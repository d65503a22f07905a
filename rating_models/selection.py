"""Variable selection on WOE columns, recording why each dropped variable was dropped.

Filters run in this order: IV, missing rate, single-bin share, pairwise correlation (the
variable with the higher IV stays), VIF (the highest VIF goes first), then optional forward
stepwise selection by AIC. Every variable ends up either selected or in ``dropped`` with a
reason a modeler can read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression

from rating_models.binning.table import BinningTable

__all__ = ["SelectionResult", "select_features", "vif"]


@dataclass(frozen=True)
class SelectionResult:
    """Selected variables (in input order) and the reason for each dropped one."""

    selected: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]

    @property
    def reasons(self) -> dict[str, str]:
        """Dropped variable -> reason."""
        return dict(self.dropped)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"selected": list(self.selected), "dropped": dict(self.dropped)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionResult:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(data["selected"]), tuple(dict(data["dropped"]).items()))


def vif(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Variance inflation factor ``1 / (1 - R^2)`` of each column regressed on the others.

    Perfectly collinear columns get ``inf``; constant columns get 1.
    """
    x = matrix - matrix.mean(axis=0)
    out = np.ones(x.shape[1])
    for j in range(x.shape[1]):
        target = x[:, j]
        total = float(target @ target)
        if x.shape[1] < 2 or total == 0.0:
            continue
        others = np.delete(x, j, axis=1)
        coef, *_ = np.linalg.lstsq(others, target, rcond=None)
        resid = target - others @ coef
        r2 = 1.0 - float(resid @ resid) / total
        out[j] = np.inf if r2 >= 1.0 - 1e-12 else 1.0 / (1.0 - r2)
    return out


def _corr_filter(
    woe: pd.DataFrame, names: list[str], iv: Mapping[str, float], max_corr: float
) -> tuple[list[str], dict[str, str]]:
    order = sorted(names, key=lambda n: (-iv[n], names.index(n)))
    values = woe[order].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(values, rowvar=False).reshape(len(order), len(order)))
    kept: list[int] = []
    dropped: dict[str, str] = {}
    for i, name in enumerate(order):
        clash = [j for j in kept if abs(corr[i, j]) > max_corr]
        if clash:
            j = clash[0]
            dropped[name] = (
                f"correlation {corr[i, j]:.3f} with {order[j]!r} (IV {iv[order[j]]:.4f}) "
                f"exceeds {max_corr}"
            )
        else:
            kept.append(i)
    return [n for n in names if n not in dropped], dropped


def _vif_filter(
    woe: pd.DataFrame, names: list[str], max_vif: float
) -> tuple[list[str], dict[str, str]]:
    names = list(names)
    dropped: dict[str, str] = {}
    while len(names) > 1:
        v = vif(woe[names].to_numpy(dtype=np.float64))
        worst = int(np.argmax(v))
        if v[worst] <= max_vif:
            break
        dropped[names[worst]] = f"VIF {v[worst]:.2f} exceeds {max_vif}"
        del names[worst]
    return names, dropped


def _aic(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float:
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, y)
    p = np.clip(model.predict_proba(x)[:, 1], 1e-12, 1 - 1e-12)
    loglik = float(np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return 2.0 * (x.shape[1] + 1) - 2.0 * loglik


def _stepwise(
    woe: pd.DataFrame, y: npt.NDArray[np.float64], names: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Forward selection by AIC: add the variable that lowers AIC most, while any does."""
    chosen: list[str] = []
    current = np.inf
    remaining = list(names)
    while remaining:
        scores = [_aic(woe[[*chosen, n]].to_numpy(dtype=np.float64), y) for n in remaining]
        best = int(np.argmin(scores))
        if scores[best] >= current:
            break
        current = scores[best]
        chosen.append(remaining.pop(best))
    reason = "stepwise (AIC): adds nothing once the selected variables are in"
    return [n for n in names if n in chosen], dict.fromkeys(remaining, reason)


def select_features(
    woe: pd.DataFrame,
    y: Any,
    tables: Mapping[str, BinningTable],
    *,
    min_iv: float = 0.02,
    max_missing_rate: float = 0.95,
    max_single_bin_share: float = 0.99,
    max_corr: float | None = 0.7,
    max_vif: float | None = None,
    stepwise: bool = False,
) -> SelectionResult:
    """Select variables from their WOE columns and binning tables.

    Examples
    --------
    >>> import pandas as pd
    >>> from rating_models import WOEBinning, select_features
    >>> X = pd.DataFrame({"a": [1, 2, 3, 4] * 50, "b": [1, 1, 2, 2] * 50})
    >>> y = [0, 0, 1, 1] * 50
    >>> binning = WOEBinning(min_bin_share=0.1).fit(X, y)
    >>> result = select_features(binning.transform(X), y, binning.tables_)
    >>> result.selected, result.reasons
    (('a',), {'b': "correlation 1.000 with 'a' (IV ...) exceeds 0.7"})
    """
    names = list(woe.columns)
    iv = {n: tables[n].iv for n in names}
    dropped: dict[str, str] = {}
    for name in names:
        counts = np.asarray(tables[name].count)
        if iv[name] < min_iv:
            dropped[name] = f"IV {iv[name]:.4f} below {min_iv}"
        elif tables[name].missing_rate > max_missing_rate:
            dropped[name] = f"missing rate {tables[name].missing_rate:.3f} above {max_missing_rate}"
        elif counts.max() / max(counts.sum(), 1.0) > max_single_bin_share:
            share = counts.max() / max(counts.sum(), 1.0)
            dropped[name] = f"one bin holds {share:.3f} of rows, above {max_single_bin_share}"
    kept = [n for n in names if n not in dropped]
    if max_corr is not None and len(kept) > 1:
        kept, more = _corr_filter(woe, kept, iv, max_corr)
        dropped.update(more)
    if max_vif is not None and len(kept) > 1:
        kept, more = _vif_filter(woe, kept, max_vif)
        dropped.update(more)
    if stepwise and kept:
        kept, more = _stepwise(woe, np.asarray(y, dtype=np.float64), kept)
        dropped.update(more)
    return SelectionResult(tuple(kept), tuple((n, dropped[n]) for n in names if n in dropped))
