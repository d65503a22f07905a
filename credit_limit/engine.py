"""The credit-limit engine: pure, vectorised, the same arithmetic for one household or millions.

For every household (formula ``capacity``, §2.1 (e) of the rating and limits doc)::

    capacity_income = net_income x k_income[grade]
    capacity_assets = net_assets x asset_share[grade]
    need            = need_base + land_mu x cost_per_mu[main_crop]
                      + livestock_heads x cost_per_head
                      + business_income_share x max(income_business, 0)
    debt            = sum(debt_deduction[kind] x debt of that kind)
    limit           = floor_to_unit(max(0, min((min(capacity_income, capacity_assets, need)
                                                - debt) x village_coef x term_adjustment,
                                               grade_cap, product_cap, regulatory_cap)))

or, for formula ``base_plus_shares`` (§2.1 (b)), ``base[grade] + asset_pct x assets_total +
income_pct x operating_income`` in place of the three capacity terms. A knockout, a grade
that is rated but not granted (E), or a product the bank does not offer gives 0.

Every limit comes with ``binding``: the term(s) that set it (``income``, ``assets``, ``need``,
``base_plus_shares``, ``grade_cap``, ``product_cap``, ``regulatory_cap``, joined by ``+`` on
ties), or why it is 0 (``knockout``, ``grade_no_credit``, ``product_not_offered``, ``debt``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from credit_limit._base import CROPS, DEBT_KINDS, GRADES, PRODUCTS, VILLAGE_STATUSES
from credit_limit._few import FEW, ScalarTables, few_rows
from credit_limit._frames import SMALL as _SMALL
from credit_limit._frames import array_reader, column_reader, copy_of, new_frame
from credit_limit._inputs import Float, Inputs, Int, from_columns, from_frame, from_mapping
from credit_limit.config import EffectivePolicy
from credit_limit.decision import LimitDecision
from credit_limit.exceptions import LimitInputError

__all__ = ["BINDING_TERMS", "REASONS", "compute_limit", "compute_limits", "limit_columns"]

#: Terms that can bind a limit, in the order of the ``binding`` bit mask.
BINDING_TERMS = (
    "income",
    "assets",
    "need",
    "base_plus_shares",
    "grade_cap",
    "product_cap",
    "regulatory_cap",
)
#: Reasons a limit is 0 whatever the capacity, by priority.
REASONS = ("knockout", "grade_no_credit", "product_not_offered", "debt")
_N_MASKS = 1 << len(BINDING_TERMS)
BINDING_LABELS = (
    tuple(
        "+".join(t for i, t in enumerate(BINDING_TERMS) if m >> i & 1) or "none"
        for m in range(_N_MASKS)
    )
    + REASONS
)
_TERM_COLUMNS = ("capacity_income", "capacity_assets", "need", "base_plus_shares")
#: The float columns of the output, after ``limit`` and ``binding``, in order.
_AMOUNT_COLUMNS = (
    *_TERM_COLUMNS,
    "debt_deduction",
    "village_coef",
    "term_adjustment",
    "cap_grade",
    "cap_product",
    "cap_regulatory",
    "limit_unrounded",
)
_BINDING_DTYPE = pd.CategoricalDtype(list(BINDING_LABELS))
_BITS = (1 << np.arange(len(BINDING_TERMS))).astype(np.uint8)


class _Tables:
    """A policy's parameters as lookup arrays indexed by category code."""

    def __init__(self, policy: EffectivePolicy) -> None:
        bank, lines = policy.bank, policy.federation

        def by_grade(values: Mapping[Any, float], default: float = 0.0) -> Float:
            return np.array([float(values.get(g, default)) for g in GRADES])

        self.formula = bank.limit_formula
        self.k_income = by_grade(bank.k_income)
        self.asset_share = by_grade(bank.asset_share)
        self.grade_cap = by_grade(bank.grade_caps)
        self.product_cap = np.array(
            [
                by_grade(bank.caps[p]) if p in bank.caps else np.full(len(GRADES), -1.0)
                for p in PRODUCTS
            ]
        )
        self.no_credit = np.array([g in lines.no_credit_grades for g in GRADES])
        self.village_coef = np.array([bank.village_coef[s] for s in VILLAGE_STATUSES])
        cost = bank.production_cost
        self.crop_cost = np.array([float(cost.per_mu.get(c, 0.0)) for c in CROPS])
        self.per_head = float(cost.per_livestock_head)
        self.need_base = float(cost.need_base)
        self.business_share = float(cost.business_income_share)
        self.debt_share = np.array([bank.debt_deduction[k] for k in DEBT_KINDS])
        years = lines.term.years_max
        self.term_adj = np.array([bank.term.adjustment.get(y, np.nan) for y in range(years + 1)])
        self.default_term = bank.term.default_years
        self.unit = float(bank.rounding.unit)
        self.regulatory_cap = policy.regulatory_cap
        bps = bank.base_plus_shares
        self.base = by_grade(bps.base) if bps else np.zeros(len(GRADES))
        self.asset_pct = bps.asset_pct if bps else 0.0
        self.income_pct = bps.income_pct if bps else 0.0
        self.scalar = ScalarTables(self, _N_MASKS)  # the same, for the few-rows path


