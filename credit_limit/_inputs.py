"""Household inputs of the limit engine: a DataFrame or named columns (batch or one row), or
a Mapping (one household).

The readers check the same declared contract and return the same :class:`Inputs` arrays, so
the batch and the online path run the very same arithmetic. Derived totals follow
``docs/data-model.md``: ``net_income = income_total - expense_total``,
``net_assets = assets_total - (debt_this_bank + debt_other_banks + debt_informal)``.

Speed: a frame is read column by column as the arrays pandas stores (no Series is built, no
value is copied for float64 columns), and the checks run on those arrays; the slow, general
pandas conversions run only for columns that are not plain numpy numbers or categories. One
row costs tens of microseconds, a million rows well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_limit._base import CROPS, DEBT_KINDS, GRADES, PRODUCTS, VILLAGE_STATUSES
from credit_limit._frames import column_reader
from credit_limit.exceptions import LimitInputError

__all__ = ["REQUIRED_COLUMNS", "Inputs", "from_columns", "from_frame", "from_mapping"]

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
#: The required columns by the name the product is read under.
_REQUIRED = {
    name: frozenset(c if c != "product" else name for c in REQUIRED_COLUMNS)
    for name in ("product", "requested_product")
}
#: Every column the engine may read (a frame must hold each of them at most once).
_READ_COLUMNS = frozenset(
    (
        *REQUIRED_COLUMNS,
        *("requested_product", "term_years", "knockout", "knockout_reasons", "household_id"),
    )
)

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.intp]
Bool = npt.NDArray[np.bool_]

_NON_NEGATIVE = frozenset(NON_NEGATIVE)
#: Category labels -> code, for a dict look-up per value on small frames.
_CODES: dict[str, dict[str, int]] = {
    name: {label: code for code, label in enumerate(allowed)}
    for name, allowed in CATEGORIES.items()
}
#: The same as pandas indexes, for big frames (their hash tables are built once, then kept).
_INDEXES: dict[str, pd.Index] = {
    name: pd.Index(list(allowed)) for name, allowed in CATEGORIES.items()
}
#: Up to this many rows, categories are coded by a dict look-up per value (no pandas index).
_SMALL = 64
#: Plain numpy kinds read as float64 without pandas: bool, int, unsigned, float.
_NUMBER_KINDS = frozenset("biuf")


@dataclass(frozen=True)
class Inputs:
    """Engine inputs as aligned arrays (categories as integer codes into the declared order)."""

    grade: Int
    product: Int
    status: Int
    crop: Int
    term_years: Int | None
    knockout: Bool
    net_income: Float
    net_assets: Float
    assets_total: Float
    operating_income: Float
    business_income: Float
    land_mu: Float
    livestock_heads: Float
    debts: tuple[Float, ...]  # one array per debt kind, in DEBT_KINDS order


def _product_column(columns: Any) -> str:
    return "product" if "product" in columns else "requested_product"


def from_frame(frame: pd.DataFrame, read: Callable[[str], Any] | None = None) -> Inputs:
    """Check and read a household frame (survey columns + ``grade``, ``product``...).

    ``read`` is the frame's :func:`~credit_limit._frames.column_reader` when the caller
    already has one.
    """
    columns = frame.columns
    product_col = _required(columns, "The household frame lacks")
    if not columns.is_unique:
        repeated = sorted(set(columns[columns.duplicated()]) & _READ_COLUMNS)
        if repeated:
            raise LimitInputError(
                f"The household frame has column(s) {repeated} more than once",
                columns=repeated,
            )
    return _read(columns, read or column_reader(frame), product_col, len(frame))


def from_columns(columns: Mapping[str, Any], read: Callable[[str], Any], n: int) -> Inputs:
    """Check and read households given as named columns (arrays of ``n`` values each)."""
    return _read(columns, read, _required(columns, "The household columns lack"), n)


def _required(columns: Any, lacks: str) -> str:
    """The name the product is read under; refuse columns that lack a required one."""
    product_col = _product_column(columns)
    if not _REQUIRED[product_col].issubset(columns):
        wanted = [c if c != "product" else product_col for c in REQUIRED_COLUMNS]
        absent = [c for c in wanted if c not in columns]
        raise LimitInputError(f"{lacks} column(s) {absent} the limit engine needs", columns=absent)
    return product_col


def _read(columns: Any, read: Callable[[str], Any], product_col: str, n: int) -> Inputs:
    values = _numbers(read)
    codes = {
        name: _codes(read(product_col if name == "product" else name), name) for name in CATEGORIES
    }
    term = None
    if "term_years" in columns:
        term = _whole_years(_checked(_as_float(read("term_years"), "term_years"), "term_years"))
    knockout = _knockout(read("knockout")) if "knockout" in columns else None
    return _assemble(values, codes, term, knockout, n)


def _as_float(values: Any, name: str) -> Float:
    """A column as float64 (plain numpy numbers without a pandas round trip), unchecked."""
    if isinstance(values, np.ndarray) and values.dtype.kind in _NUMBER_KINDS:
        return values.astype(np.float64, copy=False)
    try:
        return pd.to_numeric(pd.Series(values), errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise LimitInputError(f"Column '{name}' must be numeric: {exc}", column=name) from exc


def _numbers(read: Callable[[str], Any]) -> dict[str, Float]:
    """The numeric columns as float64, checked; the first faulty column (in order) is named."""
    values: dict[str, Float] = {}
    for name in NUMERIC:
        try:
            values[name] = _as_float(read(name), name)
        except LimitInputError:
            for earlier, array in values.items():  # an earlier column's fault comes first
                _checked(array, earlier)
            raise
    if not _all_valid(list(values.values())):
        for name, array in values.items():
            _checked(array, name)
    return values


def _all_valid(arrays: list[Float]) -> bool:
    """Whether every value is finite and, where the field requires, >= 0 (the fast test).

    Only the lowest and highest value of each column are compared (NaN propagates), all
    columns at once on a small frame.
    """
    if len(arrays[0]) == 0:
        return True
    if len(arrays[0]) <= _SMALL:
        stacked = np.array(arrays)
        low, high = stacked.min(axis=1), stacked.max(axis=1)
    else:
        low = np.array([a.min() for a in arrays])
        high = np.array([a.max() for a in arrays])
    return bool((low >= _FLOOR).all() and (high < np.inf).all())


#: The lowest allowed value of each numeric field: 0, or any finite number.
_FLOOR = np.array([0.0 if name in _NON_NEGATIVE else -np.finfo(np.float64).max for name in NUMERIC])


def _scalar(value: Any, name: str) -> Float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise LimitInputError(
            f"Column '{name}' must be numeric: got {value!r}", column=name
        ) from exc
    if not math.isfinite(number) or (number < 0 and name in _NON_NEGATIVE):
        return _checked(np.array([number]), name)  # raises, with the same message as a frame
    return np.array([number])


def _checked(values: Float, name: str) -> Float:
    """``values`` if every one is finite (and >= 0 where the field requires), else raise."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise LimitInputError(
            f"Column '{name}' has {int(bad.sum())} missing or infinite value(s)",
            column=name,
            count=int(bad.sum()),
        )
    if name in _NON_NEGATIVE and (values < 0).any():
        raise LimitInputError(
            f"Column '{name}' must be >= 0; found {int((values < 0).sum())} "
            f"negative value(s), e.g. {values[values < 0][0]}",
            column=name,
        )
    return values


