"""``pboc-features/1`` of one report in plain Python (no numpy call per report).

The same definitions as the grouped numpy reductions of :mod:`bureau_adapters.pboc.features`
(which stay the batch path for typed reports), written for one report at a time: a report
has a handful of accounts and a few hundred monthly statuses, where the fixed cost of ~150
small numpy operations (~500 µs) would dominate. Every value is bit-for-bit the one of the
numpy path: sums of eight or more non-integer amounts go through numpy's own (pairwise)
summation, everything else is exact. Property tests compare both paths. The
monthly-status features are computed in :mod:`bureau_adapters.pboc.single_months`.

Inputs are duck-typed: :func:`report_values` reads the report-level units through
:func:`~bureau_adapters.pboc.scalars.report_scalars` (a typed
:class:`~bureau_adapters.pboc.models.PersonalReport` or the light report of
:mod:`bureau_adapters.pboc.lite`) and the accounts as :class:`AccountRows`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import numpy as np

from bureau_adapters.pboc.flatten import (
    _BAD_STATUS,
    _CLOSED,
    _NONBANK_LENDER,
    _NONBANK_QUERY,
    _REASONS,
    _SPECIAL,
    _TYPES,
    NAN,
    _cutoffs,
    month_index,
)
from bureau_adapters.pboc.records import LoanAccount
from bureau_adapters.pboc.scalars import report_scalars
from bureau_adapters.pboc.single_months import status_values

__all__ = ["LATEST", "AccountRows", "account_rows", "report_values"]


#: The :class:`~bureau_adapters.pboc.records.LoanAccount` fields the features read.
LATEST = (
    "account_type", "institution_type", "business_kind", "guarantee", "open_date",
    "credit_limit", "status", "monthly_status", "balance", "monthly_balance", "used_limit",
    "due_amount", "avg_used_6m", "overdue_periods", "overdue_amount",
    "overdue_principal_31_60", "overdue_principal_61_90", "overdue_principal_91_180",
    "overdue_principal_180p", "five_class", "monthly_five_class",
)  # fmt: skip


class AccountRows:
    """What the features read of one account: its latest values (:data:`LATEST`, as on
    :class:`~bureau_adapters.pboc.records.LoanAccount`) and its histories as rows.

    ``h24`` holds ``(month index, status)`` of the 24-month grid, ``h60``
    ``(month index, status, amount or NaN)`` of the 5-year history (months present only),
    ``special`` the date ordinals of special transactions of the counted types.
    """

    account_type: Any
    institution_type: Any
    business_kind: Any
    guarantee: Any
    open_date: date | None
    credit_limit: float | None
    status: Any
    monthly_status: Any
    balance: float | None
    monthly_balance: float | None
    used_limit: float | None
    due_amount: float | None
    avg_used_6m: float | None
    overdue_periods: int | None
    overdue_amount: float | None
    overdue_principal_31_60: float | None
    overdue_principal_61_90: float | None
    overdue_principal_91_180: float | None
    overdue_principal_180p: float | None
    five_class: Any
    monthly_five_class: Any
    h24: list[tuple[int, Any]]
    h60: list[tuple[int, Any, float]]
    special: list[int]

    def __init__(self, values: dict[str, Any]) -> None:
        get = values.get
        fields = {name: get(name) for name in LATEST}
        fields["h24"] = get("h24") or []
        fields["h60"] = get("h60") or []
        fields["special"] = get("special") or []
        self.__dict__ = fields


def account_rows(acc: LoanAccount) -> AccountRows:
    """The :class:`AccountRows` of a typed account."""
    values = {name: getattr(acc, name) for name in LATEST}
    values["h24"] = [
        (m.month.year * 12 + m.month.month - 1, m.status)
        for m in acc.history_24m
        if m.month is not None
    ]
    values["h60"] = [
        (r.month.year * 12 + r.month.month - 1, r.status, NAN if r.amount is None else r.amount)
        for r in acc.history_60m
        if r.month is not None
    ]
    values["special"] = [
        t.txn_date.toordinal()
        for t in acc.special_transactions
        if t.txn_date is not None and t.type in _SPECIAL
    ]
    return AccountRows(values)


def _nz(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _num(value: Any) -> float:
    return NAN if value is None else float(value)


def _psum(values: Sequence[float]) -> float:
    """The sum numpy's ``ndarray.sum`` gives (sequential below 8 terms, pairwise above)."""
    if len(values) < 8:
        total = 0.0
        for v in values:
            total += v
        return total
    if all(v.is_integer() for v in values) and math.fsum(map(abs, values)) < 2.0**52:
        return float(sum(values))  # exact in any order
    return float(np.add.reduce(np.array(values, dtype=np.float64)))


