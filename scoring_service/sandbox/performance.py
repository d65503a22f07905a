"""Account performance: balances, card utilisation, the 24-month status window, current arrears.

Delinquency episodes start with monthly hazard ``sigmoid(-5.9 + 1.5 z + a_kind)`` and, once
started, roll one status up per month (1 = 1–30 days, ..., 7 = 180+ days) with probability
``min(0.85, sigmoid(-1.0 + 0.8 z))``, else cure. They are drawn only for months inside the 24
months ending at the report month (``T-23 .. T``), never before the month after opening, and
for closed accounts only before the closing month. An episode still running at an open
account's last report month is its current arrears (``PD01CS02``/``PD01CJ06``).
"""

from __future__ import annotations

import math
import random

from scoring_service.sandbox.accounts import Account, HouseholdProfile
from scoring_service.sandbox.months import month_index

__all__ = ["fill_performance"]

_KIND_HAZARD = {"D1": 0.0, "R4": -0.2, "R1": -0.2, "R2": 0.3, "R3": 0.3}


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _card_usage(acc: Account, p: HouseholdProfile, rnd: random.Random) -> None:
    mean = _sigmoid(-1.0 + 1.1 * p.z)
    util = rnd.betavariate(3.0 * mean, 3.0 * (1.0 - mean))
    if acc.closed:
        util = 0.0
    used = round(acc.amount * util / 10.0) * 10
    acc.balance = used
    acc.avg_used_6m = round(used * rnd.uniform(0.8, 1.1))
    acc.max_used = max(used, acc.avg_used_6m) + round(acc.amount * rnd.uniform(0.0, 0.2))
    acc.due = round(used * 0.1) if acc.kind == "R2" else 0


def _loan_balance(acc: Account, p: HouseholdProfile, rnd: random.Random) -> None:
    elapsed = acc.last_month - month_index(acc.open_date)
    if acc.kind == "R1":
        acc.balance = round(acc.amount * rnd.betavariate(2.0, 2.0) / 100.0) * 100
        acc.due = round(acc.balance * 0.005)
    elif acc.method == "11":
        remaining = max(acc.term - elapsed, 1)
        acc.balance = round(acc.amount * remaining / acc.term)
        acc.due = round(acc.amount / acc.term + acc.amount * 0.004)
    else:  # interest monthly, principal at maturity
        acc.balance = acc.amount
        acc.due = round(acc.amount * 0.005)
    if acc.closed:
        acc.balance = 0


def _base_status(acc: Account, month: int, open_m: int, rnd: random.Random) -> str:
    if month < open_m:
        return ""
    if acc.closed and month == acc.close_month:
        return "C"
    if month == open_m or (not acc.is_loan and acc.balance == 0):
        return "*"
    r = rnd.random()
    return "#" if r < 0.006 else "M" if r < 0.012 else "N"


def _delinquency(
    acc: Account, p: HouseholdProfile, first: int, last: int, rnd: random.Random
) -> dict[int, int]:
    """Month -> overdue status (1..7) for the months in ``first..last``."""
    start = _sigmoid(-5.9 + 1.5 * p.z + _KIND_HAZARD[acc.kind])
    roll = min(0.85, _sigmoid(-1.0 + 0.8 * p.z))
    state, out = 0, {}
    for month in range(first, last + 1):
        if state == 0:
            state = 1 if rnd.random() < start else 0
        else:
            state = min(state + 1, 7) if rnd.random() < roll else 0
        if state:
            out[month] = state
    return out


def fill_performance(acc: Account, p: HouseholdProfile, rnd: random.Random) -> None:
    """Balances, the 24-month window (``statuses``/``overdue``) and current arrears."""
    if acc.is_loan:
        _loan_balance(acc, p, rnd)
    else:
        _card_usage(acc, p, rnd)
    open_m, t_m = month_index(acc.open_date), month_index(p.report_date)
    first = max(open_m + 1, t_m - 23)
    last = acc.close_month - 1 if acc.closed else acc.last_month
    late = _delinquency(acc, p, first, last, rnd) if acc.is_loan or acc.balance > 0 else {}
    unit = max(acc.due, 100)
    acc.statuses, acc.overdue = [], []
    for month in range(acc.last_month - 23, acc.last_month + 1):
        status = late.get(month)
        if status:
            acc.statuses.append(str(status))
            acc.overdue.append(status * unit)
        else:
            acc.statuses.append(_base_status(acc, month, open_m, rnd))
            acc.overdue.append(0)
    if not acc.closed and acc.last_month in late:
        acc.cur_periods = late[acc.last_month]
        acc.cur_amt = acc.cur_periods * unit
