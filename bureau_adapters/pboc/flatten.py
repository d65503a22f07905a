"""Flatten typed personal reports into record arrays for :mod:`bureau_adapters.pboc.features`.

One Python pass over each report collects (a) report-level values read straight from the
summaries, and (b) one row per account, monthly status, query and special transaction,
tagged with the report's row number ``g``. Everything window- or group-dependent is then
computed on these arrays with numpy.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from bureau_adapters.pboc.codes import STATUS_RANK
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.records import LoanAccount

__all__ = ["WINDOWS", "Flat", "add_months", "flatten", "month_index"]

#: Windows (months) for dated records; columns of :attr:`Flat.cutoffs`.
WINDOWS = (1, 3, 6, 12, 18, 24)
_TYPES = {"D1": 0, "R4": 1, "R1": 2, "R2": 3, "R3": 4, "C1": 5}
_CLOSED = {"D1": {"3"}, "R4": {"3"}, "R1": {"3"}, "R2": {"4", "6"}, "R3": {"4", "6"}, "C1": {"2"}}
_BAD_STATUS = {"D1": "4", "R4": "4", "R1": "4", "R2": "5", "R3": "5"}
_NONBANK_QUERY = {"22", "23", "24", "25", "51"}
_NONBANK_LENDER = {"24", "25", "51"}
_REASONS = {"02": 2, "03": 3, "24": 24}
_SPECIAL = {"1", "2", "3", "8", "11", "16"}
_OVERDUE = {str(i) for i in range(1, 8)}
NAN = float("nan")


def month_index(d: date) -> int:
    """Months since year 0: consecutive months differ by 1."""
    return d.year * 12 + d.month - 1


def add_months(d: date, months: int) -> date:
    """``d`` moved by ``months`` calendar months, the day clamped to the month's length."""
    year, month0 = divmod(month_index(d) + months, 12)
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


@lru_cache(maxsize=1)
def _scalar_names() -> tuple[str, ...]:
    """Names of :func:`~bureau_adapters.pboc.scalars.report_scalars`, in its order."""
    from bureau_adapters.pboc.scalars import report_scalars

    return tuple(report_scalars(PersonalReport(report_id="0", report_date=date(2000, 1, 1))))


@lru_cache(maxsize=4096)
def _cutoffs(t: date) -> tuple[int, ...]:
    """Ordinals of T minus each window of :data:`WINDOWS` (report dates repeat a lot)."""
    return tuple(add_months(t, -w).toordinal() for w in WINDOWS)


@dataclass
class Flat:
    """Record arrays of ``n`` reports (see the module docstring)."""

    t_ord: np.ndarray
    t_midx: np.ndarray
    cutoffs: np.ndarray  # (n, len(WINDOWS)) ordinals of T minus each window
    scalars: dict[str, np.ndarray]
    accounts: dict[str, np.ndarray] = field(default_factory=dict)
    months: dict[str, np.ndarray] = field(default_factory=dict)
    queries: dict[str, np.ndarray] = field(default_factory=dict)
    special: dict[str, np.ndarray] = field(default_factory=dict)


def _num(value: float | int | None) -> float:
    return NAN if value is None else float(value)


def _nz(value: float | int | None) -> float:
    return 0.0 if value is None else float(value)


class _Rows:
    """Rows being filled (tuples in column order), turned into one array per column."""

    def __init__(self, *names: str) -> None:
        self.names = names
        self.rows: list[tuple[float, ...]] = []

    def __len__(self) -> int:
        return len(self.rows)

    def arrays(self, ints: Sequence[str] = (), bools: Sequence[str] = ()) -> dict[str, np.ndarray]:
        table = np.array(self.rows, dtype=np.float64).reshape(len(self.rows), len(self.names))
        out = {}
        for i, name in enumerate(self.names):
            column = table[:, i]
            if name in ints:
                column = column.astype(np.int64)
            elif name in bools:
                column = column.astype(bool)
            out[name] = column
        return out


_ACCOUNT_COLS = (
    "g", "type", "open", "open_ord", "open_midx", "mortgage", "auto", "farmer", "joint",
    "village", "nonbank", "balance", "overdue", "principal_31p", "periods", "used", "limit",
    "min_payment", "bad_status",
)  # fmt: skip
_MONTH_COLS = (
    "g", "acc", "age", "midx", "grid", "card", "amount",
    "rank", "overdue", "bad", "recovery",  # derived from the status: see _status_info
)  # fmt: skip
_BOOL_ACCOUNT = ("open", "mortgage", "auto", "farmer", "joint", "village", "nonbank", "bad_status")
_BOOL_MONTH = ("grid", "overdue", "card", "bad", "recovery")


