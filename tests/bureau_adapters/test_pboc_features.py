"""PBOC features: hand-checked values of the shared sample, thin files, windows from T,
and the vectorised frame equal to the one-report path.

Expected values were worked out by hand from the decoded sample (report date T =
2017-12-21); each comment shows the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from bureau_adapters.catalog import load_catalog
from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc import PersonalReport, parse_report
from bureau_adapters.pboc.features import FEATURE_NAMES, features_frame, personal_features
from bureau_adapters.pboc.models import Header, QuerySummary
from bureau_adapters.pboc.records import LoanAccount, MonthStatus, QueryRecord


def _sample(pboc_fixtures: Path) -> PersonalReport:
    report = parse_report((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())
    assert isinstance(report, PersonalReport)
    return report


def _report(t: date, **fields: object) -> PersonalReport:
    header = Header(report_id="R1", report_time=datetime.combine(t, datetime.min.time()))
    return PersonalReport(report_id="R1", report_date=t, header=header, **fields)  # type: ignore[arg-type]


HAND_CHECKED = {
    "inq_postloan_24m": 2,  # PC05BS06
    "inq_loan_cnt_1m": 0,  # PC05BS03
    "inq_loan_cnt_12m": 0,  # the one PH01 is reason 01 of 2015-11, outside 12m anyway
    "days_since_last_query": -496.0,  # PC05AR01 2019-05(-01) lies after T: 2017-12-21 - 2019-05-01
    "n_accounts": 129,  # PC02AS01
    "n_r2_open": 17,  # PC02HS02
    "loan_balance": 292214.0,  # 30210 + 132002 + 130002
    "total_limit": 1700500.0,  # 480500 + 480000 + 540000 + 100000 + 100000
    "card_util": 0.06209,  # 6209 / 100000
    "card_util_6m_avg": 0.07376,  # 7376 / 100000
    "card_util_max": 3000 / 70000,  # PD01CJ02 / PD01AJ02 of the one R2
    "monthly_obligation": 194054.0,  # 18000 + 36102 + 129952 + max(10000, 366.7)
    "n_open_cards": 1,  # status 1 (normal) is open
    "n_open_loans": 0,
    "months_since_oldest_account": 35.0,  # 2015-01 → 2017-12
    "n_institutions": 3,  # 1 + 1 + 1
    "cur_overdue_amt": 11000.0,  # PD01CJ06
    "max_cur_overdue_periods": 4,  # PD01CS02
    "worst_status_24m": 6,  # grid months 2016-01..2017-12: max of 1, 3, 6, 6, 6, 5, 6
    "worst_status_12m": 6,  # 2017-01..2017-12: 6, 6, 6, 5, 6
    "worst_status_6m": 0,  # 2017-07..2017-12: no month shown
    "worst_card_status_12m": 6,
    "worst_loan_status_12m": 0,
    "n_delinq_months_24m": 7,  # 2016-11, 2016-12, 2017-01..05
    "max_consecutive_delinq_24m": 7,  # the same seven months are consecutive
    "n_accounts_ever_delinq_60m": 1,
    "months_since_last_delinq": 7.0,  # 2017-05 → 2017-12
    "max_overdue_amt_60m": 200.0,  # PD01EJ01 100 and 200
    "summary_longest_overdue": 7,  # max PC02DS04
    "summary_max_month_overdue_amt": 120000.0,  # max PC02DJ01
    "has_bad_debt": 1,  # PC02CS01 = 16 (and status B in 2015-04)
    "has_recovery": 1,  # PC02BS01 = 5
    "npl_class_cnt": 6,  # PD03AD05: 5, 5, 5, 5, 1, 5, 5
    "guarantee_amt": 111878.0,  # KD02 = 1 rows: 110000 + 1878.00
    "guarantee_bal": 1187.8,  # 1000 + 187.80
    "guarantee_bad_cnt": 7,  # every PD03 has PD03AS01 = 6 > 0
    "special_trans_cnt_24m": 0,  # the extension (PD01FD01 1) is dated 2009-12
    "n_civil_judgments": 1,  # PC040H type 2: PC040S02 = 1
    "tax_arrears_amt": 1200.0,  # PF01AJ01
    "postpaid_arrears_amt": 188.0,  # PC030J01
    "age": 47.0,  # 1970-01-01 → 2017-12-21
    "mobiles_6m": 0,  # PB01BR01 2017-01-14 is before 2017-06-21
    "years_at_employer": 17.0,  # 2017 - PB040R01 2000
    "housing_fund_active": 1,  # PF05AD01 = 1
    "housing_fund_monthly": 1000.0,  # PF05AJ01
    "crc_score": 3.0,  # PC010Q01
    "rural_inst_share": 0.0,  # PD01AD02 is "1", not 12
    "inq_volatility_24m": None,  # no application query at all
}


def test_hand_checked_values_of_the_sample(pboc_fixtures: Path) -> None:
    features = personal_features(_sample(pboc_fixtures))
    assert list(features) == FEATURE_NAMES
    for name, expected in HAND_CHECKED.items():
        if expected is None:
            assert features[name] is None, name
        else:
            assert features[name] == pytest.approx(expected), name


def test_at_least_the_doc_features_are_catalogued() -> None:
    catalog = load_catalog()
    doc_names = {
        "inq_loan_cnt_1m", "inq_loan_cnt_3m", "n_accounts", "n_open_loans", "loan_balance",
        "card_util", "cur_overdue_amt", "worst_status_24m", "n_delinq_months_24m",
        "has_bad_debt", "months_since_oldest_account", "n_farmer_loans",
        "joint_guarantee_loans", "rural_inst_share", "days_since_last_query",
    }  # fmt: skip
    assert doc_names <= set(catalog.names("pboc"))
    assert len(FEATURE_NAMES) >= 48 + 3
    assert catalog.names("pboc") == FEATURE_NAMES  # catalog order is column order


def test_thin_file_gives_defined_values() -> None:
    features = personal_features(_report(date(2024, 6, 30)))
    nullable = {s.name for s in load_catalog().specs("pboc") if s.missing.startswith("None")}
    for name, value in features.items():
        if name in nullable:
            assert value is None, name
        else:
            assert value == 0, name


def test_windows_count_back_from_the_report_date_not_today() -> None:
    t = date(2020, 3, 31)
    queries = tuple(
        QueryRecord(query_date=d, reason="02", institution=i, institution_type="25")
        for d, i in [
            (date(2020, 3, 31), "A"),  # T itself: inside 1m
            (date(2020, 2, 29), "A"),  # T - 1 month (clamped day): inside 1m
            (date(2020, 2, 28), "B"),  # before it: 3m only
            (date(2019, 12, 31), "C"),  # T - 3 months exactly: inside 3m
            (date(2019, 9, 30), "C"),  # 6m boundary
            (date(2020, 4, 1), "D"),  # after T: never counted
        ]
    )  # fmt: skip
    f = personal_features(_report(t, queries=queries, query_summary=QuerySummary()))
    assert (f["inq_apply_cnt_1m"], f["inq_apply_cnt_3m"], f["inq_apply_cnt_6m"]) == (2, 4, 5)
    assert f["inq_nonbank_cnt_1m"] == 2
    assert f["inq_org_cnt_6m"] == 3
    assert f["inq_loan_cnt_12m"] == 5
    # 6-month buckets over 24m: [5, 0, 0, 0] → std 2.165 / mean 1.25
    assert f["inq_volatility_24m"] == pytest.approx(np.std([5, 0, 0, 0]) / 1.25)


def test_farmer_features() -> None:
    t = date(2024, 12, 31)
    accounts = (
        LoanAccount(account_type="D1", business_kind="51", guarantee="7", institution_type="12",
                    status="1", balance=30000.0, open_date=date(2024, 10, 15)),
        LoanAccount(account_type="D1", business_kind="52", status="3", balance=0.0,
                    open_date=date(2019, 3, 1)),
        LoanAccount(account_type="R2", business_kind="81", institution_type="11", status="1",
                    used_limit=9000.0, credit_limit=10000.0, open_date=date(2022, 1, 5)),
    )  # fmt: skip
    f = personal_features(_report(t, accounts=accounts))
    assert (f["n_farmer_loans"], f["n_farmer_loans_open"], f["farmer_loan_balance"]) == (
        2,
        1,
        30000.0,
    )
    assert f["joint_guarantee_loans"] == 1
    assert f["rural_inst_share"] == pytest.approx(1 / 3)
    assert (f["n_open_loans"], f["n_open_cards"], f["card_high_util_cnt"]) == (1, 1, 1)
    assert f["card_util_max"] == pytest.approx(0.9)
    assert (f["months_since_oldest_account"], f["months_since_newest_account"]) == (69.0, 2.0)
    assert (f["new_accounts_3m"], f["new_accounts_6m"]) == (1, 1)


def test_status_ranks_and_runs() -> None:
    t = date(2024, 12, 31)
    grid = tuple(
        MonthStatus(month=date(2024, m, 1), status=s)
        for m, s in zip(range(1, 13), "NN12N3BNNDNN", strict=True)
    )
    f = personal_features(_report(t, accounts=(LoanAccount(account_type="D1", history_24m=grid),)))
    assert f["worst_status_24m"] == 7  # B ranks 7
    assert f["worst_status_3m"] == 3  # Oct–Dec: D (rank 3) in October
    assert f["n_delinq_months_24m"] == 3  # 1, 2, 3 (B and D are not 1–7)
    assert f["max_consecutive_delinq_24m"] == 2  # Mar–Apr (1, 2) and Jun–Jul (3, B)
    assert f["has_bad_debt"] == 1
    assert f["has_recovery"] == 1
    assert f["months_since_last_delinq"] == 2.0  # October (D ranks 3)


def test_frame_equals_the_one_report_path(pboc_fixtures: Path) -> None:
    sample = _sample(pboc_fixtures)
    t = date(2024, 12, 31)
    thin = _report(t)
    farmer = _report(
        t, accounts=(LoanAccount(account_type="D1", business_kind="53", status="1", balance=5.0),)
    )
    reports = [sample, thin, farmer, replace(sample, report_id="X")]
    frame = features_frame(reports)
    assert list(frame.columns) == FEATURE_NAMES
    assert list(frame.index) == [r.report_id for r in reports]
    for row, report in zip(frame.itertuples(index=False), reports, strict=True):
        single = personal_features(report)
        for name, value in zip(FEATURE_NAMES, row, strict=True):
            expected = single[name]
            if expected is None:
                assert math.isnan(value), name
            else:
                assert value == expected, name


def test_features_refuse_enterprise_reports(pboc_fixtures: Path) -> None:
    enterprise = parse_report((pboc_fixtures / "enterprise_envelope.xml").read_bytes())
    with pytest.raises(MalformedReportError, match="need a PersonalReport") as info:
        personal_features(enterprise)  # type: ignore[arg-type]
    assert info.value.code == "PBOC_NOT_PERSONAL"
