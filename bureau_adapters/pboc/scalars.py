"""Report-level PBOC features read straight from summaries and small units.

:func:`report_scalars` gives, for one report, every feature that needs no grouping over
records (and a few ``_``-prefixed parts that :mod:`bureau_adapters.pboc.features` combines).
Missing values are NaN; thin-file rules are those of the catalog.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from bureau_adapters.pboc.flatten import NAN, add_months
from bureau_adapters.pboc.models import CreditSummary, PersonalReport

__all__ = ["report_scalars"]

_NPL = {"3", "4", "5"}
_PD03_BAD_STATUS = {"1", "2", "3", "4", "5", "6", "7", "B"}


def _nz(value: float | int | None) -> float:
    return 0.0 if value is None else float(value)


def _num(value: float | int | None) -> float:
    return NAN if value is None else float(value)


def _ratio(num: float | None, den: float | None) -> float:
    if num is None or den is None or den <= 0:
        return NAN
    return float(num) / float(den)


_NO_SUMMARY = CreditSummary()  # frozen: one shared instance for reports without the unit


def _summary_values(s: CreditSummary | None) -> dict[str, float]:
    if s is None:
        s = _NO_SUMMARY
    d1, r4, r1, r2, r3 = s.d1, s.r4, s.r1, s.r2, s.r3
    # Sums in the order of sum() over the present units (loans, then cards for the limit).
    balance = limit = obligation = institutions = 0.0
    for x in (d1, r4, r1):
        if x:
            balance += _nz(x.balance)
            limit += _nz(x.total_limit)
            obligation += _nz(x.avg_due_6m)
            institutions += _nz(x.institution_count)
    for card in (r2, r3):
        if card:
            limit += _nz(card.total_limit)
    guarantee_amt = guarantee_bal = 0.0  # the sums of the guarantees, in their order
    for r in s.responsibilities:
        if str(r.responsibility) == "1":
            guarantee_amt += _nz(r.amount)
            guarantee_bal += _nz(r.balance)
    longest: float | None = None  # max() of the overdue rows: first of the largest
    largest: float | None = None
    for o in s.overdue:
        months, amount = _nz(o.longest_months), _nz(o.max_month_amount)
        if longest is None or months > longest:
            longest = months
        if largest is None or amount > largest:
            largest = amount
    return {
        "n_d1_open": _nz(d1.account_count) if d1 else 0.0,
        "n_r4_open": _nz(r4.account_count) if r4 else 0.0,
        "n_r1_open": _nz(r1.account_count) if r1 else 0.0,
        "n_r2_open": _nz(r2.account_count) if r2 else 0.0,
        "n_r3_open": _nz(r3.account_count) if r3 else 0.0,
        "loan_balance": balance,
        "total_limit": limit,
        "card_util": _ratio(r2.used, r2.total_limit) if r2 else NAN,
        "card_util_6m_avg": _ratio(r2.avg_used_6m, r2.total_limit) if r2 else NAN,
        "_obligation_summary": obligation,
        "n_institutions": institutions,
        "summary_longest_overdue": 0.0 if longest is None else longest,
        "summary_max_month_overdue_amt": 0.0 if largest is None else largest,
        "_bad_summary": float(_nz(s.bad_debt_accounts) > 0),
        "_recovery_summary": float(_nz(s.recovered_accounts) > 0),
        "guarantee_amt": guarantee_amt,
        "guarantee_bal": guarantee_bal,
    }


def _query_values(report: PersonalReport) -> dict[str, float]:
    q = report.query_summary
    if q is None:
        return dict(_NO_QUERY_SUMMARY)
    last = q.last_query_date
    return {
        "inq_loan_inst_1m": _nz(q.loan_institutions_1m),
        "inq_card_inst_1m": _nz(q.card_institutions_1m),
        "inq_loan_cnt_1m": _nz(q.loan_queries_1m),
        "inq_card_cnt_1m": _nz(q.card_queries_1m),
        "inq_self_1m": _nz(q.self_queries_1m),
        "inq_postloan_24m": _nz(q.postloan_queries_24m),
        "inq_guarantee_24m": _nz(q.guarantee_queries_24m),
        "days_since_last_query": float((report.report_date - last).days) if last else NAN,
    }


_NO_QUERY_SUMMARY = {
    **dict.fromkeys(
        (
            "inq_loan_inst_1m",
            "inq_card_inst_1m",
            "inq_loan_cnt_1m",
            "inq_card_cnt_1m",
            "inq_self_1m",
            "inq_postloan_24m",
            "inq_guarantee_24m",
        ),
        0.0,
    ),
    "days_since_last_query": NAN,
}


def _public_values(report: PersonalReport) -> dict[str, float]:
    summary = report.public_summary
    by_type: dict[str, float] = {}
    if summary is not None:
        for row in summary.rows:
            by_type[str(row.type)] = by_type.get(str(row.type), 0.0) + _nz(row.record_count)

    postpaid = report.postpaid_summary
    if postpaid is not None and postpaid.rows:
        arrears = sum(_nz(r.amount) for r in postpaid.rows)
    else:
        accounts = report.postpaid_accounts
        arrears = sum(_nz(a.arrears) for a in accounts) if accounts else 0
    # Most reports have no public record: the empty sums (0, as sum() gives) skip the
    # generators.
    judgments, enforcements, taxes = report.civil_judgments, report.enforcements, report.tax_arrears
    return {
        "n_civil_judgments": by_type["2"] if "2" in by_type else float(len(judgments)),
        "civil_judgment_amt": sum(_nz(r.amount) for r in judgments) if judgments else 0,
        "n_enforcements": by_type["3"] if "3" in by_type else float(len(enforcements)),
        "enforcement_amt": (
            sum(_nz(r.amount_applied) for r in enforcements) if enforcements else 0
        ),
        "n_tax_arrears": by_type["1"] if "1" in by_type else float(len(taxes)),
        "tax_arrears_amt": sum(_nz(r.amount) for r in taxes) if taxes else 0,
        "n_admin_penalties": (
            by_type["4"] if "4" in by_type else float(len(report.admin_penalties))
        ),
        "postpaid_arrears_amt": arrears,
    }


def _whole_years(start: date, end: date) -> float:
    return float(end.year - start.year - ((end.month, end.day) < (start.month, start.day)))


@lru_cache(maxsize=4096)
def _six_months_before(t: date) -> date:
    return add_months(t, -6)


def _profile_values(report: PersonalReport) -> dict[str, float]:
    t = report.report_date
    identity = report.identity
    birth = identity.birth_date if identity else None
    since = _six_months_before(t)
    phones = identity.phones if identity else ()
    occupations, funds = report.occupations, report.housing_fund
    joined = (
        next((o.year_joined for o in occupations if o.year_joined), None) if occupations else None
    )
    active = [h for h in funds if str(h.status) == "1"] if funds else []
    score = report.score
    try:
        percentile = float(score.percentile) if score and score.percentile else NAN
    except ValueError:
        percentile = NAN
    return {
        "age": _whole_years(birth, t) if birth else NAN,
        "mobiles_6m": (
            float(sum(1 for p in phones if p.updated and since <= p.updated <= t))
            if phones
            else 0.0
        ),
        "n_addresses": float(len(report.residences)),
        "years_at_employer": float(t.year - joined) if joined else NAN,
        "housing_fund_active": float(bool(active)),
        "housing_fund_monthly": sum(_nz(h.monthly_amount) for h in active) if active else 0,
        "crc_score": _num(score.score) if score else NAN,
        "crc_score_percentile": percentile,
    }


def _class_values(report: PersonalReport) -> dict[str, float]:
    npl = special = bad_guarantees = 0
    for a in report.accounts:
        c = str(a.five_class if a.five_class is not None else a.monthly_five_class)
        npl += c in _NPL
        special += c == "2"
    for r in report.related_repayments:
        c = str(r.five_class)
        npl += c in _NPL
        special += c == "2"
        bad_guarantees += (
            c in _NPL or str(r.repayment_status) in _PD03_BAD_STATUS or _nz(r.overdue_months) > 0
        )
    return {
        "npl_class_cnt": float(npl),
        "special_mention_cnt": float(special),
        "guarantee_bad_cnt": float(bad_guarantees),
    }


def report_scalars(report: PersonalReport) -> dict[str, float]:
    """Report-level feature values of one report (NaN for missing)."""
    summary = report.credit_summary
    out = _query_values(report)
    total = summary.account_total if summary is not None else None
    out["n_accounts"] = float(total) if total is not None else float(len(report.accounts))
    out.update(_summary_values(summary))
    out.update(_public_values(report))
    out.update(_profile_values(report))
    out.update(_class_values(report))
    return out
