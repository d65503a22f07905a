"""Scoring an expert card with the compiled scorer every scorecard uses.

:func:`indicator_inputs` turns raw survey and bureau columns into one column per indicator
(sums, differences, ratios); the card compiled by :func:`~rating_models.expert.compile.to_spec`
then gives each indicator's points and the total.

Examples
--------
>>> import pandas as pd
>>> from rating_models.expert.card import ExpertCard
>>> card = ExpertCard.from_dict({
...     "schema_version": 1, "name": "mini", "version": "1", "zh": "示例", "total": 10,
...     "blocks": [{"id": "basics", "zh": "基本情况", "en": "Basics", "points": 10, "range": [5, 15],
...         "indicators": [
...             {"id": "head_age", "zh": "年龄", "en": "Age", "input": {"column": "head_age"},
...              "bands": [{"below": 30, "points": 3}, {"below": 60, "points": 6}, {"points": 2}],
...              "missing": 0},
...             {"id": "health", "zh": "健康", "en": "Health", "input": {"column": "health"},
...              "categories": [{"values": ["good"], "points": 4}, {"values": ["average"], "points": 2}],
...              "other": 0, "missing": 0}]}]})
>>> frame = pd.DataFrame({"head_age": [25, 45, 70], "health": ["good", "poor", None]})
>>> expert_score(card, frame).tolist()
[7.0, 6.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rating_models.exceptions import InvalidDataError
from rating_models.expert.card import ExpertCard, InputSpec
from rating_models.expert.compile import to_spec
from rating_models.scorecard.compiled import column_arrays

__all__ = [
    "check_inputs",
    "expert_score",
    "indicator_arrays",
    "indicator_inputs",
    "indicator_points",
]


def _numeric(values: Any, column: str) -> NDArray[np.float64]:
    """A column's values as float64 (NaN for missing); text raises, naming the column."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(np.float64, copy=False)
    dtype = getattr(values, "dtype", None)
    if dtype is not None and (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    ):
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan))
    try:
        series = pd.to_numeric(pd.Series(values, copy=False), errors="raise")
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"Column '{column}' must be numeric for an expert-card band, sum or ratio.",
            column=column,
        ) from exc


def _total(columns: Mapping[str, Any], names: tuple[str, ...], n: int) -> NDArray[np.float64]:
    """Sum of columns; missing if every one is missing, missing parts count 0 otherwise."""
    parts = [_numeric(columns[c], c) for c in names]
    total = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    for part in parts:
        ok = ~np.isnan(part)
        total += np.where(ok, part, 0.0)
        seen |= ok
    return np.where(seen, total, np.nan)


def _input_values(columns: Mapping[str, Any], spec: InputSpec, n: int) -> Any:
    if spec.kind == "column":
        return columns[spec.plus[0]]
    plus = _total(columns, spec.plus, n)
    if spec.kind == "sum":
        return plus
    minus = _total(columns, spec.minus, n)
    if spec.kind == "difference":
        return plus - minus
    positive = minus > 0
    with np.errstate(over="ignore"):  # a tiny denominator gives +inf: the top band
        return np.where(positive, plus / np.where(positive, minus, 1.0), np.nan)


def _masked(values: Any, no_data: NDArray[np.bool_]) -> Any:
    """``values`` missing where ``no_data`` (as ``Series.mask`` does, dtype rules included)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        return np.where(no_data, np.nan, values)
    if not no_data.any():
        return values
    masked = pd.Series(values, copy=False).mask(no_data)
    return masked.to_numpy() if isinstance(masked.dtype, np.dtype) else masked.array


def indicator_arrays(card: ExpertCard, columns: Mapping[str, Any], n: int) -> list[Any]:
    """The value each indicator is scored on (card order), from arrays of the input columns.

    ``columns`` maps every name in ``card.input_columns`` to an array (or extension array)
    of ``n`` rows; the engine of :func:`indicator_inputs` without a DataFrame.
    """
    out = []
    for ind in card.indicators:
        values = _input_values(columns, ind.input, n)
        if ind.missing_when is not None:
            name, below = ind.missing_when
            gate = _numeric(columns[name], name)
            values = _masked(values, ~(gate >= below))  # NaN counts as below
        out.append(values)
    return out


def check_inputs(card: ExpertCard, present: Any) -> None:
    """Raise :class:`InvalidDataError` naming the card's input columns not in ``present``."""
    missing = [c for c in card.input_columns if c not in present]
    if missing:
        raise InvalidDataError(
            f"Expert card '{card.name}' needs columns {missing}, which are not in the data.",
            columns=missing,
        )


def indicator_inputs(card: ExpertCard, frame: pd.DataFrame) -> pd.DataFrame:
    """One column per indicator (named by its id) holding the value it is scored on."""
    check_inputs(card, frame.columns)
    names = list(card.input_columns)
    columns = dict(zip(names, column_arrays(frame, names), strict=True))
    values = indicator_arrays(card, columns, len(frame))
    data = {ind.id: v for ind, v in zip(card.indicators, values, strict=True)}
    return pd.DataFrame(data, index=frame.index)


def indicator_points(card: ExpertCard, frame: pd.DataFrame) -> pd.DataFrame:
    """Points of every indicator for every row (columns in card order)."""
    return to_spec(card).points(indicator_inputs(card, frame))


def expert_score(card: ExpertCard, frame: pd.DataFrame) -> pd.Series:
    """Total expert score of every row (0 to the card's total)."""
    score = to_spec(card).score(indicator_inputs(card, frame))
    return pd.Series(score, index=frame.index, name="expert_score")
