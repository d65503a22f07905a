"""What the ``pboc-features/1`` features read of a personal report, and how it is read.

:data:`PROJECTION` names every element a feature reads; :class:`LiteReport` and the
attribute bags of :func:`bag_class` hold what was read (no typed model); :class:`Memo`
converts raw element texts exactly as :func:`bureau_adapters.pboc.parser.build` does, and
:data:`MAKERS` turns the records the features read as rows (months, special transactions,
accounts) into what :mod:`bureau_adapters.pboc.single` takes. Shared by the two readers:
:func:`bureau_adapters.pboc.lite.lite_report` (pure Python) and
:func:`bureau_adapters.pboc.rawread.raw_lite_report` (compiled walk).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from bureau_adapters.pboc.codes import normalise_account_status
from bureau_adapters.pboc.flatten import _SPECIAL, NAN
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.parser import MAX_COUNT_DIGITS, NULL_MARKERS
from bureau_adapters.pboc.schema import plan_of
from bureau_adapters.pboc.single import LATEST, AccountRows

__all__ = [
    "INVALID",
    "MAKERS",
    "MEMO_LIMIT",
    "PROJECTION",
    "Bag",
    "LiteReport",
    "Memo",
    "bag_class",
    "memo_for",
]

_ON = True
_LOAN_TOTALS = dict.fromkeys(("institution_count", "account_count", "total_limit", "balance"), _ON)
_LOAN_TOTALS["avg_due_6m"] = _ON
_CARD_TOTALS = dict.fromkeys(("account_count", "total_limit", "used", "avg_used_6m"), _ON)

#: Field name → ``True`` (an item) or the projection of a nested model: every element of a
#: personal report that a ``pboc-features/1`` feature reads.
PROJECTION: dict[str, Any] = {
    "identity": {"birth_date": _ON, "phones": {"updated": _ON}},
    "residences": {},
    "occupations": {"year_joined": _ON},
    "score": {"score": _ON, "percentile": _ON},
    "credit_summary": {
        "account_total": _ON,
        "recovered_accounts": _ON,
        "bad_debt_accounts": _ON,
        "overdue": {"longest_months": _ON, "max_month_amount": _ON},
        "d1": _LOAN_TOTALS,
        "r4": _LOAN_TOTALS,
        "r1": _LOAN_TOTALS,
        "r2": _CARD_TOTALS,
        "r3": _CARD_TOTALS,
        "responsibilities": {"responsibility": _ON, "amount": _ON, "balance": _ON},
    },
    "postpaid_summary": {"rows": {"amount": _ON}},
    "public_summary": {"rows": {"type": _ON, "record_count": _ON}},
    "query_summary": {
        "last_query_date": _ON,
        **{
            f"{what}_1m": _ON
            for what in (
                "loan_institutions",
                "card_institutions",
                "loan_queries",
                "card_queries",
                "self_queries",
            )
        },
        "postloan_queries_24m": _ON,
        "guarantee_queries_24m": _ON,
    },
    "accounts": {
        **dict.fromkeys(LATEST, _ON),
        "history_24m": {"month": _ON, "status": _ON},
        "history_60m": {"month": _ON, "status": _ON, "amount": _ON},
        "special_transactions": {"type": _ON, "txn_date": _ON},
    },
    "related_repayments": {"five_class": _ON, "repayment_status": _ON, "overdue_months": _ON},
    "postpaid_accounts": {"arrears": _ON},
    "tax_arrears": {"amount": _ON},
    "civil_judgments": {"amount": _ON},
    "enforcements": {"amount_applied": _ON},
    "admin_penalties": {},
    "housing_fund": {"status": _ON, "monthly_amount": _ON},
    "queries": {"query_date": _ON, "institution_type": _ON, "institution": _ON, "reason": _ON},
}


class Bag:
    """Attribute bag: the values read, class attributes give the model's defaults."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values


class LiteReport(Bag):
    """The units of a personal report the features read (see :data:`PROJECTION`), with
    ``report_id``, ``report_date`` and the accounts as
    :class:`~bureau_adapters.pboc.single.AccountRows`."""

    report_id: str
    report_date: date
    accounts: list[AccountRows]


