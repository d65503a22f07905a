"""Bin definitions of one feature and the vectorised assignment of values to bins.

A feature's bins are plain values shared by WOE binning tables, statistical scorecards and
expert cards. Layout of ``FeatureBins.bins`` (the *bin index* used everywhere):

* numeric: left-closed intervals ``[lower, upper)`` in ascending order covering the real line
  (``None`` stands for -inf / +inf); categorical: disjoint groups of categories;
* exactly one ``missing`` bin (NaN, None, pd.NA);
* any number of ``special`` bins (values such as -1 "no permission" or 99, each bin a list);
* categorical only, at most one ``other`` bin for categories not seen when the card was made.
  Without it, unseen categories go to the missing bin.

Specials are checked before intervals, so a special value never lands in an ordinary bin.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from rating_models.exceptions import InvalidDataError, SpecError

__all__ = ["Bin", "FeatureBins", "as_category_strings", "as_float"]

BinKind = Literal["interval", "categories", "missing", "special", "other"]
FeatureKind = Literal["numeric", "categorical"]
_KINDS = ("interval", "categories", "missing", "special", "other")


def _fmt(value: float | None, default: str) -> str:
    if value is None:
        return default
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


@dataclass(frozen=True)
class Bin:
    """One bin: an interval ``[lower, upper)``, a group of categories, missing, special or other."""

    kind: BinKind
    lower: float | None = None
    upper: float | None = None
    values: tuple[Any, ...] = ()

    @property
    def label(self) -> str:
        """A readable label, e.g. ``[25, 35)``, ``car, tv``, ``missing``, ``special: -1``."""
        if self.kind == "interval":
            return f"[{_fmt(self.lower, '-inf')}, {_fmt(self.upper, 'inf')})"
        if self.kind == "categories":
            return ", ".join(str(v) for v in self.values)
        if self.kind == "special":
            return "special: " + ", ".join(str(v) for v in self.values)
        return self.kind

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; only the fields that matter for the kind."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "interval":
            out["lower"], out["upper"] = self.lower, self.upper
        elif self.kind in ("categories", "special"):
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Bin:
        """Inverse of :meth:`to_dict`."""
        kind = data.get("kind")
        if kind not in _KINDS:
            raise SpecError(f"Bin kind must be one of {_KINDS}. Got {kind!r}.", field="kind")
        lower, upper = data.get("lower"), data.get("upper")
        return cls(
            kind=kind,
            lower=None if lower is None else float(lower),
            upper=None if upper is None else float(upper),
            values=tuple(data.get("values", ())),
        )


@dataclass(frozen=True)
class FeatureBins:
    """All bins of one feature; :meth:`index` assigns each value its bin index."""

    name: str
    kind: FeatureKind
    bins: tuple[Bin, ...]

    def __post_init__(self) -> None:
        _check_layout(self)

    @property
    def n_bins(self) -> int:
        """Number of bins, missing and special bins included."""
        return len(self.bins)

    @property
    def missing_index(self) -> int:
        """Index of the missing bin."""
        return next(i for i, b in enumerate(self.bins) if b.kind == "missing")

    @cached_property
    def edges(self) -> npt.NDArray[np.float64]:
        """Interior cut points of a numeric feature (``searchsorted(..., side='right')``)."""
        uppers = [b.upper for b in self.bins if b.kind == "interval" and b.upper is not None]
        return np.asarray(uppers, dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"name": self.name, "kind": self.kind, "bins": [b.to_dict() for b in self.bins]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBins:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                str(data["name"]), data["kind"], tuple(Bin.from_dict(b) for b in data["bins"])
            )
        except KeyError as exc:
            raise SpecError(
                f"Feature bins lack the key {exc.args[0]!r}.", field=exc.args[0]
            ) from exc

    def index(self, column: Any) -> npt.NDArray[np.intp]:
        """Bin index of every value of ``column`` (Series, array or extension array), vectorised."""
        if self.kind == "numeric":
            return self._index_numeric(as_float(column, self.name))
        return self._index_categorical(column)

    @cached_property
    def specials(self) -> tuple[tuple[int, npt.NDArray[np.float64]], ...]:
        """``(bin index, values)`` of each special bin of a numeric feature, in bin order."""
        return tuple(
            (i, np.asarray(b.values, dtype=np.float64))
            for i, b in enumerate(self.bins)
            if b.kind == "special"
        )

    def _index_numeric(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        edges = self.edges
        if edges.size < 100:
            # counting the edges at or below each value equals searchsorted(side="right")
            # and is several times faster for the few edges of a scorecard
            small = np.zeros(x.shape, dtype=np.int8)
            for edge in edges:
                small += x >= edge
            idx = small.astype(np.intp)
        else:
            idx = np.searchsorted(edges, x, side="right")
        idx[np.isnan(x)] = self.missing_index
        for i, values in self.specials:  # later special bins win, as in bin order
            idx[_is_in(x, values)] = i
        return idx

    @cached_property
    def _category_table(self) -> tuple[pd.Index, npt.NDArray[np.intp]]:
        names: list[str] = []
        pos: list[int] = []
        for i, b in enumerate(self.bins):
            if b.kind in ("categories", "special"):
                names.extend(str(v) for v in b.values)
                pos.extend([i] * len(b.values))
        other = next((i for i, b in enumerate(self.bins) if b.kind == "other"), None)
        unseen = self.missing_index if other is None else other
        # get_indexer returns -1 for an unseen category: the last entry of the table
        return pd.Index(names, dtype=object), np.asarray([*pos, unseen], dtype=np.intp)

    @cached_property
    def _category_lookup(self) -> dict[str, int]:
        """``{category text: bin index}`` (the table of a few rows, as a dict)."""
        known, table = self._category_table
        return {str(name): int(table[i]) for i, name in enumerate(known)}

    def _index_categorical(self, column: Any) -> npt.NDArray[np.intp]:
        if isinstance(column, pd.Series):
            column = column.array if isinstance(column.dtype, pd.CategoricalDtype) else column
        if isinstance(column, pd.Categorical):
            known, table = self._category_table
            level_pos = table.take(known.get_indexer(column.categories.astype(str)))
            idx = np.append(level_pos, self.missing_index).take(column.codes)
            return idx.astype(np.intp, copy=False)
        if isinstance(column, np.ndarray) and column.dtype == object:
            if len(column) <= _FEW_ROWS:
                return self._index_few(column)
            # many rows of few distinct texts: look each distinct text up once
            codes, uniques = pd.factorize(column)
            if all(isinstance(u, str) for u in uniques.tolist()):  # no 3 merged with 3.0
                level = self._index_few(np.asarray(uniques, dtype=object))
                return np.append(level, self.missing_index).take(codes)
        known, table = self._category_table
        series = column if isinstance(column, pd.Series) else pd.Series(column, copy=False)
        codes = known.get_indexer(series)
        # -1: missing, unseen, or a non-text value (e.g. 3 for the category "3"): look at those
        # rows only, usually few
        other = np.flatnonzero(codes < 0)
        missing = other[:0]
        if other.size:
            rest = series.iloc[other]
            na = rest.isna().to_numpy()
            missing = other[na]
            if not na.all():
                codes[other[~na]] = known.get_indexer(rest[~na].astype(str))
        idx = table.take(codes)
        idx[missing] = self.missing_index
        return idx

    def _index_few(self, values: npt.NDArray[np.object_]) -> npt.NDArray[np.intp]:
        """The same bins as the vectorised lookup, for a few rows of an object array."""
        lookup, unseen = self._category_lookup, int(self._category_table[1][-1])
        missing = self.missing_index
        out = np.empty(len(values), dtype=np.intp)
        for r, v in enumerate(values.tolist()):
            if isinstance(v, str):
                out[r] = lookup.get(v, unseen)
            elif _is_missing(v):
                out[r] = missing
            else:
                out[r] = lookup.get(str(v), unseen)
        return out


_FEW_ROWS = 64


def _is_missing(value: Any) -> bool:
    """Whether one value is missing as ``pandas.isna`` says (None, NaN, NaT, pd.NA)."""
    return value is None or bool(pd.isna(value)) if np.ndim(value) == 0 else False


def _is_in(x: npt.NDArray[np.float64], values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """``np.isin`` for a few special values, without its sort."""
    if values.size > 8:
        return np.isin(x, values)
    hit = np.zeros(x.shape, dtype=bool)
    for v in values:
        hit |= x == v
    return hit


def as_float(column: Any, name: str) -> npt.NDArray[np.float64]:
    """A float64 view/copy of a numeric column; NaN for missing. Raises on text."""
    if isinstance(column, pd.Series | pd.api.extensions.ExtensionArray):
        if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        column = column.to_numpy()
    arr = np.asarray(column)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64, copy=False)
    try:
        return pd.to_numeric(pd.Series(arr), errors="raise").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"Column {name!r} is numeric in the card but holds non-numeric values ({exc}).",
            column=name,
        ) from exc


def as_category_strings(series: pd.Series) -> pd.Series | pd.Index:
    """Values as strings for category lookup (object string columns pass through untouched)."""
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return series
    if dtype is np.dtype(object) and pd.api.types.infer_dtype(series, skipna=True) in (
        "string",
        "empty",
    ):
        return series
    return series.astype(str)


def _check_layout(fb: FeatureBins) -> None:
    where = f"feature {fb.name!r}"
    if fb.kind not in ("numeric", "categorical"):
        raise SpecError(f"The kind of {where} must be 'numeric' or 'categorical'. Got {fb.kind!r}.")
    kinds = [b.kind for b in fb.bins]
    if kinds.count("missing") != 1:
        raise SpecError(f"{where} must have exactly one missing bin.", feature=fb.name)
    if fb.kind == "numeric":
        _check_intervals(fb, where)
    else:
        if "interval" in kinds or kinds.count("other") > 1:
            raise SpecError(f"{where} is categorical: no intervals, at most one other bin.")
        seen = [str(v) for b in fb.bins if b.kind in ("categories", "special") for v in b.values]
        if len(seen) != len(set(seen)):
            raise SpecError(f"{where} lists a category in two bins.", feature=fb.name)


def _check_intervals(fb: FeatureBins, where: str) -> None:
    regular = [b for b in fb.bins if b.kind not in ("missing", "special")]
    if not regular or any(b.kind != "interval" for b in regular):
        raise SpecError(f"{where} is numeric: it needs intervals and no category bins.")
    first = next(i for i, b in enumerate(fb.bins) if b.kind == "interval")
    if fb.bins[first : first + len(regular)] != tuple(regular) or first != 0:
        raise SpecError(f"{where}: intervals must come first, in ascending order.")
    bounds_ok = regular[0].lower is None and regular[-1].upper is None
    for a, b in itertools.pairwise(regular):
        bounds_ok &= a.upper is not None and a.upper == b.lower
    for b in regular:
        bounds_ok &= b.lower is None or b.upper is None or b.lower < b.upper
        bounds_ok &= all(v is None or math.isfinite(v) for v in (b.lower, b.upper))
    if not bounds_ok:
        raise SpecError(
            f"{where}: intervals must be contiguous [lower, upper) from -inf to inf.",
            feature=fb.name,
        )


def numeric_bins(
    name: str,
    edges: Sequence[float] | npt.NDArray[np.float64],
    specials: Sequence[Sequence[float]] = (),
) -> FeatureBins:
    """Build numeric bins from interior edges, plus missing and special bins."""
    bounds: list[float | None] = [None, *[float(e) for e in edges], None]
    bins = [Bin("interval", lo, hi) for lo, hi in itertools.pairwise(bounds)]
    bins.append(Bin("missing"))
    bins.extend(Bin("special", values=tuple(float(v) for v in s)) for s in specials)
    return FeatureBins(name, "numeric", tuple(bins))


def categorical_bins(
    name: str, groups: Sequence[Sequence[str]], specials: Sequence[Sequence[str]] = ()
) -> FeatureBins:
    """Build categorical bins from category groups, plus missing and special bins."""
    bins = [Bin("categories", values=tuple(str(v) for v in g)) for g in groups]
    bins.append(Bin("missing"))
    bins.extend(Bin("special", values=tuple(str(v) for v in s)) for s in specials)
    return FeatureBins(name, "categorical", tuple(bins))