def _fmax(values: Iterable[float], empty: float) -> float:
    """``np.fmax.reduce`` (NaN ignored); ``empty`` when nothing is left."""
    best = NAN
    for v in values:
        if v == v and (best != best or v > best):
            best = v
    return empty if best != best else best


def _fmin(values: Iterable[float], empty: float) -> float:
    best = NAN
    for v in values:
        if v == v and (best != best or v < best):
            best = v
    return empty if best != best else best


def _ratio(num: float, den: float) -> float:
    if math.isfinite(num) and math.isfinite(den) and den > 0:
        return num / den
    return NAN


def _query_values(queries: Iterable[Any], t_ord: int, cut: tuple[int, ...]) -> dict[str, float]:
    c1, c3, c6, c12, c18, c24 = cut
    loan3 = loan6 = loan12 = card12 = ap1 = ap3 = ap6 = nb1 = nb3 = 0
    org6: set[str] = set()
    org12: set[str] = set()
    buckets = [0, 0, 0, 0]
    for q in queries:
        d = q.query_date
        if d is None:
            continue
        o = d.toordinal()
        if o > t_ord or o < c24:  # in no window (c24 is the earliest cutoff)
            continue
        reason = _REASONS.get(q.reason, 0)
        apply_ = reason != 0
        if reason == 2:
            loan3 += o >= c3
            loan6 += o >= c6
            loan12 += o >= c12
        elif reason == 3:
            card12 += o >= c12
        if not apply_:
            continue
        ap1 += o >= c1
        ap3 += o >= c3
        ap6 += o >= c6
        if q.institution_type in _NONBANK_QUERY:
            nb1 += o >= c1
            nb3 += o >= c3
        inst = q.institution or ""
        if o >= c6:
            org6.add(inst)
        if o >= c12:
            org12.add(inst)
        bucket = 4 - ((o >= c6) + (o >= c12) + (o >= c18) + (o >= c24))
        if bucket < 4:
            buckets[bucket] += 1
    mean = sum(buckets) / 4.0
    spread = math.sqrt(_psum([(c - mean) * (c - mean) for c in buckets]) / 4.0)
    return {
        "inq_loan_cnt_3m": float(loan3),
        "inq_loan_cnt_6m": float(loan6),
        "inq_loan_cnt_12m": float(loan12),
        "inq_card_cnt_12m": float(card12),
        "inq_apply_cnt_1m": float(ap1),
        "inq_apply_cnt_3m": float(ap3),
        "inq_apply_cnt_6m": float(ap6),
        "inq_org_cnt_6m": float(len(org6)),
        "inq_org_cnt_12m": float(len(org12)),
        "inq_nonbank_cnt_1m": float(nb1),
        "inq_nonbank_cnt_3m": float(nb3),
        "inq_volatility_24m": _ratio(spread, mean),
    }