def _codes(values: Any, name: str) -> Int:
    """Category labels as codes into the declared order; unknown labels are refused."""
    allowed = CATEGORIES[name]
    if isinstance(values, pd.Categorical):  # map the categories only
        lookup = np.append(_INDEXES[name].get_indexer(values.categories), -1)
        codes = lookup[values.codes]
    elif len(values) <= _SMALL and isinstance(values, np.ndarray) and values.dtype == object:
        get = _CODES[name].get
        try:
            found = [get(v, -1) for v in values]
        except TypeError:  # an unhashable value: pandas reports it the same way as before
            found = _INDEXES[name].get_indexer(values).tolist()
        if -1 not in found:
            return np.array(found, dtype=np.intp)
        codes = np.array(found, dtype=np.intp)
    else:
        codes = _INDEXES[name].get_indexer(np.asarray(values, dtype=object))
    unknown = codes < 0
    if unknown.any():
        examples = sorted({str(v) for v in pd.unique(values[unknown])[:5]})
        raise LimitInputError(
            f"Column '{name}' has value(s) {examples} outside {list(allowed)}",
            column=name,
            values=examples,
        )
    return codes.astype(np.intp, copy=False)


def _whole_years(values: Float) -> Int:
    if (values != np.round(values)).any() or (values < 1).any():
        raise LimitInputError("Column 'term_years' must hold whole years >= 1", column="term_years")
    return values.astype(np.intp)


def _knockout(values: Any) -> Bool:
    """``knockout`` as bool, or as the fired rule codes joined by ';' ('' = none)."""
    if isinstance(values, pd.Series):  # one household's flag, from from_mapping
        values = values.array
    if pd.api.types.is_bool_dtype(values.dtype):
        return values if isinstance(values, np.ndarray) else values.to_numpy(dtype=bool)
    small = isinstance(values, np.ndarray) and len(values) <= _SMALL and values.dtype == object
    if small and all(type(v) is str for v in values):  # the rule codes of a few households
        return np.array([v != "" for v in values], dtype=bool)
    if pd.isna(values).any():
        raise LimitInputError("Column 'knockout' has missing values", column="knockout")
    objects = (
        values.astype(object) if isinstance(values, np.ndarray) else values.to_numpy(dtype=object)
    )
    inferred = pd.api.types.infer_dtype(objects, skipna=False)
    if inferred == "string":
        return np.asarray(objects != "", dtype=bool)
    if inferred == "boolean":
        return objects.astype(bool)
    kinds = {type(v) for v in objects}
    if kinds <= {str}:
        return objects.astype(str) != ""
    if kinds <= {bool, np.bool_}:
        return objects.astype(bool)
    raise LimitInputError(
        "Column 'knockout' must be bool or the fired rule codes (str); "
        f"found {sorted(k.__name__ for k in kinds)}",
        column="knockout",
    )


def _total(values: Mapping[str, Float], names: Sequence[str]) -> Float:
    """``0 + values[names[0]] + values[names[1]] + ...`` left to right, in one new array."""
    total = np.add(0.0, values[names[0]])
    for name in names[1:]:
        np.add(total, values[name], out=total)
    return total


def _assemble(
    values: Mapping[str, Float],
    codes: Mapping[str, Int],
    term: Int | None,
    knockout: Bool | None,
    n: int,
) -> Inputs:
    net_income = _total(values, INCOME)
    np.subtract(net_income, _total(values, EXPENSE), out=net_income)
    assets = _total(values, ASSETS)
    net_assets = assets - _total(values, LIABILITIES)
    return Inputs(
        grade=codes["grade"],
        product=codes["product"],
        status=codes["credit_village_status"],
        crop=codes["main_crop"],
        term_years=term,
        knockout=np.zeros(n, dtype=bool) if knockout is None else knockout,
        net_income=net_income,
        net_assets=net_assets,
        assets_total=assets,
        operating_income=_total(values, OPERATING),
        business_income=values["income_business"],
        land_mu=values["land_mu"],
        livestock_heads=values["livestock_heads"],
        debts=tuple(values[kind] for kind in DEBT_KINDS),
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
