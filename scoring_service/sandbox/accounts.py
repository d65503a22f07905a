"""Loan and card accounts of one sandbox household (the facts behind ``PDA/PD01``).

A household with credit history gets a few accounts: farmer loans (business kinds 51/52/53,
often under a farmer joint guarantee, code 7) at its own rural bank or a village bank,
revolving farmer credit lines (R4/R1), credit cards (R2), now and then a housing, car or
semi-credit-card account, and — more often for risky households — consumer loans from
non-bank lenders. Each account carries a 24-month status window ending at its own last
report month; delinquency is drawn from the hidden character ``z`` only inside the 24 months
ending at the report month, so ``n_delinq_months_24m`` has one meaning (see docs/sandbox.md).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field, replace

from scoring_service.sandbox.institutions import BIG_BANKS, NONBANK, VILLAGE_BANKS
from scoring_service.sandbox.months import month_end, month_index, month_start

__all__ = ["Account", "Agreement", "HouseholdProfile", "new_accounts"]


@dataclass(slots=True)
class Agreement:
    """A credit agreement (``PD02``); accounts point at it through ``PD01AI04``."""

    ident: str
    inst_type: str
    inst_code: str
    purpose: str  # 10 revolving, 20 non-revolving, 30 card shared, 31 card independent
    limit: int
    start: dt.date
    end: dt.date
    used: int = 0


@dataclass(slots=True)
class Account:
    """One ``PD01`` account with its latest state and 24-month status window."""

    kind: str  # D1 R4 R1 R2 R3
    business: str  # PD01AD03
    inst_type: str
    inst_code: str
    open_date: dt.date
    amount: int  # loan amount (D1, R4) or credit limit (R1, R2, R3)
    term: int  # months; 0 = not instalment-based
    guarantee: str
    method: str
    closed: bool = False
    close_month: int = 0
    last_month: int = 0
    agreement: str = ""
    statuses: list[str] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    balance: int = 0
    due: int = 0
    cur_periods: int = 0
    cur_amt: int = 0
    avg_used_6m: int = 0
    max_used: int = 0

    @property
    def is_loan(self) -> bool:
        """D1, R4 and R1 are loans; R2 and R3 are cards."""
        return self.kind in ("D1", "R4", "R1")


@dataclass(frozen=True, slots=True)
class HouseholdProfile:
    """What account generation needs to know about a household."""

    z: float
    age: int
    income: float
    report_date: dt.date
    bank_inst: str
    joint_guarantee: bool


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


_LOAN_TERMS = {"farmer": (12, 12, 12, 24, 36), "consumer": (6, 12, 12, 24)}
_FARMER_KINDS = ("51", "52", "53")


def _pick_product(p: HouseholdProfile, rnd: random.Random) -> str:
    card_w = 0.25 * (1.5 if p.age < 40 else 0.7 if p.age > 55 else 1.0)
    weights = {
        "farmer": 0.42,
        "farmer_r4": 0.08,
        "farmer_r1": 0.05,
        "card": card_w,
        "consumer": 0.04 + 0.14 * _sigmoid(1.5 * p.z - 1.0),
        "housing": 0.04,
        "auto": 0.03,
        "semicard": 0.02,
    }
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


def _rounded(rnd: random.Random, median: float, sigma: float, step: int) -> int:
    return max(step, round(rnd.lognormvariate(math.log(median), sigma) / step) * step)


def _farmer_loan(kind: str, p: HouseholdProfile, opened: dt.date, rnd: random.Random) -> Account:
    inst = ("11", p.bank_inst) if rnd.random() < 0.75 else rnd.choice(VILLAGE_BANKS)
    guarantee = "7" if p.joint_guarantee and rnd.random() < 0.7 else rnd.choice("4443")
    business = rnd.choices(_FARMER_KINDS, weights=(0.6, 0.3, 0.1))[0]
    amount = _rounded(rnd, 50_000, 0.5, 1_000)
    return Account(
        kind, business, *inst, opened, amount, rnd.choice(_LOAN_TERMS["farmer"]), guarantee, "13"
    )


def _new_account(product: str, p: HouseholdProfile, opened: dt.date, rnd: random.Random) -> Account:
    if product in ("farmer", "farmer_r4"):
        return _farmer_loan("D1" if product == "farmer" else "R4", p, opened, rnd)
    if product == "farmer_r1":
        return Account(
            "R1", "51", "11", p.bank_inst, opened, _rounded(rnd, 80_000, 0.4, 10_000), 0, "4", "31"
        )
    if product == "consumer":
        inst = rnd.choice(NONBANK)
        term = rnd.choice(_LOAN_TERMS["consumer"])
        return Account("D1", "91", *inst, opened, _rounded(rnd, 12_000, 0.6, 100), term, "4", "11")
    if product == "housing":
        inst = rnd.choice(BIG_BANKS)
        return Account(
            "D1", "11", *inst, opened, _rounded(rnd, 300_000, 0.4, 1_000), 240, "2", "11"
        )
    if product == "auto":
        inst = rnd.choice(BIG_BANKS)
        return Account("D1", "21", *inst, opened, _rounded(rnd, 80_000, 0.4, 1_000), 36, "1", "11")
    inst = ("11", p.bank_inst) if rnd.random() < 0.4 else rnd.choice(BIG_BANKS)
    limit = _rounded(rnd, 15_000, 0.6, 1_000)
    if product == "semicard":
        return Account("R3", "71", *inst, opened, limit, 0, "4", "39")
    return Account("R2", "81", *inst, opened, limit, 0, "4", "39")


def _poisson(lam: float, rnd: random.Random) -> int:
    limit, k, prod = math.exp(-lam), 0, rnd.random()
    while prod > limit:
        k += 1
        prod *= rnd.random()
    return k


def _day_in(month: int, rnd: random.Random) -> dt.date:
    return month_start(month) + dt.timedelta(days=rnd.randint(0, 27))


def _history(p: HouseholdProfile, rnd: random.Random) -> int:
    """Months since the household's first account."""
    max_history = max(6, min((p.age - 20) * 12, 240))
    return max(2, int(max_history * rnd.betavariate(1.6, 2.4)))


