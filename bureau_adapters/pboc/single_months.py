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
        card = a.account_type in ("R2", "R3")
        hit = [False, False, False]
        runs: set[int] = set()
        t_midx, info_of = self.t_midx, _STATUS_INFO.get
        neutral_inside = False
        for midx, status in a.h24:
            info = info_of(status) or _status_info(status)
            if not info[0]:  # rank 0 (N, *, #, C ...): no flag, no delinquency, amount 0
                neutral_inside = neutral_inside or 0 <= t_midx - midx < 60
                continue
            if not 0 <= t_midx - midx < 60:  # outside every window: only the flags count
                self.bad = self.bad or info[2]
                self.recovery = self.recovery or info[3]
                continue
            self._row(midx, info, 0.0, card, hit)
            if info[0] and t_midx - midx < 24:
                self.n_delinq += info[1]
                runs.add(midx)
        if neutral_inside and (self.max_amount != self.max_amount or self.max_amount < 0.0):
            self.max_amount = 0.0  # the grid has no amount: np.nan_to_num makes it 0
        for midx, status, amount in a.h60:
            self._row(midx, info_of(status) or _status_info(status), _nan_to_num(amount), card, hit)
        for i in range(3):
            self.ever[i] += hit[i]
        if runs:
            self.longest = max(self.longest, _longest_run(runs))

    def _row(
        self,
        midx: int,
        info: tuple[int, bool, bool, bool],
        amount: float,
        card: bool,
        hit: list[bool],
    ) -> bool:
        """Count one monthly status; True when it lies in the 60-month window."""
        rank, _overdue, is_bad, is_recovery = info
        self.bad = self.bad or is_bad
        self.recovery = self.recovery or is_recovery
        age = self.t_midx - midx
        if age < 0 or age >= 60:
            return False
        if self.max_amount != self.max_amount or amount > self.max_amount:
            self.max_amount = amount
        rank_f = float(rank)
        worst = self.worst
        for i, window in enumerate((3, 6, 12, 24)):
            if age < window and rank_f > worst[i]:
                worst[i] = rank_f
        if age < 12:
            if card:
                self.worst_card = max(self.worst_card, rank_f)
            else:
                self.worst_loan = max(self.worst_loan, rank_f)
        if rank >= 1:
            hit[0] = hit[0] or age < 12
            hit[1] = hit[1] or age < 24
            hit[2] = True
            if self.last != self.last or age < self.last:
                self.last = age
        return True

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
