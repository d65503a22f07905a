"""Typed, frozen models of the PBOC personal credit report (个人信用报告, §2).

One dataclass per unit or record; the field metadata (see :mod:`bureau_adapters.pboc.schema`)
names the element each value comes from. Conventions:

* every value is optional: missing elements and null markers (empty, ``--``, ``0000-00``,
  ``null``) read as ``None``; repeating groups are tuples (also when the report has one
  element);
* codes are :class:`~bureau_adapters.pboc.codes.CodeTable` members when the code is known
  (they compare equal to the code string) and the raw string otherwise;
* dates are :class:`datetime.date`; months are the first day of the month; money is
  ``float`` yuan; counts are ``int``.
"""

# The field helpers item()/group() return dataclasses.field(...) with metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from bureau_adapters.pboc import codes as c
from bureau_adapters.pboc import records as r
from bureau_adapters.pboc.schema import group, item, items

__all__ = [
    "CreditSummary",
    "Header",
    "Identity",
    "PersonalReport",
    "QuerySummary",
    "Score",
]

_F = {"frozen": True, "slots": True}


@dataclass(**_F)
class OtherId:
    id_type: str | None = item("PA01CD01", "code", c.IdType)
    id_number: str | None = item("PA01CI01")


@dataclass(**_F)
class FraudAlert:
    flag: str | None = item("PA01DQ01")
    phone: str | None = item("PA01DQ02")
    start_date: date | None = item("PA01DR01", "date")
    end_date: date | None = item("PA01DR02", "date")


@dataclass(**_F)
class Header:
    """报告头 ``PRH/PA01``."""

    report_id: str | None = item("PA01A/PA01AI01")
    report_time: datetime | None = item("PA01A/PA01AR01", "datetime")
    subject_name: str | None = item("PA01B/PA01BQ01")
    id_type: str | None = item("PA01B/PA01BD01", "code", c.IdType)
    id_number: str | None = item("PA01B/PA01BI01")
    querying_institution: str | None = item("PA01B/PA01BI02")
    query_user: str | None = item("PA01B/PA01BI03")
    query_reason: str | None = item("PA01B/PA01BD02", "code", c.QueryReason)
    other_id_count: int | None = item("PA01C/PA01CS01", "count")
    other_ids: tuple[OtherId, ...] = group("PA01C/PA01CH", OtherId, many=True)
    fraud_alert: FraudAlert | None = group("PA01D", FraudAlert)
    objection_count: int | None = item("PA01E/PA01ES01", "count")


@dataclass(**_F)
class Phone:
    number: str | None = item("PB01BQ01")
    updated: date | None = item("PB01BR01", "date")


@dataclass(**_F)
class Identity:
    """身份信息 ``PIM/PB01``."""

    sex: str | None = item("PB01A/PB01AD01", "code", c.Sex)
    birth_date: date | None = item("PB01A/PB01AR01", "date")
    education: str | None = item("PB01A/PB01AD02", "code", c.Education)
    degree: str | None = item("PB01A/PB01AD03")
    employment_status: str | None = item("PB01A/PB01AD04", "code", c.EmploymentStatus)
    email: str | None = item("PB01A/PB01AQ01")
    mailing_address: str | None = item("PB01A/PB01AQ02")
    nationality: str | None = item("PB01A/PB01AD05")
    household_address: str | None = item("PB01A/PB01AQ03")
    phone_count: int | None = item("PB01B/PB01BS01", "count")
    phones: tuple[Phone, ...] = group("PB01B/PB01BH", Phone, many=True)


@dataclass(**_F)
class Marriage:
    """婚姻信息 ``PMM/PB02``."""

    status: str | None = item("PB020D01", "code", c.MaritalStatus)
    spouse_name: str | None = item("PB020Q01")
    spouse_id_type: str | None = item("PB020D02", "code", c.IdType)
    spouse_id_number: str | None = item("PB020I01")
    spouse_employer: str | None = item("PB020Q02")
    spouse_phone: str | None = item("PB020Q03")


@dataclass(**_F)
class Residence:
    """居住信息 ``PRM/PB03``."""

    status: str | None = item("PB030D01", "code", c.ResidenceStatus)
    address: str | None = item("PB030Q01")
    phone: str | None = item("PB030Q02")
    updated: date | None = item("PB030R01", "date")


@dataclass(**_F)
class Occupation:
    """职业信息 ``POM/PB04``."""

    employment_status: str | None = item("PB040D01", "code", c.EmploymentStatus)
    employer: str | None = item("PB040Q01")
    employer_type: str | None = item("PB040D02")
    industry: str | None = item("PB040D03")
    employer_address: str | None = item("PB040Q02")
    employer_phone: str | None = item("PB040Q03")
    occupation: str | None = item("PB040D04")
    post: str | None = item("PB040D05")
    title: str | None = item("PB040D06")
    year_joined: int | None = item("PB040R01", "year")
    updated: date | None = item("PB040R02", "date")