def _yearly_farmer_loans(p: HouseholdProfile, history: int, rnd: random.Random) -> list[Account]:
    """The bank relationship: a 12-month farmer loan renewed year after year."""
    t_m = month_index(p.report_date)
    cycles = min(1 + history // 12, rnd.randint(1, 5))
    last_open = t_m - (rnd.randint(1, 11) if rnd.random() < 0.8 else rnd.randint(13, 30))
    first = _farmer_loan("D1", p, _day_in(last_open - 12 * (cycles - 1), rnd), rnd)
    first.term = 12
    out = [first]
    for k in range(1, cycles):
        grown = round(first.amount * (1.0 + 0.1 * k) / 1_000) * 1_000
        out.append(
            replace(first, open_date=_day_in(last_open - 12 * (cycles - 1 - k), rnd), amount=grown)
        )
    return out


def _other_accounts(p: HouseholdProfile, history: int, rnd: random.Random) -> list[Account]:
    t_m = month_index(p.report_date)
    wealth = 0.4 if p.income > 80_000 else 0.0
    n = min(_poisson(0.6 + wealth + 0.35 * max(p.z, 0.0), rnd), 9)
    months = [t_m - rnd.randint(1, history) for _ in range(n)]
    return [_new_account(_pick_product(p, rnd), p, _day_in(m, rnd), rnd) for m in months]


def _settle(acc: Account, p: HouseholdProfile, rnd: random.Random) -> None:
    """Decide whether the account is closed and its last report month."""
    t_m = month_index(p.report_date)
    open_m = month_index(acc.open_date)
    end_m = t_m
    if acc.term:
        maturity = open_m + acc.term
        if rnd.random() < 0.15:
            maturity = open_m + rnd.randint(1, acc.term)  # early settlement
        if maturity <= t_m - 1:
            acc.closed, end_m = True, maturity
    elif acc.kind == "R1" and open_m + 36 <= t_m - 1 and rnd.random() < 0.5:
        acc.closed, end_m = True, open_m + 36
    elif acc.kind in ("R2", "R3") and open_m + 6 < t_m - 1 and rnd.random() < 0.12:
        acc.closed, end_m = True, rnd.randint(open_m + 6, t_m - 1)
    if acc.closed:
        acc.close_month = acc.last_month = end_m
    else:
        acc.last_month = t_m if rnd.random() < 0.6 else t_m - 1


def _month_day(index: int, rnd: random.Random, latest: dt.date) -> dt.date:
    """A day in month ``index``, never after ``latest``."""
    day = month_start(index) + dt.timedelta(days=rnd.randint(0, 27))
    return min(day, latest, month_end(index))


def new_accounts(p: HouseholdProfile, rnd: random.Random) -> list[Account]:
    """Accounts of a household with credit history, oldest first, settled or open."""
    history = _history(p, rnd)
    out = _yearly_farmer_loans(p, history, rnd) if rnd.random() < 0.7 else []
    out += _other_accounts(p, history, rnd)
    if not out:
        out = [
            _new_account(
                _pick_product(p, rnd), p, _day_in(month_index(p.report_date) - history, rnd), rnd
            )
        ]
    out.sort(key=lambda a: a.open_date)
    for acc in out:
        _settle(acc, p, rnd)
    return out
