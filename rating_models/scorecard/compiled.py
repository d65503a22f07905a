"""The compiled scorer: numpy arrays only, one vectorised pass per feature.

Per numeric feature one ``searchsorted`` on the cut points, a NaN mask and a ``take`` on the
points; per categorical feature one hash lookup of the distinct values. No pandas per row,
no per-row Python, and only a few temporary arrays of the column's length at a time. A few
rows (an online request) take every numeric feature at once through one padded matrix of cut
points instead, which gives the same bins with far fewer numpy calls.

The score is the intercept plus the points added in card order, left to right:
``((intercept + p_1) + p_2) + ... + p_k`` (the order of the SQL expression too). The order is fixed, so a row's score is bit for bit
the same whether it is scored alone or inside a million-row frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.typing import NDArray

from rating_models.binning.bins import FeatureBins, as_float
from rating_models.exceptions import InvalidDataError

__all__ = [
    "CompiledScorecard",
    "column_arrays",
    "column_positions",
    "columns_at",
    "sum_points",
]

#: up to this many rows, numeric features are binned together through one padded matrix
FEW_ROWS = 64


def _plain(column: Any) -> Any:
    """A Series of a plain numeric dtype as its array (the same values, less pandas per call)."""
    plain = isinstance(column, pd.Series) and isinstance(column.dtype, np.dtype)
    return column.to_numpy() if plain and column.dtype.kind in "fiub" else column


def column_arrays(frame: pd.DataFrame, names: Sequence[str] | pd.Index) -> list[Any]:
    """The values of each named column of ``frame``: a numpy array or an extension array.

    Reads each column once, without building a Series (the cost that dominates a one-row
    request); a name that is not a column raises ``KeyError``.
    """
    return columns_at(frame, column_positions(frame.columns, names))


def column_positions(columns: pd.Index, names: Sequence[str] | pd.Index) -> NDArray[np.intp]:
    """Position of each name in ``columns``; absent names raise ``KeyError`` naming them.

    A needed name that appears twice among the columns raises :class:`InvalidDataError`.
    """
    if columns.is_unique:
        at = columns.get_indexer(names)
        if (at < 0).any():
            raise KeyError([n for n, i in zip(names, at, strict=True) if i < 0])
        return at
    absent = [n for n in names if n not in columns]
    if absent:
        raise KeyError(absent)
    out = []
    for n in names:
        loc = columns.get_loc(n)
        if not isinstance(loc, int):
            raise InvalidDataError(f"Column {n!r} appears more than once in the data.", column=n)
        out.append(loc)
    return np.asarray(out, dtype=np.intp)


def columns_at(frame: pd.DataFrame, at: NDArray[np.intp]) -> list[Any]:
    """The values of the columns at positions ``at`` (from :func:`column_positions`)."""
    get = getattr(getattr(frame, "_mgr", None), "iget_values", None)
    if get is None:  # pragma: no cover - a pandas without it
        return [_plain(frame.iloc[:, i]) for i in at.tolist()]
    return [get(i) for i in at.tolist()]


def sum_points(points: npt.NDArray[np.float64], intercept: float) -> npt.NDArray[np.float64]:
    """``((intercept + p_1) + p_2) + ... + p_k`` per row of a (rows x features) matrix.

    Column by column, in card order, whatever the matrix's layout or row count (a row-sum
    would reorder the additions by blocking, so a row's score would depend on its batch).
    The order is the one of :meth:`ScorecardSpec.to_sql`'s expression.
    """
    n, k = points.shape
    if n <= FEW_ROWS:
        terms = np.empty((n, k + 1), dtype=np.float64)
        terms[:, 0] = intercept
        terms[:, 1:] = points
        return np.cumsum(terms, axis=1)[:, -1]  # accumulate: strictly left to right
    total = np.full(n, float(intercept))
    for j in range(k):
        total += points[:, j]
    return total


@dataclass(frozen=True)
class _NumericBlock:
    """Every numeric feature's cut points and points, padded into matrices."""

    at: npt.NDArray[np.intp]  # positions of the numeric features in the card
    edges: npt.NDArray[np.float64]  # features x most edges, NaN padding (never counted)
    missing: npt.NDArray[np.intp]  # missing bin of each feature
    offset: npt.NDArray[np.intp]  # start of each feature's points in ``points``
    points: npt.NDArray[np.float64]  # every feature's points, one after the other

    @classmethod
    def build(
        cls, bins: Sequence[FeatureBins], points: Sequence[npt.NDArray[np.float64]]
    ) -> _NumericBlock:
        at = [j for j, fb in enumerate(bins) if fb.kind == "numeric"]
        width = max((bins[j].edges.size for j in at), default=0)
        edges = np.full((len(at), width), np.nan)
        for row, j in enumerate(at):
            edges[row, : bins[j].edges.size] = bins[j].edges
        sizes = [points[j].size for j in at]
        offset = np.cumsum([0, *sizes[:-1]]) if at else np.empty(0)
        return cls(
            np.asarray(at, dtype=np.intp),
            edges,
            np.asarray([bins[j].missing_index for j in at], dtype=np.intp),
            np.asarray(offset, dtype=np.intp),
            np.concatenate([points[j] for j in at]) if at else np.empty(0),
        )


