"""The limit engine's path for a few households given as named arrays: plain Python per row.

An online request computes one limit. Through the array engine that is about a hundred numpy
calls on one-element arrays (a microsecond each whatever their size) plus the checks of every
column; here the same arithmetic runs on Python floats, which are the same IEEE doubles, with
every operation exactly rounded as numpy's (``+``, ``-``, ``*``, ``/``, comparisons, and
``np.round(x, 2)``, which numpy computes as ``rint(x * 100) / 100``). ``min``/``max`` follow
``np.minimum``/``np.maximum`` on equal values (the second operand wins, so a ``-0.0`` comes
out where numpy's does).

It covers the inputs the online pipeline gives (numpy arrays: numbers, text categories, a
bool or text ``knockout``). Anything else, and anything the array engine would refuse or
compute with a NaN or an infinity where this path does not follow it, returns ``None``: the
array engine then computes the limits (and raises its errors). ``tests/credit_limit/
test_few.py`` compares both on random households.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from credit_limit._base import DEBT_KINDS
from credit_limit._inputs import (
    _CODES,
    _NON_NEGATIVE,
    ASSETS,
    EXPENSE,
    INCOME,
    LIABILITIES,
    NUMERIC,
    OPERATING,
    _product_column,
)

__all__ = ["FEW", "ScalarTables", "few_rows"]

#: up to this many households, named columns are computed row by row in Python (measured
#: break-even: ~10)
FEW = 8
_INF = math.inf
_NUMBER_KINDS = frozenset("biuf")
_CATEGORY_NAMES = ("grade", "product", "credit_village_status", "main_crop")
_INDEX = {name: j for j, name in enumerate(NUMERIC)}
_INCOME = [_INDEX[c] for c in INCOME]
_EXPENSE = [_INDEX[c] for c in EXPENSE]
_ASSETS = [_INDEX[c] for c in ASSETS]
_LIABILITIES = [_INDEX[c] for c in LIABILITIES]
_OPERATING = [_INDEX[c] for c in OPERATING]
_DEBTS = [_INDEX[c] for c in DEBT_KINDS]
_FLOORED = [name in _NON_NEGATIVE for name in NUMERIC]
_BUSINESS, _LAND, _HEADS = (_INDEX[c] for c in ("income_business", "land_mu", "livestock_heads"))


def _max(a: float, b: float) -> float:
    """``np.maximum`` of two non-NaN floats (``b`` on ties, as numpy returns)."""
    return a if a > b else b


def _min(a: float, b: float) -> float:
    """``np.minimum`` of two non-NaN floats (``b`` on ties, as numpy returns)."""
    return a if a < b else b


def _total(x: list[float], at: list[int]) -> float:
    """``0 + x[at[0]] + x[at[1]] + ...`` left to right (``_inputs._total``)."""
    total = 0.0 + x[at[0]]
    for j in at[1:]:
        total += x[j]
    return total


class ScalarTables:
    """A policy's lookup tables (``engine._Tables``) as Python lists, built once per policy."""

    def __init__(self, t: Any, n_masks: int) -> None:
        self.capacity = t.formula == "capacity"
        self.k_income = t.k_income.tolist()
        self.asset_share = t.asset_share.tolist()
        self.grade_cap = t.grade_cap.tolist()
        self.product_cap = t.product_cap.tolist()
        self.no_credit = t.no_credit.tolist()
        self.village_coef = t.village_coef.tolist()
        self.crop_cost = t.crop_cost.tolist()
        self.per_head = float(t.per_head)
        self.need_base = float(t.need_base)
        self.business_share = float(t.business_share)
        self.debt_share = t.debt_share.tolist()
        self.term_adj = t.term_adj.tolist()
        self.default_adj = float(t.term_adj[t.default_term])
        self.unit = float(t.unit)
        self.regulatory_cap = float(t.regulatory_cap)
        self.base = t.base.tolist()
        self.asset_pct = float(t.asset_pct)
        self.income_pct = float(t.income_pct)
        self.n_masks = n_masks


def _column(columns: Mapping[str, Any], name: str, n: int) -> Any:
    """The named column if it is a 1-D numpy array of ``n`` values, else ``None``."""
    values = columns[name]
    if isinstance(values, np.ndarray) and values.ndim == 1 and len(values) == n:
        return values
    return None


def _numbers(columns: Mapping[str, Any], n: int) -> list[list[float]] | None:
    """Each household's numeric fields (``NUMERIC`` order), checked as the engine checks
    them (finite, and >= 0 where the field requires)."""
    numbers = []
    for name in NUMERIC:
        values = _column(columns, name, n) if name in columns else None
        if values is None or values.dtype.kind not in _NUMBER_KINDS:
            return None
        numbers.append(values.tolist())
    rows = []
    for i in range(n):
        x = [float(column[i]) for column in numbers]
        for value, floored in zip(x, _FLOORED, strict=True):
            if not math.isfinite(value) or (floored and value < 0):
                return None  # the array engine names the column
        rows.append(x)
    return rows