def _account_values(
    accounts: Sequence[AccountRows], t_ord: int, t_midx: int, cut: tuple[int, ...]
) -> dict[str, float]:
    c3, c6, c24 = cut[1], cut[2], cut[5]
    n_loan = n_card = high = auto = nonbank = farmer = farmer_open = joint = village = 0
    new3 = new6 = mortgage = bad = recovery = special = 0
    utils: list[float] = []
    min_payments: list[float] = []
    ages: list[float] = []
    farmer_bal: list[float] = []
    overdue: list[float] = []
    principal: list[float] = []
    periods: list[float] = []
    types, closed, bad_status = _TYPES.get, _CLOSED.get, _BAD_STATUS.get
    for a in accounts:
        kind = a.account_type
        status = a.status
        if status is None:
            status = a.monthly_status
        type_no = types(kind, 6)
        is_open = status not in closed(kind, ())
        business = a.business_kind
        is_farmer = business in ("51", "52", "53")
        balance = a.monthly_balance
        if balance is None:
            balance = a.balance
        if type_no <= 2 and is_open:
            n_loan += 1
            nonbank += a.institution_type in _NONBANK_LENDER
        elif type_no == 3 and is_open:
            n_card += 1
            util = _ratio(_num(a.used_limit), _num(a.credit_limit))
            if util == util:
                utils.append(util)
                high += util > 0.8
            min_payments.append(max(_nz(a.due_amount), 0.1 * _nz(a.avg_used_6m)))
        opened = a.open_date
        if opened is not None:
            ages.append(float(t_midx - month_index(opened)))
            o = opened.toordinal()
            if o <= t_ord:
                new3 += o >= c3
                new6 += o >= c6
        mortgage += business in ("11", "12", "13")
        auto += business == "21" and is_open
        farmer += is_farmer
        farmer_open += is_farmer and is_open
        farmer_bal.append(_nz(balance) if is_farmer and is_open else 0.0)
        joint += a.guarantee == "7"
        village += a.institution_type == "12"
        overdue.append(_nz(a.overdue_amount) if type_no <= 4 else 0.0)
        p1, p2, p3, p4 = (
            a.overdue_principal_31_60,
            a.overdue_principal_61_90,
            a.overdue_principal_91_180,
            a.overdue_principal_180p,
        )
        principal.append(
            (0.0 if p1 is None else float(p1))
            + (0.0 if p2 is None else float(p2))
            + (0.0 if p3 is None else float(p3))
            + (0.0 if p4 is None else float(p4))
        )
        periods.append(_nz(a.overdue_periods))
        bad += status is not None and status == bad_status(kind)
        recovery += type_no == 5
        if a.special:
            special += sum(1 for s in a.special if c24 <= s <= t_ord)
    return {
        "n_open_loans": float(n_loan),
        "n_open_cards": float(n_card),
        "card_util_max": _fmax(utils, NAN),
        "card_high_util_cnt": float(high),
        "_card_min_payment": _psum(min_payments),
        "months_since_oldest_account": _fmax(ages, NAN),
        "months_since_newest_account": _fmin(ages, NAN),
        "new_accounts_3m": float(new3),
        "new_accounts_6m": float(new6),
        "has_mortgage": float(min(mortgage, 1)),
        "n_auto_loans_open": float(auto),
        "nonbank_loan_cnt_open": float(nonbank),
        "n_farmer_loans": float(farmer),
        "n_farmer_loans_open": float(farmer_open),
        "farmer_loan_balance": _psum(farmer_bal),
        "joint_guarantee_loans": float(joint),
        "rural_inst_share": _ratio(float(village), float(len(accounts))),
        "cur_overdue_amt": _psum(overdue),
        "cur_overdue_principal_31p": _psum(principal),
        "max_cur_overdue_periods": _fmax(periods, 0.0),
        "special_trans_cnt_24m": float(special),
        "_bad_records": float(min(bad, 1)),
        "_recovery_records": float(min(recovery, 1)),
    }


def report_values(report: Any, accounts: Sequence[AccountRows]) -> dict[str, float]:
    """Every feature of one report (NaN for missing), keyed by name, not yet ordered.

    ``report`` supplies ``report_date``, ``queries`` and the units
    :func:`~bureau_adapters.pboc.scalars.report_scalars` reads; ``accounts`` are the
    report's accounts as :class:`AccountRows`.
    """
    t = report.report_date
    t_ord, t_midx = t.toordinal(), month_index(t)
    cut = _cutoffs(t)
    out = report_scalars(report)
    out.update(_query_values(report.queries, t_ord, cut))
    out.update(_account_values(accounts, t_ord, t_midx, cut))
    out.update(status_values(accounts, t_midx))
    out["inq_without_new_account_3m"] = max(out["inq_apply_cnt_3m"] - out["new_accounts_3m"], 0.0)
    out["has_bad_debt"] = max(
        out.pop("_bad_summary"), out.pop("_bad_records"), out.pop("_bad_months")
    )
    out["has_recovery"] = max(
        out.pop("_recovery_summary"), out.pop("_recovery_records"), out.pop("_recovery_months")
    )
    out["monthly_obligation"] = out.pop("_obligation_summary") + out.pop("_card_min_payment")
    return out
