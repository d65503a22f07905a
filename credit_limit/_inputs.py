"""Household inputs of the limit engine, from a DataFrame (batch) or a Mapping (one household).

Both readers check the same declared contract and return the same :class:`Inputs` arrays, so
the batch and the online path run the very same arithmetic. Derived totals follow
``docs/data-model.md``: ``net_income = income_total - expense_total``,
``net_assets = assets_total - (debt_this_bank + debt_other_banks + debt_informal)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_limit._base import CROPS, DEBT_KINDS, GRADES, PRODUCTS, VILLAGE_STATUSES
from credit_limit.exceptions import LimitInputError

__all__ = ["REQUIRED_COLUMNS", "Inputs", "from_frame", "from_mapping"]

INCOME = ("income_crop", "income_livestock", "income_wage", "income_business", "income_other")
EXPENSE = ("expense_living", "expense_production", "expense_education", "expense_medical")
ASSETS = (
    "assets_house",
    "assets_vehicle",
    "assets_machinery",
    "assets_livestock",
    "assets_deposits",
)
LIABILITIES = ("debt_this_bank", "debt_other_banks", "debt_informal")
OPERATING = ("income_crop", "income_livestock", "income_business")
NON_NEGATIVE = (*ASSETS, *DEBT_KINDS, "land_mu", "livestock_heads")
NUMERIC = tuple(dict.fromkeys((*INCOME, *EXPENSE, *NON_NEGATIVE)))
CATEGORIES: dict[str, Sequence[str]] = {
    "grade": GRADES,
    "product": PRODUCTS,
    "credit_village_status": VILLAGE_STATUSES,
    "main_crop": CROPS,
}
REQUIRED_COLUMNS = (*NUMERIC, *CATEGORIES)

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Inputs:
    """Engine inputs as aligned arrays (categories as integer codes into the declared order)."""

    grade: Int
    product: Int
    status: Int
    crop: Int
    term_years: Int | None
    knockout: npt.NDArray[np.bool_]
    net_income: Float
    net_assets: Float
    assets_total: Float
    operating_income: Float
    business_income: Float
    land_mu: Float
    livestock_heads: Float
    debts: Float  # (n, 4) in DEBT_KINDS order


def _product_column(columns: Any) -> str:
    return "product" if "product" in columns else "requested_product"


def from_frame(frame: pd.DataFrame) -> Inputs:
    """Check and read a household frame (survey columns + ``grade``, ``product``...)."""
    product_col = _product_column(frame.columns)
    wanted = [c if c != "product" else product_col for c in REQUIRED_COLUMNS]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise LimitInputError(
            f"The household frame lacks column(s) {absent} the limit engine needs", columns=absent
        )
    values = {c: _numeric(frame[c], c) for c in NUMERIC}
    codes = {
        name: _codes(frame[product_col if name == "product" else name], name, allowed)
        for name, allowed in CATEGORIES.items()
    }
    term = _term(frame["term_years"]) if "term_years" in frame.columns else None
    knockout = _knockout(frame["knockout"]) if "knockout" in frame.columns else None
    return _assemble(values, codes, term, knockout, len(frame))


def _numeric(series: pd.Series, name: str) -> Float:
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise LimitInputError(f"Column '{name}' must be numeric: {exc}", column=name) from exc
    return _checked(values, name)


def _scalar(value: Any, name: str) -> Float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise LimitInputError(
            f"Column '{name}' must be numeric: got {value!r}", column=name
        ) from exc
    if not math.isfinite(number) or (number < 0 and name in NON_NEGATIVE):
        return _checked(np.array([number]), name)  # raises, with the same message as a frame
    return np.array([number])


def _checked(values: Float, name: str) -> Float:
    bad = ~np.isfinite(values)
    if bad.any():
        raise LimitInputError(
            f"Column '{name}' has {int(bad.sum())} missing or infinite value(s)",
            column=name,
            count=int(bad.sum()),
        )
    if name in NON_NEGATIVE and (values < 0).any():
        raise LimitInputError(
            f"Column '{name}' must be >= 0; found {int((values < 0).sum())} "
            f"negative value(s), e.g. {values[values < 0][0]}",
            column=name,
        )
    return values


def _codes(series: pd.Series, name: str, allowed: Sequence[str]) -> Int:
    if isinstance(series.dtype, pd.CategoricalDtype):  # fast path: map the categories only
        lookup = np.append(pd.Index(list(allowed)).get_indexer(series.cat.categories), -1)
        codes = lookup[series.cat.codes.to_numpy()]
    else:
        codes = pd.Index(list(allowed)).get_indexer(series.astype(object))
    unknown = codes < 0
    if unknown.any():
        examples = sorted({str(v) for v in series[unknown].unique()[:5]})
        raise LimitInputError(
            f"Column '{name}' has value(s) {examples} outside {list(allowed)}",
            column=name,
            values=examples,
        )
    return codes.astype(np.intp)


def _term(series: pd.Series) -> Int:
    return _whole_years(_numeric(series, "term_years"))


def _whole_years(values: Float) -> Int:
    if (values != np.round(values)).any() or (values < 1).any():
        raise LimitInputError("Column 'term_years' must hold whole years >= 1", column="term_years")
    return values.astype(np.intp)


def _knockout(series: pd.Series) -> npt.NDArray[np.bool_]:
    """``knockout`` as bool, or as the fired rule codes joined by ';' ('' = none)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool)
    if series.isna().any():
        raise LimitInputError("Column 'knockout' has missing values", column="knockout")
    values = series.to_numpy(dtype=object)
    kinds = {type(v) for v in values}
    if kinds <= {str}:
        return values.astype(str) != ""
    if kinds <= {bool, np.bool_}:
        return values.astype(bool)
    raise LimitInputError(
        "Column 'knockout' must be bool or the fired rule codes (str); "
        f"found {sorted(k.__name__ for k in kinds)}",
        column="knockout",
    )