def flatten(reports: Sequence[PersonalReport]) -> Flat:
    """Flatten ``reports`` (row ``g`` of every array is the report's position)."""
    from bureau_adapters.pboc.scalars import report_scalars

    n = len(reports)
    accounts, months = _Rows(*_ACCOUNT_COLS), _Rows(*_MONTH_COLS)
    queries, special = _Rows("g", "ord", "reason", "nonbank", "inst"), _Rows("g", "ord")
    institutions: dict[str, int] = {}
    scalar_rows: list[list[float]] = []
    t_ord = np.empty(n, dtype=np.int64)
    t_midx = np.empty(n, dtype=np.int64)
    cutoffs = np.empty((n, len(WINDOWS)), dtype=np.int64)
    for g, report in enumerate(reports):
        t = report.report_date
        t_ord[g], t_midx[g] = t.toordinal(), month_index(t)
        cutoffs[g] = _cutoffs(t)
        scalar_rows.append(list(report_scalars(report).values()))
        for acc in report.accounts:
            _account_rows(g, int(t_midx[g]), acc, accounts, months, special)
        for q in report.queries:
            if q.query_date is None:
                continue
            inst = institutions.setdefault(q.institution or "", len(institutions))
            queries.rows.append(
                (
                    g,
                    q.query_date.toordinal(),
                    _REASONS.get(q.reason, 0),  # type: ignore[arg-type]
                    q.institution_type in _NONBANK_QUERY,
                    inst,
                )
            )
    names = _scalar_names()
    table = np.array(scalar_rows, dtype=np.float64).reshape(n, len(names))
    scalars = {name: table[:, i] for i, name in enumerate(names)}
    flat = Flat(t_ord=t_ord, t_midx=t_midx, cutoffs=cutoffs, scalars=scalars)
    flat.accounts = accounts.arrays(("g", "type", "open_ord", "open_midx"), _BOOL_ACCOUNT)
    flat.months = months.arrays(("g", "acc", "age", "midx"), _BOOL_MONTH)
    flat.months["acc_g"] = flat.accounts["g"]
    flat.queries = queries.arrays(("g", "ord", "reason", "inst"), ("nonbank",))
    flat.special = special.arrays(("g", "ord"))
    return flat


def _account_rows(
    g: int, t_midx: int, acc: LoanAccount, accounts: _Rows, months: _Rows, special: _Rows
) -> None:
    """One account row, its monthly statuses and its special transactions."""
    index = len(accounts)
    accounts.rows.append(_account_row(g, acc))
    is_card = acc.account_type in ("R2", "R3")
    rows = months.rows
    for entry in acc.history_24m:
        month = entry.month
        if month is not None:
            midx = month.year * 12 + month.month - 1
            info = _STATUS_INFO.get(entry.status) or _status_info(entry.status)
            rows.append((g, index, t_midx - midx, midx, True, is_card, NAN, *info))
    for record in acc.history_60m:
        month = record.month
        if month is not None:
            midx = month.year * 12 + month.month - 1
            info = _STATUS_INFO.get(record.status) or _status_info(record.status)
            amount = _num(record.amount)
            rows.append((g, index, t_midx - midx, midx, False, is_card, amount, *info))
    for txn in acc.special_transactions:
        if txn.txn_date is not None and txn.type in _SPECIAL:
            special.rows.append((g, txn.txn_date.toordinal()))


def _account_row(g: int, acc: LoanAccount) -> tuple[float, ...]:
    """The values of :data:`_ACCOUNT_COLS` for one account (status: ``PD01BD01``, else
    ``PD01CD01``; balance: ``PD01CJ01``, else ``PD01BJ01``)."""
    kind = acc.account_type
    status = acc.status if acc.status is not None else acc.monthly_status
    business = acc.business_kind
    balance = acc.monthly_balance if acc.monthly_balance is not None else acc.balance
    opened = acc.open_date
    principal_31p = (
        _nz(acc.overdue_principal_31_60)
        + _nz(acc.overdue_principal_61_90)
        + _nz(acc.overdue_principal_91_180)
        + _nz(acc.overdue_principal_180p)
    )
    return (
        g,
        _TYPES.get(kind, 6),  # type: ignore[arg-type]
        status not in _CLOSED.get(kind, ()),  # type: ignore[arg-type]
        opened.toordinal() if opened else -1,
        month_index(opened) if opened else -1,
        business in ("11", "12", "13"),
        business == "21",
        business in ("51", "52", "53"),
        acc.guarantee == "7",
        acc.institution_type == "12",
        acc.institution_type in _NONBANK_LENDER,
        _nz(balance),
        _nz(acc.overdue_amount),
        principal_31p,
        _nz(acc.overdue_periods),
        _num(acc.used_limit),
        _num(acc.credit_limit),
        max(_nz(acc.due_amount), 0.1 * _nz(acc.avg_used_6m)),
        status is not None and status == _BAD_STATUS.get(kind),  # type: ignore[arg-type]
    )


_STATUS_INFO: dict[str | None, tuple[int, bool, bool, bool]] = {}


def _status_info(status: str | None) -> tuple[int, bool, bool, bool]:
    """(rank, overdue 1–7, bad debt B/G, recovery D/Z) of a monthly status, cached."""
    code = status if status is not None else ""
    info = (STATUS_RANK.get(code, 0), code in _OVERDUE, code in ("B", "G"), code in ("D", "Z"))
    if len(_STATUS_INFO) < 1000:  # real statuses are a handful; garbage is not cached
        _STATUS_INFO[status] = info
    return info