_BAGS: dict[type, type] = {}


def bag_class(model: type) -> type:
    cls = _BAGS.get(model)
    if cls is None:
        defaults = {s.name: (() if s.many else None) for s in plan_of(model).specs}
        base = LiteReport if model is PersonalReport else Bag
        cls = _BAGS[model] = type("Lite" + model.__name__, (base,), defaults)
    return cls


class Memo(dict[Any, Any]):
    """Raw element text → value, as :func:`bureau_adapters.pboc.parser._fill` reads it
    (strip, null markers, code labels, conversion; invalid → ``None``), remembered."""

    __slots__ = ("kind", "target")

    def __init__(self, kind: int, target: Any) -> None:
        super().__init__()
        self.kind = kind
        self.target = target

    def __missing__(self, raw: str | None) -> Any:
        value = self._read(raw)
        if len(self) < MEMO_LIMIT:
            self[raw] = value
        return value

    def _read(self, raw: str | None) -> Any:
        kind, target = self.kind, self.target
        text = raw.strip() if raw else ""
        if text in NULL_MARKERS:
            return None
        if kind == 0:  # text
            return text
        if kind == 3:  # code or label → member, unknown codes kept as text
            value = target.get(text)
            return value if value is not None else target.get(text.lower(), text)
        if kind != 4 and len(text) <= MAX_COUNT_DIGITS and text.isdigit() and text.isascii():
            return int(text) if kind == 1 else float(text)
        try:
            return target(text)
        except (ValueError, OverflowError):
            return INVALID  # unlike a null marker, a later occurrence may still give it


#: An invalid value: read as missing, but (as in the parser) not the item's first occurrence.
INVALID: Any = object()
MEMO_LIMIT = 4096  # per memo: a few MB in all at worst
_MEMOS: dict[tuple[int, int], Memo] = {}


def memo_for(kind: int, target: Any) -> Memo:
    """One memo per value kind and code table (all dates share one, ...)."""
    key = (kind, id(target))
    found = _MEMOS.get(key)
    if found is None:
        found = _MEMOS[key] = Memo(kind, target)
    return found


# --- records that are not bags --------------------------------------------------------------


def _month_row(values: dict[str, Any]) -> tuple[int, Any] | None:
    month = values.get("month")
    if month is None:
        return None
    return (month.year * 12 + month.month - 1, values.get("status"))


def _month_record_row(values: dict[str, Any]) -> tuple[int, Any, float] | None:
    month = values.get("month")
    if month is None:
        return None
    amount = values.get("amount")
    return (
        month.year * 12 + month.month - 1,
        values.get("status"),
        NAN if amount is None else amount,
    )


def _special_row(values: dict[str, Any]) -> int | None:
    when = values.get("txn_date")
    if when is None or values.get("type") not in _SPECIAL:
        return None
    return int(when.toordinal())


def _account(values: dict[str, Any]) -> AccountRows:
    """The parser's status fix (Chinese labels → codes of the account type), then rows."""
    kind = values.get("account_type")
    for name in ("status", "monthly_status"):
        status = values.get(name)
        if status is not None and not status.isascii():
            values[name] = normalise_account_status(kind, status)
    fields = _NO_LATEST.copy()  # what AccountRows(values) holds, without its lookups
    fields.update(values)
    fields["h24"] = fields.pop("history_24m") or []
    fields["h60"] = fields.pop("history_60m") or []
    fields["special"] = fields.pop("special_transactions") or []
    rows: AccountRows = _new_rows(AccountRows)
    rows.__dict__ = fields
    return rows


_NO_LATEST: dict[str, Any] = dict.fromkeys(LATEST)
_new_rows = object.__new__


def _makers() -> dict[type, Callable[[dict[str, Any]], Any]]:
    from bureau_adapters.pboc import records as r

    return {
        r.LoanAccount: _account,
        r.MonthStatus: _month_row,
        r.MonthRecord: _month_record_row,
        r.SpecialTransaction: _special_row,
    }


MAKERS = _makers()