_TABLE_CACHE: dict[str, _Tables] = {}


def _tables(policy: EffectivePolicy) -> _Tables:
    key = policy.content_hash
    found = _TABLE_CACHE.get(key)
    if found is None:
        if len(_TABLE_CACHE) >= 64:
            _TABLE_CACHE.clear()
        found = _TABLE_CACHE[key] = _Tables(policy)
    return found


def _terms(x: Inputs, t: _Tables) -> dict[str, Float]:
    """Capacity terms (before debt), debt deduction and the village x term factor."""
    n = len(x.grade)
    inf = np.full(n, np.inf)
    if t.formula == "capacity":
        terms = {
            "capacity_income": x.net_income * t.k_income[x.grade],
            "capacity_assets": x.net_assets * t.asset_share[x.grade],
            "need": t.need_base
            + x.land_mu * t.crop_cost[x.crop]
            + x.livestock_heads * t.per_head
            + t.business_share * np.maximum(x.business_income, 0.0),
            "base_plus_shares": inf,
        }
    else:
        terms = dict.fromkeys(_TERM_COLUMNS[:3], inf)
        terms["base_plus_shares"] = (
            t.base[x.grade] + t.asset_pct * x.assets_total + t.income_pct * x.operating_income
        )
    if x.term_years is None:  # the bank's default term (a policy always has its adjustment)
        terms["term_adjustment"] = np.full(n, t.term_adj[t.default_term])
    else:
        terms["term_adjustment"] = _term_adjustment(x.term_years, t.term_adj)
    terms["village_coef"] = t.village_coef[x.status]
    # an explicit left-to-right sum, not a BLAS product: the same rounding for 1 row or 1m
    terms["debt_deduction"] = functools.reduce(
        np.add, [x.debts[k] * t.debt_share[k] for k in range(len(DEBT_KINDS))]
    )
    return terms


def _term_adjustment(years: Int, adjustment: Float) -> Float:
    """The adjustment of each household's term (years); a term the policy lacks is refused."""
    if not (years >= len(adjustment)).any():
        found = adjustment[years]
        if not np.isnan(found).any():
            return found
    bad = sorted({int(y) for y in years if y >= len(adjustment) or np.isnan(adjustment[y])})
    raise LimitInputError(
        f"term_years {bad} have no term adjustment in the bank policy",
        column="term_years",
        values=bad,
    )