@dataclass(frozen=True)
class CompiledScorecard:
    """Arrays of a card, ready to score columns of a DataFrame or a mapping of arrays."""

    names: tuple[str, ...]
    bins: tuple[FeatureBins, ...]
    points: tuple[npt.NDArray[np.float64], ...]
    intercept: float
    _numeric: _NumericBlock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_numeric", _NumericBlock.build(self.bins, self.points))

    def _columns(self, data: Any) -> tuple[list[Any], int]:
        if isinstance(data, pd.DataFrame):
            present: Any = data.columns
        elif isinstance(data, Mapping):
            present = data
        else:
            raise InvalidDataError(
                f"Scoring needs a DataFrame or a mapping of columns. Got {type(data).__name__}."
            )
        missing = [n for n in self.names if n not in present]
        if missing:
            raise InvalidDataError(
                f"The data lack the card's feature column(s): {missing}.", columns=missing
            )
        if isinstance(data, pd.DataFrame):
            return column_arrays(data, self.names), len(data)
        cols = [_plain(data[n]) for n in self.names]
        return cols, (len(cols[0]) if cols else 0)

    def bin_indices(self, data: Any) -> npt.NDArray[np.intp]:
        """Bin index per row and feature (rows x features)."""
        cols, n = self._columns(data)
        out = np.empty((n, len(self.names)), dtype=np.intp, order="F")
        for j, (col, fb) in enumerate(zip(cols, self.bins, strict=True)):
            out[:, j] = fb.index(col)
        return out

    def points_of(self, cols: Sequence[Any], n: int) -> npt.NDArray[np.float64]:
        """Points per row and feature (rows x features, columns contiguous) of ready columns.

        ``cols`` holds one array per feature, in card order (see :func:`column_arrays`).
        """
        out = np.empty((n, len(self.names)), dtype=np.float64, order="F")
        block = self._numeric
        few = 0 < n <= FEW_ROWS and block.at.size > 1
        for j, (col, fb, pts) in enumerate(zip(cols, self.bins, self.points, strict=True)):
            if not (few and fb.kind == "numeric"):
                out[:, j] = pts.take(fb.index(col))
        if few:
            out[:, block.at] = self._few_numeric([cols[j] for j in block.at], n)
        return out

    def _few_numeric(self, cols: list[Any], n: int) -> npt.NDArray[np.float64]:
        """Points of every numeric feature of a few rows, through the padded cut points."""
        block = self._numeric
        x = np.empty((n, len(cols)), dtype=np.float64)
        for j, col in enumerate(cols):
            plain = isinstance(col, np.ndarray) and col.dtype.kind in "fiub"
            x[:, j] = col if plain else as_float(col, self.names[block.at[j]])
        with np.errstate(invalid="ignore"):
            idx = (x[:, :, None] >= block.edges).sum(axis=2, dtype=np.intp)
        idx = np.where(np.isnan(x), block.missing, idx)
        for j, pos in enumerate(block.at.tolist()):
            for i, values in self.bins[pos].specials:
                hit = (x[:, j, None] == values).any(axis=1)
                idx[hit, j] = i
        return block.points.take(idx + block.offset)

    def points_matrix(self, data: Any) -> npt.NDArray[np.float64]:
        """Points per row and feature (rows x features), without the intercept."""
        cols, n = self._columns(data)
        return self.points_of(cols, n)

    def score(self, data: Any) -> npt.NDArray[np.float64]:
        """The intercept plus the points of every feature, added in card order."""
        cols, n = self._columns(data)
        if n <= FEW_ROWS:
            return sum_points(self.points_of(cols, n), self.intercept)
        # one column of points at a time: no rows x features matrix, the same additions
        total = np.full(n, self.intercept)
        for col, fb, pts in zip(cols, self.bins, self.points, strict=True):
            total += pts.take(fb.index(col))
        return total

    @classmethod
    def build(
        cls,
        names: Sequence[str],
        bins: Sequence[FeatureBins],
        points: Sequence[Sequence[float]],
        intercept: float,
    ) -> CompiledScorecard:
        """Compile from per-feature bins and points."""
        return cls(
            tuple(names),
            tuple(bins),
            tuple(np.asarray(p, dtype=np.float64) for p in points),
            float(intercept),
        )