def _categories(columns: Mapping[str, Any], n: int) -> list[list[int]] | None:
    """The codes of each category column (text values, each one allowed)."""
    product_col = _product_column(columns)
    codes = []
    for name in _CATEGORY_NAMES:
        source = product_col if name == "product" else name
        values = _column(columns, source, n) if source in columns else None
        if values is None or values.dtype != object:
            return None
        get = _CODES[name].get
        try:
            found = [get(v, -1) for v in values.tolist()]
        except TypeError:  # unhashable
            return None
        if -1 in found:
            return None
        codes.append(found)
    return codes


def _terms_and_flags(columns: Mapping[str, Any], n: int) -> tuple[list[Any], list[bool]] | None:
    """Each household's term in years (``None``: the bank's default) and knockout flag."""
    terms: list[Any] = [None] * n
    if "term_years" in columns:
        values = _column(columns, "term_years", n)
        if values is None or values.dtype.kind not in _NUMBER_KINDS:
            return None
        terms = [float(v) for v in values.tolist()]
    flags = [False] * n
    if "knockout" in columns:
        values = _column(columns, "knockout", n)
        if values is None:
            return None
        if values.dtype == bool:
            flags = values.tolist()
        elif values.dtype == object and all(type(v) is str for v in values.tolist()):
            flags = [v != "" for v in values.tolist()]  # the fired rule codes, '' = none
        else:
            return None
    return terms, flags


def _read(columns: Mapping[str, Any], n: int) -> list[tuple[Any, ...]] | None:
    """Each household's checked inputs: numbers, category codes, term, knockout flag."""
    numbers = _numbers(columns, n)
    codes = _categories(columns, n)
    rest = _terms_and_flags(columns, n)
    if numbers is None or codes is None or rest is None:
        return None
    terms, flags = rest
    return [(numbers[i], *(c[i] for c in codes), terms[i], flags[i]) for i in range(n)]


def _one(row: tuple[Any, ...], t: ScalarTables) -> tuple[int, int, list[float]] | None:
    """``engine._core`` of one household: its limit, binding code and the amount columns
    (``_AMOUNT_COLUMNS`` order, before infinities become NaN)."""
    x, g, p, status, crop, years, knocked = row
    net_income = _total(x, _INCOME) - _total(x, _EXPENSE)
    assets = _total(x, _ASSETS)
    net_assets = assets - _total(x, _LIABILITIES)
    if t.capacity:
        income = net_income * t.k_income[g]
        held = net_assets * t.asset_share[g]
        need = (
            t.need_base
            + x[_LAND] * t.crop_cost[crop]
            + x[_HEADS] * t.per_head
            + t.business_share * _max(x[_BUSINESS], 0.0)
        )
        shares = _INF
    else:
        income = held = need = _INF
        shares = t.base[g] + t.asset_pct * assets + t.income_pct * _total(x, _OPERATING)
    if years is None:
        adjustment = t.default_adj
    else:  # whole years >= 1 with an adjustment, else the array engine refuses it
        if not (math.isfinite(years) and years.is_integer() and years >= 1):
            return None
        if int(years) >= len(t.term_adj) or math.isnan(t.term_adj[int(years)]):
            return None
        adjustment = t.term_adj[int(years)]
    village = t.village_coef[status]
    debt = x[_DEBTS[0]] * t.debt_share[0]
    for k in range(1, len(_DEBTS)):
        debt = debt + x[_DEBTS[k]] * t.debt_share[k]
    factor = village * adjustment
    product_cap = t.product_cap[p][g]
    terms = (income, held, need, shares)
    candidates = [(term - debt) * factor for term in terms]
    caps = [t.grade_cap[g], _max(product_cap, 0.0), t.regulatory_cap]
    candidates += caps
    if any(c != c for c in candidates) or any(v != v for v in terms):
        return None  # NaN: numpy's min would propagate it
    lowest = candidates[0]
    for c in candidates[1:]:
        lowest = _min(lowest, c)
    lowest_cap = _min(_min(caps[0], caps[1]), caps[2])
    capacity = _min(_min(_min(income, held), need), shares)
    reasons = (
        knocked,
        t.no_credit[g],
        product_cap < 0,
        capacity > 0 and capacity - debt <= 0 and lowest_cap > 0,
    )
    if True in reasons:
        code = t.n_masks + reasons.index(True)
        unrounded = 0.0
    else:
        tolerance = 1e-6 + 1e-12 * abs(lowest)
        code = sum(1 << i for i, c in enumerate(candidates) if abs(c - lowest) <= tolerance)
        unrounded = _max(lowest, 0.0)
    if not math.isfinite(unrounded):
        return None
    cents = float(round(unrounded * 100.0)) / 100.0  # np.round(x, 2): rint(x * 100) / 100
    limit = int(float(math.floor(cents / t.unit)) * t.unit)
    amounts = [
        income,
        held,
        need,
        shares,
        debt,
        village,
        adjustment,
        t.grade_cap[g],
        product_cap,
        t.regulatory_cap,
        unrounded,
    ]
    return limit, code, amounts


def few_rows(
    columns: Mapping[str, Any], t: ScalarTables, n: int
) -> list[tuple[int, int, list[float]]] | None:
    """Limit, binding code and amounts of each of ``n`` households given as named arrays,
    or ``None`` when the array engine must compute them (see the module docstring)."""
    rows = _read(columns, n)
    if rows is None:
        return None
    out = []
    for row in rows:
        result = _one(row, t)
        if result is None:
            return None
        out.append(result)
    return out