def _assemble(
    values: Mapping[str, Float],
    codes: Mapping[str, Int],
    term: Int | None,
    knockout: npt.NDArray[np.bool_] | None,
    n: int,
) -> Inputs:
    income = sum((values[c] for c in INCOME), np.zeros(n))
    expense = sum((values[c] for c in EXPENSE), np.zeros(n))
    assets = sum((values[c] for c in ASSETS), np.zeros(n))
    liabilities = sum((values[c] for c in LIABILITIES), np.zeros(n))
    return Inputs(
        grade=codes["grade"],
        product=codes["product"],
        status=codes["credit_village_status"],
        crop=codes["main_crop"],
        term_years=term,
        knockout=np.zeros(n, dtype=bool) if knockout is None else knockout,
        net_income=income - expense,
        net_assets=assets - liabilities,
        assets_total=assets,
        operating_income=sum((values[c] for c in OPERATING), np.zeros(n)),
        business_income=values["income_business"],
        land_mu=values["land_mu"],
        livestock_heads=values["livestock_heads"],
        debts=np.column_stack([values[k] for k in DEBT_KINDS]),
    )


def from_mapping(household: Mapping[str, Any]) -> Inputs:
    """Check and read one household (same contract as :func:`from_frame`), as 1-row arrays."""
    product_col = _product_column(household)
    wanted = [c if c != "product" else product_col for c in REQUIRED_COLUMNS]
    absent = [c for c in wanted if c not in household]
    if absent:
        raise LimitInputError(
            f"The household lacks field(s) {absent} the limit engine needs", columns=absent
        )
    values = {c: _scalar(household[c], c) for c in NUMERIC}
    codes = {}
    for name, allowed in CATEGORIES.items():
        value = household[product_col if name == "product" else name]
        if value not in allowed:
            raise LimitInputError(
                f"Field '{name}' = {value!r} is outside {list(allowed)}",
                column=name,
                values=[str(value)],
            )
        codes[name] = np.array([allowed.index(value)], dtype=np.intp)
    term = (
        _whole_years(_scalar(household["term_years"], "term_years"))
        if "term_years" in household
        else None
    )
    knockout = None
    if "knockout" in household:
        flag = household["knockout"]
        if isinstance(flag, (bool, np.bool_, str)):
            knockout = np.array([flag != "" if isinstance(flag, str) else bool(flag)])
        else:
            knockout = _knockout(pd.Series([flag], dtype=object))  # raises, naming the column
    return _assemble(values, codes, term, knockout, 1)
