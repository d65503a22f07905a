"""The documented latent risk model: observable risk drivers and the true 12-month PD.

The true PD is an additive logit of quantities anyone can compute from the household's
survey row, its PBOC report and its Qianhai results (definitions in ``docs/sandbox.md``)::

    logit(PD) = B0 + sum of the columns of logit_terms(frame)

The hidden character ``z`` only shapes *what the reports and survey show*; it never enters
the PD directly, so the PD is a function of observables and a scorecard can approach the
Bayes AUC.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from scoring_service.sandbox.bureau import BureauFacts
from scoring_service.sandbox.months import month_index, months_back

__all__ = ["B0", "DRIVER_COLUMNS", "bureau_drivers", "logit_terms", "true_pd"]

B0 = -4.15

DRIVER_COLUMNS = (
    "thin_file",
    "n_delinq_months_24m",
    "worst_status_24m",
    "cur_overdue_amt",
    "card_util",
    "inq_loan_cnt_3m",
    "inq_card_cnt_12m",
    "n_open_loans",
    "months_since_oldest_account",
)

_REVIEW = {"very_good": -0.35, "good": 0.0, "average": 0.30, "poor": 0.75}
_HEALTH = {"good": 0.0, "average": 0.08, "poor": 0.30}
_VILLAGE = {"credit_township": -0.20, "credit_village": -0.10, "ordinary": 0.0, "watchlist": 0.30}


def _count_since(facts: BureauFacts, reason: str, months: int) -> int:
    since = months_back(facts.report_date, months)
    return sum(
        1 for q in facts.queries if q.reason == reason and since <= q.date <= facts.report_date
    )


def bureau_drivers(facts: BureauFacts) -> dict[str, float]:
    """The PBOC risk drivers of one report, computed exactly as docs/sandbox.md defines them."""
    t_m = month_index(facts.report_date)
    delinq, worst = 0, 0
    for acc in facts.accounts:
        for offset, status in enumerate(acc.statuses):
            month = acc.last_month - 23 + offset
            if status.isdigit() and t_m - 23 <= month <= t_m:
                delinq += 1
                worst = max(worst, int(status))
    cards = [a for a in facts.accounts if a.kind == "R2" and not a.closed]
    limits = {a.agreement or id(a): a.amount for a in cards}
    limit = sum(limits.values())
    opens = [t_m - month_index(a.open_date) for a in facts.accounts]
    return {
        "thin_file": float(facts.thin_file),
        "n_delinq_months_24m": float(delinq),
        "worst_status_24m": float(worst),
        "cur_overdue_amt": float(sum(a.cur_amt for a in facts.accounts if not a.closed)),
        "card_util": sum(a.balance for a in cards) / limit if limit > 0 else math.nan,
        "inq_loan_cnt_3m": float(_count_since(facts, "02", 3)),
        "inq_card_cnt_12m": float(_count_since(facts, "03", 12)),
        "n_open_loans": float(sum(1 for a in facts.accounts if a.is_loan and not a.closed)),
        "months_since_oldest_account": float(max(opens)) if opens else math.nan,
    }


def _mapped(values: pd.Series, table: dict[str, float]) -> np.ndarray:
    return values.map(table).to_numpy(dtype=float)


def logit_terms(frame: pd.DataFrame) -> pd.DataFrame:
    """Each additive term of the logit, one column per term (rows = households).

    ``frame`` holds the survey columns, the PBOC drivers and ``qh_credoo_score`` /
    ``qh_dishonest_debtor``.
    """
    income = (frame[[c for c in frame.columns if c.startswith("income_")]]).sum(axis=1)
    expense = (frame[[c for c in frame.columns if c.startswith("expense_")]]).sum(axis=1)
    debt = frame["debt_this_bank"] + frame["debt_other_banks"] + frame["debt_informal"]
    dti = (debt / np.maximum(income, 1_000.0)).to_numpy()
    util = np.nan_to_num(np.minimum(frame["card_util"].to_numpy(dtype=float), 1.2), nan=0.0)
    msoa = np.nan_to_num(frame["months_since_oldest_account"].to_numpy(dtype=float), nan=0.0)
    score = frame["qh_credoo_score"].to_numpy(dtype=float)
    terms = {
        "age": 0.0016 * (frame["head_age"].to_numpy(dtype=float) - 45.0) ** 2,
        "thin_file": 0.40 * frame["thin_file"].to_numpy(dtype=float),
        "delinquency": 0.85 * np.log1p(frame["n_delinq_months_24m"].to_numpy(dtype=float)),
        "severity": 0.45 * (frame["worst_status_24m"].to_numpy(dtype=float) >= 3),
        "current_overdue": 0.90 * (frame["cur_overdue_amt"].to_numpy(dtype=float) > 0),
        "card_util": 1.30 * util**2,
        "loan_queries": 0.28 * np.minimum(frame["inq_loan_cnt_3m"].to_numpy(dtype=float), 6.0),
        "card_queries": 0.12 * np.minimum(frame["inq_card_cnt_12m"].to_numpy(dtype=float), 5.0),
        "open_loans": 0.12 * np.maximum(frame["n_open_loans"].to_numpy(dtype=float) - 2.0, 0.0),
        "history": -0.004 * np.minimum(msoa, 120.0),
        "qianhai_score": np.where(np.isnan(score), 0.25, -0.005 * (score - 600.0)),
        "dishonest_debtor": 1.0 * frame["qh_dishonest_debtor"].to_numpy(dtype=float),
        "debt_to_income": 0.55 * np.log1p(dti),
        "high_interest": 0.55 * frame["informal_high_interest"].to_numpy(dtype=float),
        "bad_habits": 0.75 * frame["bad_habits"].to_numpy(dtype=float),
        "village_review": _mapped(frame["village_review"], _REVIEW),
        "health": _mapped(frame["health"], _HEALTH),
        "village_status": _mapped(frame["credit_village_status"], _VILLAGE),
        "negative_net_income": 0.35 * (income - expense < 0).to_numpy(dtype=float),
    }
    return pd.DataFrame(terms, index=frame.index)


def true_pd(frame: pd.DataFrame) -> np.ndarray:
    """``sigmoid(B0 + sum of logit_terms(frame))``."""
    logit = B0 + logit_terms(frame).sum(axis=1).to_numpy()
    return 1.0 / (1.0 + np.exp(-logit))