@dataclass(**_F)
class Score:
    """数字解读 ``PSM/PC01``: score 0–1000 (``None`` for ``--``) and percentile."""

    score: int | None = item("PC010Q01", "count")
    percentile: str | None = item("PC010Q02")
    explanation_count: int | None = item("PC010S01", "count")
    explanation_codes: tuple[str, ...] = items("PC010D01")


@dataclass(**_F)
class AccountHint:
    business_type: str | None = item("PC02AD01")
    category: str | None = item("PC02AD02")
    account_count: int | None = item("PC02AS03", "count")
    first_month: date | None = item("PC02AR01", "month")


@dataclass(**_F)
class RecoveredSummary:
    type: str | None = item("PC02BD01")
    account_count: int | None = item("PC02BS03", "count")
    balance: float | None = item("PC02BJ02", "amount")


@dataclass(**_F)
class OverdueSummary:
    account_type: str | None = item("PC02DD01", "code", c.SummaryAccountType)
    account_count: int | None = item("PC02DS02", "count")
    month_count: int | None = item("PC02DS03", "count")
    max_month_amount: float | None = item("PC02DJ01", "amount")
    longest_months: int | None = item("PC02DS04", "count")


@dataclass(**_F)
class LoanOutstanding:
    """Open D1 (``PC02E``), R4 (``PC02F``) or R1 (``PC02G``) accounts."""

    institution_count: int | None = item("+S01", "count")
    account_count: int | None = item("+S02", "count")
    total_limit: float | None = item("+J01", "amount")
    balance: float | None = item("+J02", "amount")
    avg_due_6m: float | None = item("+J03", "amount")


@dataclass(**_F)
class CardOutstanding:
    """Open R2 (``PC02H``) or R3 (``PC02I``) accounts."""

    issuer_count: int | None = item("+S01", "count")
    account_count: int | None = item("+S02", "count")
    total_limit: float | None = item("+J01", "amount")
    max_limit: float | None = item("+J02", "amount")
    min_limit: float | None = item("+J03", "amount")
    used: float | None = item("+J04", "amount")
    avg_used_6m: float | None = item("+J05", "amount")


@dataclass(**_F)
class ResponsibilitySummary:
    borrower_kind: str | None = item("PC02KD01")
    responsibility: str | None = item("PC02KD02")
    account_count: int | None = item("PC02KS02", "count")
    amount: float | None = item("PC02KJ01", "amount")
    balance: float | None = item("PC02KJ02", "amount")


@dataclass(**_F)
class CreditSummary:
    """信贷交易信息概要 ``PCO/PC02``."""

    account_total: int | None = item("PC02A/PC02AS01", "count")
    business_type_count: int | None = item("PC02A/PC02AS02", "count")
    hints: tuple[AccountHint, ...] = group("PC02A/PC02AH", AccountHint, many=True)
    recovered_accounts: int | None = item("PC02B/PC02BS01", "count")
    recovered_balance: float | None = item("PC02B/PC02BJ01", "amount")
    recovered_type_count: int | None = item("PC02B/PC02BS02", "count")
    recovered: tuple[RecoveredSummary, ...] = group("PC02B/PC02BH", RecoveredSummary, many=True)
    bad_debt_accounts: int | None = item("PC02C/PC02CS01", "count")
    bad_debt_balance: float | None = item("PC02C/PC02CJ01", "amount")
    overdue_type_count: int | None = item("PC02D/PC02DS01", "count")
    overdue: tuple[OverdueSummary, ...] = group("PC02D/PC02DH", OverdueSummary, many=True)
    d1: LoanOutstanding | None = group("PC02E", LoanOutstanding)
    r4: LoanOutstanding | None = group("PC02F", LoanOutstanding)
    r1: LoanOutstanding | None = group("PC02G", LoanOutstanding)
    r2: CardOutstanding | None = group("PC02H", CardOutstanding)
    r3: CardOutstanding | None = group("PC02I", CardOutstanding)
    responsibility_count: int | None = item("PC02K/PC02KS01", "count")
    responsibilities: tuple[ResponsibilitySummary, ...] = group(
        "PC02K/PC02KH", ResponsibilitySummary, many=True
    )


@dataclass(**_F)
class TypedTotal:
    """One row of the post-paid (``PC030H``) or public-record (``PC040H``) summary."""

    type: str | None = item("~D01")
    record_count: int | None = item("~S02", "count")
    amount: float | None = item("~J01", "amount")


