"""The monthly-status features of one report in plain Python (part of
:mod:`bureau_adapters.pboc.single`): worst statuses by window, delinquent months and
accounts, the longest delinquent run, the largest overdue amount in 60 months, and the
bad-debt and recovery flags the histories carry.

Same definitions, bit for bit, as ``_status_features`` of
:mod:`bureau_adapters.pboc.features` (the numpy batch path for typed reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bureau_adapters.pboc.flatten import _STATUS_INFO, NAN, _status_info

if TYPE_CHECKING:
    from bureau_adapters.pboc.single import AccountRows

__all__ = ["status_values"]

_FMAX = float(np.finfo(np.float64).max)  # what np.nan_to_num makes of +inf


class _Months:
    """Accumulators of the monthly-status features over a report's accounts."""

    def __init__(self, t_midx: int) -> None:
        self.t_midx = t_midx
        self.worst = [0.0, 0.0, 0.0, 0.0]  # 3, 6, 12, 24 months (0 when nothing inside)
        self.worst_loan = self.worst_card = 0.0
        self.n_delinq = self.longest = 0
        self.ever = [0, 0, 0]  # accounts delinquent in 12, 24, 60 months
        self.last = NAN
        self.max_amount = NAN
        self.bad = self.recovery = False

    def add(self, a: AccountRows) -> None:
        t_midx, info_of = self.t_midx, _STATUS_INFO.get
        bad, recovery, max_amount = self.bad, self.recovery, self.max_amount
        inside: list[tuple[int, int]] = []  # (age, rank) of the statuses in 60 months
        runs: set[int] = set()
        grid_inside = False  # a grid status in 60 months: its amount counts as 0
        for midx, status in a.h24:
            info = info_of(status) or _status_info(status)
            age = t_midx - midx
            if not info[0]:  # rank 0 (N, *, #, C ...): no flag, no delinquency, amount 0
                grid_inside = grid_inside or 0 <= age < 60
                continue
            bad = bad or info[2]
            recovery = recovery or info[3]
            if 0 <= age < 60:
                grid_inside = True
                inside.append((age, info[0]))
                if age < 24:
                    self.n_delinq += info[1]
                    runs.add(midx)
        if grid_inside and (max_amount != max_amount or max_amount < 0.0):
            max_amount = 0.0  # the grid has no amount: np.nan_to_num makes it 0
        for midx, status, amount in a.h60:
            info = info_of(status) or _status_info(status)
            bad = bad or info[2]
            recovery = recovery or info[3]
            age = t_midx - midx
            if 0 <= age < 60:
                value = _nan_to_num(amount)
                if max_amount != max_amount or value > max_amount:
                    max_amount = value
                inside.append((age, info[0]))
        self.bad, self.recovery, self.max_amount = bad, recovery, max_amount
        if inside:
            self._count(inside, a.account_type in ("R2", "R3"))
        if runs:
            self.longest = max(self.longest, _longest_run(runs))

    def _count(self, inside: list[tuple[int, int]], card: bool) -> None:
        """Worst statuses, delinquent accounts and the last delinquency of one account's
        statuses in 60 months (order does not matter: maxima, minima and flags)."""
        worst = self.worst
        side = 0.0
        last = self.last
        hit12 = hit24 = hit60 = False
        for age, rank in inside:
            rank_f = float(rank)
            if age < 24:
                if rank_f > worst[3]:
                    worst[3] = rank_f
                if age < 12:
                    if rank_f > worst[2]:
                        worst[2] = rank_f
                    if rank_f > side:
                        side = rank_f
                    if age < 6:
                        if rank_f > worst[1]:
                            worst[1] = rank_f
                        if age < 3 and rank_f > worst[0]:
                            worst[0] = rank_f
            if rank >= 1:
                hit12 = hit12 or age < 12
                hit24 = hit24 or age < 24
                hit60 = True
                if last != last or age < last:
                    last = age
        if card:
            self.worst_card = max(self.worst_card, side)
        else:
            self.worst_loan = max(self.worst_loan, side)
        self.last = last
        ever = self.ever
        ever[0] += hit12
        ever[1] += hit24
        ever[2] += hit60

    def values(self) -> dict[str, float]:
        worst = self.worst
        return {
            "worst_status_3m": worst[0],
            "worst_status_6m": worst[1],
            "worst_status_12m": worst[2],
            "worst_status_24m": worst[3],
            "worst_loan_status_12m": self.worst_loan,
            "worst_card_status_12m": self.worst_card,
            "n_delinq_months_24m": float(self.n_delinq),
            "n_accounts_ever_delinq_12m": float(self.ever[0]),
            "n_accounts_ever_delinq_24m": float(self.ever[1]),
            "n_accounts_ever_delinq_60m": float(self.ever[2]),
            "months_since_last_delinq": float(self.last),
            "max_overdue_amt_60m": 0.0 if self.max_amount != self.max_amount else self.max_amount,
            "max_consecutive_delinq_24m": float(self.longest),
            "_bad_months": float(self.bad),
            "_recovery_months": float(self.recovery),
        }


def status_values(accounts: Sequence[AccountRows], t_midx: int) -> dict[str, float]:
    months = _Months(t_midx)
    for a in accounts:
        months.add(a)
    return months.values()


def _nan_to_num(value: float) -> float:
    if value != value:
        return 0.0
    return _FMAX if value > _FMAX else -_FMAX if value < -_FMAX else value


def _longest_run(months: set[int]) -> int:
    best = run = 0
    previous = None
    for midx in sorted(months):
        run = run + 1 if previous is not None and midx == previous + 1 else 1
        best = max(best, run)
        previous = midx
    return best