def _core(x: Inputs, t: _Tables) -> dict[str, Any]:
    """The limit, its binding code and every intermediate term, as arrays.

    The seven terms that can bind are the rows of one matrix, so each step below is one
    numpy call whatever the number of households (one row costs microseconds, not a loop).
    """
    terms = _terms(x, t)
    factor = terms["village_coef"] * terms["term_adjustment"]
    debt = terms["debt_deduction"]
    product_cap = t.product_cap[x.product, x.grade]
    candidates = np.empty((len(BINDING_TERMS), len(debt)))  # rows in BINDING_TERMS order
    for row, name in enumerate(_TERM_COLUMNS):
        np.multiply(np.subtract(terms[name], debt, out=candidates[row]), factor, candidates[row])
    caps = candidates[len(_TERM_COLUMNS) :]  # grade_cap, product_cap, regulatory_cap
    caps[0] = t.grade_cap[x.grade]
    np.maximum(product_cap, 0.0, out=caps[1])
    caps[2] = t.regulatory_cap
    lowest = np.minimum.reduce(candidates, axis=0)
    lowest_cap = np.minimum.reduce(caps, axis=0)
    capacity = functools.reduce(np.minimum, [terms[name] for name in _TERM_COLUMNS])
    reasons = np.array(  # rows in REASONS order: the first that holds is the reason
        [
            x.knockout,
            t.no_credit[x.grade],
            product_cap < 0,
            (capacity > 0) & (capacity - debt <= 0) & (lowest_cap > 0),
        ]
    )
    tolerance = 1e-6 + 1e-12 * np.abs(lowest)  # ties as numpy.isclose would call them
    gaps = np.abs(
        np.subtract(candidates, lowest, out=candidates), out=candidates
    )  # overwrites every row
    code = _BITS @ (gaps <= tolerance).view(np.uint8)  # bit i set: row i ties the lowest
    zero = reasons.any(axis=0)
    code = np.where(zero, _N_MASKS + reasons.argmax(axis=0), code)
    unrounded = np.where(zero, 0.0, np.maximum(lowest, 0.0))
    limit = (np.floor(np.round(unrounded, 2) / t.unit) * t.unit).astype(np.int64)
    return {
        **terms,
        "cap_grade": t.grade_cap[x.grade],
        "cap_product": product_cap,
        "cap_regulatory": np.full(len(debt), t.regulatory_cap),
        "limit_unrounded": unrounded,
        "limit": limit,
        "binding_code": code,
    }


def compute_limits(households: pd.DataFrame, policy: EffectivePolicy) -> pd.DataFrame:
    """Limits of a frame of households under one bank's effective policy (vectorised).

    Parameters
    ----------
    households : DataFrame
        Survey columns of ``docs/data-model.md`` plus ``grade`` (A-E) and ``product``
        (or ``requested_product``); optional ``knockout`` (bool, or the fired rule codes
        joined by ``;`` as :func:`rating_models.rating.apply_knockouts` writes them, ``''`` =
        none; absent = no knockout), ``knockout_reasons`` (str, passed through) and
        ``term_years`` (default: the bank's).
    policy : EffectivePolicy
        Red lines plus the bank policy (:func:`credit_limit.config.load_policy`).

    Returns
    -------
    DataFrame
        Same index; ``limit`` (int yuan), ``binding`` (categorical, see module doc) and the
        terms ``capacity_income``, ``capacity_assets``, ``need``, ``base_plus_shares``
        (NaN when not used), ``debt_deduction``, ``village_coef``, ``term_adjustment``,
        ``cap_grade``, ``cap_product`` (-1 = product not offered), ``cap_regulatory``,
        ``limit_unrounded``.

    Examples
    --------
    >>> from credit_limit.config import load_policy
    >>> from credit_limit.examples import worked_example_e
    >>> out = compute_limits(worked_example_e(), load_policy("301"))
    >>> int(out["limit"].iloc[0]), out["binding"].iloc[0]
    (100000, 'assets')
    """
    columns = limit_columns(households, policy)
    return new_frame(list(columns), list(columns.values()), households.index)


def limit_columns(
    households: pd.DataFrame | Mapping[str, Any], policy: EffectivePolicy
) -> dict[str, Any]:
    """The columns of :func:`compute_limits` as arrays, without building a DataFrame.

    For callers that go on with arrays (an online request): the same values and dtypes,
    from a frame or from named columns (numpy or pandas arrays of one length).

    Examples
    --------
    >>> from credit_limit.config import load_policy
    >>> from credit_limit.examples import worked_example_e
    >>> household = {k: [v] for k, v in worked_example_e().iloc[0].items()}
    >>> columns = limit_columns(household, load_policy("301"))
    >>> columns["limit"], list(columns["binding"])
    (array([100000]), ['assets'])
    """
    if isinstance(households, pd.DataFrame):
        read = column_reader(households)
        inputs = from_frame(households, read)
        n = len(households)
    else:
        read, n = array_reader(households)
        if 0 < n <= FEW:
            few = _few_columns(households, policy, n)
            if few is not None:
                return few
        inputs = from_columns(households, read, n)
    result = _core(inputs, _tables(policy))
    amounts: Float | list[Float]
    if n <= _SMALL:  # one new float block, each column a row of it
        amounts = np.array([result[name] for name in _AMOUNT_COLUMNS])
        amounts[np.isinf(amounts)] = np.nan  # terms the formula does not use
    else:  # one new array per column (no big block to allocate)
        amounts = [np.where(np.isinf(result[k]), np.nan, result[k]) for k in _AMOUNT_COLUMNS]
    present = households.keys()
    out: dict[str, Any] = {}
    if "household_id" in present:
        out["household_id"] = copy_of(read("household_id"))
    out["limit"] = result["limit"]
    out["binding"] = pd.Categorical.from_codes(  # the core's codes are in range
        result["binding_code"], dtype=_BINDING_DTYPE, validate=False
    )
    out.update(zip(_AMOUNT_COLUMNS, amounts, strict=True))
    if "knockout_reasons" in present:
        out["knockout_reasons"] = copy_of(read("knockout_reasons"))
    elif "knockout" in present:
        knockout = read("knockout")
        if not pd.api.types.is_bool_dtype(knockout.dtype):
            out["knockout_reasons"] = copy_of(knockout)
    return out