@dataclass(**_F)
class PostpaidSummary:
    """非信贷交易信息概要 ``PNO/PC03``."""

    type_count: int | None = item("PC030S01", "count")
    rows: tuple[TypedTotal, ...] = group("PC030H", TypedTotal, many=True)


@dataclass(**_F)
class PublicSummary:
    """公共信息概要 ``PPO/PC04`` (types: :class:`~bureau_adapters.pboc.codes.PublicRecordType`)."""

    type_count: int | None = item("PC040S01", "count")
    rows: tuple[TypedTotal, ...] = group("PC040H", TypedTotal, many=True)


@dataclass(**_F)
class QuerySummary:
    """查询记录概要 ``PQO/PC05``."""

    last_query_date: date | None = item("PC05A/PC05AR01", "date")
    last_institution_type: str | None = item("PC05A/PC05AD01", "code", c.InstitutionType)
    last_institution: str | None = item("PC05A/PC05AI01")
    last_reason: str | None = item("PC05A/PC05AQ01", "code", c.QueryReason)
    loan_institutions_1m: int | None = item("PC05B/PC05BS01", "count")
    card_institutions_1m: int | None = item("PC05B/PC05BS02", "count")
    loan_queries_1m: int | None = item("PC05B/PC05BS03", "count")
    card_queries_1m: int | None = item("PC05B/PC05BS04", "count")
    self_queries_1m: int | None = item("PC05B/PC05BS05", "count")
    postloan_queries_24m: int | None = item("PC05B/PC05BS06", "count")
    guarantee_queries_24m: int | None = item("PC05B/PC05BS07", "count")
    merchant_queries_24m: int | None = item("PC05B/PC05BS08", "count")


@dataclass(**_F)
class PersonalReport:
    """个人信用报告: the whole personal report, one field per information unit (§2).

    ``report_id`` (the 22-digit report number) and ``report_date`` (the date of the report
    time, T of every feature window) are always present: the parser refuses a report
    without them. ``warnings`` lists values the parser read as missing because they were
    not valid for their kind (e.g. ``PA01DR01: '1' is not a date``), never the values of
    names or ID numbers.
    """

    report_id: str
    report_date: date
    header: Header | None = group("PRH/PA01", Header)
    identity: Identity | None = group("PIM/PB01", Identity)
    marriage: Marriage | None = group("PMM/PB02", Marriage)
    residences: tuple[Residence, ...] = group("PRM/PB03", Residence, many=True)
    occupations: tuple[Occupation, ...] = group("POM/PB04", Occupation, many=True)
    score: Score | None = group("PSM/PC01", Score)
    credit_summary: CreditSummary | None = group("PCO/PC02", CreditSummary)
    postpaid_summary: PostpaidSummary | None = group("PNO/PC03", PostpaidSummary)
    public_summary: PublicSummary | None = group("PPO/PC04", PublicSummary)
    query_summary: QuerySummary | None = group("PQO/PC05", QuerySummary)
    accounts: tuple[r.LoanAccount, ...] = group("PDA/PD01", r.LoanAccount, many=True)
    credit_agreements: tuple[r.CreditAgreement, ...] = group(
        "PCA/PD02", r.CreditAgreement, many=True
    )
    related_repayments: tuple[r.RelatedRepayment, ...] = group(
        "PCR/PD03", r.RelatedRepayment, many=True
    )
    postpaid_accounts: tuple[r.PostpaidAccount, ...] = group(
        "PND/PE01", r.PostpaidAccount, many=True
    )
    tax_arrears: tuple[r.TaxArrear, ...] = group("POT/PF01", r.TaxArrear, many=True)
    civil_judgments: tuple[r.CivilJudgment, ...] = group("PCJ/PF02", r.CivilJudgment, many=True)
    enforcements: tuple[r.Enforcement, ...] = group("PCE/PF03", r.Enforcement, many=True)
    admin_penalties: tuple[r.AdminPenalty, ...] = group("PAP/PF04", r.AdminPenalty, many=True)
    housing_fund: tuple[r.HousingFund, ...] = group("PHF/PF05", r.HousingFund, many=True)
    assistance: tuple[r.Assistance, ...] = group("PBS/PF06", r.Assistance, many=True)
    qualifications: tuple[r.Qualification, ...] = group("PPQ/PF07", r.Qualification, many=True)
    awards: tuple[r.Award, ...] = group("PAH/PF08", r.Award, many=True)
    annotations: tuple[r.ReportAnnotation, ...] = group("POS/PG01", r.ReportAnnotation, many=True)
    queries: tuple[r.QueryRecord, ...] = group("POQ/PH01", r.QueryRecord, many=True)
    warnings: tuple[str, ...] = ()

    kind: ClassVar[str] = "personal"
    schema_version: ClassVar[str] = "pboc-personal/1"
