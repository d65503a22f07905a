"""The summary units of a sandbox PBOC report (``PC02*``, ``PC04``, ``PC05``), computed from
the details so that summaries always equal the details they summarise.

Rules (the consistency tests check them):

* ``PC02AS01`` counts every account (open and closed); ``PC02AH`` groups them by business
  category (11 housing loans, 19 other loans, 21 credit cards, 22 semi-credit cards).
* ``PC02D`` lists, per account type with any overdue month in its 24-month window, the
  accounts (``DS02``), overdue months (``DS03``), the highest single-month overdue amount
  (``DJ01``) and the longest overdue status (``DS04``).
* ``PC02E``/``F``/``G`` (D1/R4/R1) and ``PC02H``/``I`` (R2/R3) cover open accounts only.
  Card limits shared through one agreement (``PD01AI04``) are counted once.
* ``PC05B`` counts the query records (``PH01``) by reason in the last month (``BS01``–``BS04``)
  and 24 months (``BS07``, ``BS08``); self-queries (``BS05``) and post-loan queries (``BS06``)
  are not listed as records.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring_service.sandbox.accounts import Account
from scoring_service.sandbox.bureau import BureauFacts
from scoring_service.sandbox.months import month_index, month_label, months_back

__all__ = ["Exposure", "category_groups", "exposure", "overdue_summary", "query_summary"]

_TYPE_CODE = {"D1": "1", "R4": "2", "R1": "3", "R2": "4", "R3": "5"}


@dataclass(frozen=True, slots=True)
class Exposure:
    """One of ``PC02E``–``PC02I``: open accounts of one type."""

    institutions: int
    accounts: int
    limit: int
    balance: int
    due_or_high: int  # J03: average due (loans) or highest issuer limit (cards)
    low: int  # cards: lowest issuer limit
    used: int  # cards: used
    avg_used: int  # cards: 6-month average used


def category_groups(accounts: list[Account]) -> list[tuple[str, str, int, str]]:
    """``PC02AH`` rows: (business category, loan/card, accounts, first month)."""
    groups: dict[tuple[str, str], list[int]] = {}
    for acc in accounts:
        if acc.kind in ("R2", "R3"):
            key = ("21", "2") if acc.kind == "R2" else ("22", "2")
        else:
            key = ("11", "1") if acc.business in ("11", "12", "13") else ("19", "1")
        groups.setdefault(key, []).append(month_index(acc.open_date))
    order = ("11", "19", "21", "22")
    return [
        (code, cat, len(months), month_label(min(months)))
        for code in order
        for (c, cat), months in groups.items()
        if c == code
    ]


def overdue_summary(accounts: list[Account]) -> list[tuple[str, int, int, int, int]]:
    """``PC02DH`` rows: (type code, accounts, months, highest monthly amount, longest)."""
    rows = []
    for kind, code in _TYPE_CODE.items():
        late = [a for a in accounts if a.kind == kind and any(s.isdigit() for s in a.statuses)]
        if not late:
            continue
        months = sum(1 for a in late for s in a.statuses if s.isdigit())
        amount = max(v for a in late for v in a.overdue)
        longest = max(int(s) for a in late for s in a.statuses if s.isdigit())
        rows.append((code, len(late), months, amount, longest))
    return rows


def exposure(accounts: list[Account], kind: str) -> Exposure | None:
    """``PC02E``–``PC02I`` for open accounts of ``kind`` (None when there are none)."""
    open_accs = [a for a in accounts if a.kind == kind and not a.closed]
    if not open_accs:
        return None
    insts = {a.inst_code for a in open_accs}
    if kind in ("D1", "R4", "R1"):
        return Exposure(
            len(insts), len(open_accs), sum(a.amount for a in open_accs),
            sum(a.balance for a in open_accs), sum(a.due for a in open_accs), 0, 0, 0,
        )  # fmt: skip
    per_issuer: dict[str, dict[str, int]] = {}
    for a in open_accs:  # a shared limit counts once per agreement
        per_issuer.setdefault(a.inst_code, {})[a.agreement or f"#{id(a)}"] = a.amount
    issuer_limits = [sum(v.values()) for v in per_issuer.values()]
    return Exposure(
        len(insts), len(open_accs), sum(issuer_limits), sum(a.balance for a in open_accs),
        max(issuer_limits), min(issuer_limits), sum(a.balance for a in open_accs),
        sum(a.avg_used_6m for a in open_accs),
    )  # fmt: skip


def query_summary(facts: BureauFacts) -> list[int]:
    """``PC05BS01``–``PC05BS08``."""
    T = facts.report_date
    month = [q for q in facts.queries if q.date >= months_back(T, 1)]
    years = [q for q in facts.queries if q.date >= months_back(T, 24)]
    return [
        len({q.inst_code for q in month if q.reason == "02"}),
        len({q.inst_code for q in month if q.reason == "03"}),
        sum(1 for q in month if q.reason == "02"),
        sum(1 for q in month if q.reason == "03"),
        facts.self_queries_1m,
        facts.postloan_24m,
        sum(1 for q in years if q.reason == "08"),
        sum(1 for q in years if q.reason == "19"),
    ]
