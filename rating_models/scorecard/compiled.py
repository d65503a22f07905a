"""The compiled scorer: numpy arrays only, one vectorised pass per feature.

Per numeric feature one ``searchsorted`` on the cut points, a NaN mask and a ``take`` on the
points; per categorical feature one hash lookup of the distinct values. No pandas per row,
no per-row Python, and only a few temporary arrays of the column's length at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from rating_models.binning.bins import FeatureBins
from rating_models.exceptions import InvalidDataError

__all__ = ["CompiledScorecard"]


def _plain(column: Any) -> Any:
    """A Series of a plain numeric dtype as its array (the same values, less pandas per call)."""
    plain = isinstance(column, pd.Series) and isinstance(column.dtype, np.dtype)
    return column.to_numpy() if plain and column.dtype.kind in "fiub" else column


@dataclass(frozen=True)
class CompiledScorecard:
    """Arrays of a card, ready to score columns of a DataFrame or a mapping of arrays."""

    names: tuple[str, ...]
    bins: tuple[FeatureBins, ...]
    points: tuple[npt.NDArray[np.float64], ...]
    intercept: float

    def _columns(self, data: Any) -> tuple[list[Any], int]:
        if isinstance(data, pd.DataFrame):
            present = set(data.columns)
        elif isinstance(data, Mapping):
            present = set(data)
        else:
            raise InvalidDataError(
                f"Scoring needs a DataFrame or a mapping of columns. Got {type(data).__name__}."
            )
        missing = [n for n in self.names if n not in present]
        if missing:
            raise InvalidDataError(
                f"The data lack the card's feature column(s): {missing}.", columns=missing
            )
        cols = [_plain(data[n]) for n in self.names]
        n_rows = len(data) if isinstance(data, pd.DataFrame) else (len(cols[0]) if cols else 0)
        return cols, n_rows

    def bin_indices(self, data: Any) -> npt.NDArray[np.intp]:
        """Bin index per row and feature (rows x features)."""
        cols, n = self._columns(data)
        out = np.empty((n, len(self.names)), dtype=np.intp, order="F")
        for j, (col, fb) in enumerate(zip(cols, self.bins, strict=True)):
            out[:, j] = fb.index(col)
        return out

    def points_matrix(self, data: Any) -> npt.NDArray[np.float64]:
        """Points per row and feature (rows x features), without the intercept."""
        cols, n = self._columns(data)
        out = np.empty((n, len(self.names)), dtype=np.float64, order="F")
        for j, (col, fb, pts) in enumerate(zip(cols, self.bins, self.points, strict=True)):
            out[:, j] = pts.take(fb.index(col))
        return out

    def score(self, data: Any) -> npt.NDArray[np.float64]:
        """Intercept plus the points of every feature, summed left to right."""
        cols, n = self._columns(data)
        total = np.full(n, self.intercept, dtype=np.float64)
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