#: a one-row ``binding`` per code, copied for each household (a copy costs far less than
#: building a Categorical)
_ONE_BINDING = [
    pd.Categorical.from_codes([code], dtype=_BINDING_DTYPE) for code in range(len(BINDING_LABELS))
]


def _few_columns(
    households: Mapping[str, Any], policy: EffectivePolicy, n: int
) -> dict[str, Any] | None:
    """:func:`limit_columns` of a few households given as numpy arrays, row by row in Python
    (see :mod:`credit_limit._few`); ``None`` where the array engine must compute them."""
    passed = {}
    for name in ("household_id", "knockout_reasons", "knockout"):
        if name in households:
            values = households[name]
            if not (isinstance(values, np.ndarray) and values.ndim == 1 and len(values) == n):
                return None
            passed[name] = values
    rows = few_rows(households, _tables(policy).scalar, n)
    if rows is None:
        return None
    out: dict[str, Any] = {}
    if "household_id" in passed:
        out["household_id"] = passed["household_id"].copy()
    out["limit"] = np.array([limit for limit, _, _ in rows], dtype=np.int64)
    if n == 1:
        out["binding"] = _ONE_BINDING[rows[0][1]].copy()
    else:
        codes = np.array([code for _, code, _ in rows], dtype=np.intp)
        out["binding"] = pd.Categorical.from_codes(codes, dtype=_BINDING_DTYPE, validate=False)
    # one float block, each column a row of it, infinities (terms not used) as NaN
    amounts = np.array(list(zip(*(values for _, _, values in rows), strict=True)))
    amounts[np.isinf(amounts)] = np.nan
    out.update(zip(_AMOUNT_COLUMNS, amounts, strict=True))
    if "knockout_reasons" in passed:
        out["knockout_reasons"] = passed["knockout_reasons"].copy()
    elif "knockout" in passed and passed["knockout"].dtype != bool:
        out["knockout_reasons"] = passed["knockout"].copy()
    return out


def compute_limit(household: Mapping[str, Any], policy: EffectivePolicy) -> LimitDecision:
    """The limit of one household: the same arithmetic as :func:`compute_limits`.

    Examples
    --------
    >>> from credit_limit.config import load_policy
    >>> from credit_limit.examples import worked_example_e
    >>> decision = compute_limit(worked_example_e().iloc[0].to_dict(), load_policy("301"))
    >>> decision.limit, decision.binding
    (100000, ('assets',))
    """
    result = _core(from_mapping(household), _tables(policy))
    label = BINDING_LABELS[int(result["binding_code"][0])]
    reasons: tuple[str, ...] = ()
    if label == "knockout":
        flag = household.get("knockout")
        text = str(household.get("knockout_reasons") or (flag if isinstance(flag, str) else ""))
        reasons = tuple(r for r in text.replace(",", ";").split(";") if r.strip()) or (label,)
    elif label in REASONS:
        reasons = (label,)
    terms = {name: _finite(result[name][0]) for name in _AMOUNT_COLUMNS}
    return LimitDecision(
        household_id=None
        if household.get("household_id") is None
        else str(household["household_id"]),
        bank_code=policy.bank.code,
        grade=str(household["grade"]),
        product=str(household.get("product", household.get("requested_product"))),
        limit=int(result["limit"][0]),
        computed_limit=int(result["limit"][0]),
        binding=tuple(label.split("+")),
        reasons=reasons,
        terms=terms,
        policy_version=policy.bank.version,
        bank_hash=policy.bank_hash,
        federation_hash=policy.federation_hash,
    )


def _finite(value: float) -> float | None:
    return None if np.isinf(value) else float(value)
