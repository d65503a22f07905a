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

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rating_models.exceptions import InvalidDataError
from rating_models.expert.card import ExpertCard, InputSpec
from rating_models.expert.compile import to_spec

__all__ = ["expert_score", "indicator_inputs", "indicator_points"]


def _numeric(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    col = frame[column]
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    try:
        return pd.to_numeric(col, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"Column '{column}' must be numeric for an expert-card band, sum or ratio.",
            column=column,
        ) from exc


def _total(frame: pd.DataFrame, columns: tuple[str, ...]) -> NDArray[np.float64]:
    """Sum of columns; missing if every one is missing, missing parts count 0 otherwise."""
    parts = [_numeric(frame, c) for c in columns]
    total = np.zeros(len(frame))
    seen = np.zeros(len(frame), dtype=bool)
    for part in parts:
        ok = ~np.isnan(part)
        total += np.where(ok, part, 0.0)
        seen |= ok
    return np.where(seen, total, np.nan)


def _input_values(frame: pd.DataFrame, spec: InputSpec) -> pd.Series | NDArray[np.float64]:
    if spec.kind == "column":
        return frame[spec.plus[0]]
    plus = _total(frame, spec.plus)
    if spec.kind == "sum":
        return plus
    minus = _total(frame, spec.minus)
    if spec.kind == "difference":
        return plus - minus
    positive = minus > 0
    with np.errstate(over="ignore"):  # a tiny denominator gives +inf: the top band
        return np.where(positive, plus / np.where(positive, minus, 1.0), np.nan)


def indicator_inputs(card: ExpertCard, frame: pd.DataFrame) -> pd.DataFrame:
    """One column per indicator (named by its id) holding the value it is scored on."""
    missing = [c for c in card.input_columns if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"Expert card '{card.name}' needs columns {missing}, which are not in the data.",
            columns=missing,
        )
    columns = {}
    for ind in card.indicators:
        values = _input_values(frame, ind.input)
        if ind.missing_when is not None:
            name, below = ind.missing_when
            gate = _numeric(frame, name)
            no_data = ~(gate >= below)  # NaN counts as below
            values = pd.Series(values, index=frame.index).mask(no_data)
        columns[ind.id] = values
    return pd.DataFrame(columns, index=frame.index)


def indicator_points(card: ExpertCard, frame: pd.DataFrame) -> pd.DataFrame:
    """Points of every indicator for every row (columns in card order)."""
    return to_spec(card).points(indicator_inputs(card, frame))


def expert_score(card: ExpertCard, frame: pd.DataFrame) -> pd.Series:
    """Total expert score of every row (0 to the card's total)."""
    score = to_spec(card).score(indicator_inputs(card, frame))
    return pd.Series(score, index=frame.index, name="expert_score")
