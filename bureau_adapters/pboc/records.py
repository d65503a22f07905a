"""Typed record models of the personal report: accounts (``PD01``), credit agreements
(``PD02``), related repayment responsibilities (``PD03``), post-paid accounts (``PE01``),
public records (``PF01``–``PF08``), annotations (``PG01``) and query records (``PH01``).

Each record flattens its sub-segments (``PD01A``/``PD01B``/``PD01C``) into one dataclass,
prefixing the names that would collide (``status`` of ``PD01B`` vs ``monthly_status`` of
``PD01C``). Conventions as in :mod:`bureau_adapters.pboc.models`.
"""

# The field helpers item()/group() return dataclasses.field(...) with metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bureau_adapters.pboc import codes as c
from bureau_adapters.pboc.schema import group, item

__all__ = [
    "AdminPenalty",
    "Annotation",
    "Assistance",
    "Award",
    "CivilJudgment",
    "CreditAgreement",
    "Enforcement",
    "HousingFund",
    "LargeInstalment",
    "LoanAccount",
    "MonthRecord",
    "MonthStatus",
    "PostpaidAccount",
    "Qualification",
    "QueryRecord",
    "RelatedRepayment",
    "ReportAnnotation",
    "SpecialEvent",
    "SpecialTransaction",
    "TaxArrear",
]

_F = {"frozen": True, "slots": True}


@dataclass(**_F)
class Annotation:
    """标注及声明: one annotation or declaration (``…ZH``)."""

    type: str | None = item("~D01", "code", c.AnnotationType)
    content: str | None = item("~Q01")
    date_added: date | None = item("~R01", "date")


@dataclass(**_F)
class MonthStatus:
    """One month of the 24-month grid (``PD01DH``)."""

    month: date | None = item("PD01DR03", "month")
    status: str | None = item("PD01DD01", "code", c.RepaymentStatus)


@dataclass(**_F)
class MonthRecord:
    """One month of the 5-year history (``PD01EH``) with its overdue amount."""

    month: date | None = item("PD01ER03", "month")
    status: str | None = item("PD01ED01", "code", c.RepaymentStatus)
    amount: float | None = item("PD01EJ01", "amount")


@dataclass(**_F)
class SpecialTransaction:
    type: str | None = item("PD01FD01", "code", c.SpecialTransactionType)
    txn_date: date | None = item("PD01FR01", "date")
    term_change_months: int | None = item("PD01FS02", "count")
    amount: float | None = item("PD01FJ01", "amount")
    detail: str | None = item("PD01FQ01")


@dataclass(**_F)
class SpecialEvent:
    month: date | None = item("PD01GR01", "month")
    type: str | None = item("PD01GD01")


@dataclass(**_F)
class LargeInstalment:
    limit: float | None = item("PD01HJ01", "amount")
    start_date: date | None = item("PD01HR01", "date")
    end_date: date | None = item("PD01HR02", "date")
    used: float | None = item("PD01HJ02", "amount")


@dataclass(**_F)
class LoanAccount:
    """借贷账户 ``PDA/PD01``: one loan or card account with its histories."""

    # PD01A basic information
    account_no: str | None = item("PD01A/PD01AI01")
    account_type: str | None = item("PD01A/PD01AD01", "code", c.AccountType)
    institution_type: str | None = item("PD01A/PD01AD02", "code", c.InstitutionType)
    institution: str | None = item("PD01A/PD01AI02")
    account_id: str | None = item("PD01A/PD01AI03")
    agreement_id: str | None = item("PD01A/PD01AI04")
    business_kind: str | None = item("PD01A/PD01AD03", "code", c.BusinessKind)
    open_date: date | None = item("PD01A/PD01AR01", "date")
    maturity_date: date | None = item("PD01A/PD01AR02", "date")
    currency: str | None = item("PD01A/PD01AD04")
    loan_amount: float | None = item("PD01A/PD01AJ01", "amount")
    credit_limit: float | None = item("PD01A/PD01AJ02", "amount")
    shared_limit: float | None = item("PD01A/PD01AJ03", "amount")
    repayment_method: str | None = item("PD01A/PD01AD05")
    repayment_frequency: str | None = item("PD01A/PD01AD06")
    periods: int | None = item("PD01A/PD01AS01", "count")
    guarantee: str | None = item("PD01A/PD01AD07", "code", c.Guarantee)
    disbursement_form: str | None = item("PD01A/PD01AD08")
    joint_flag: str | None = item("PD01A/PD01AD09")
    transfer_status: str | None = item("PD01A/PD01AD10")
    # PD01B latest performance
    status: str | None = item("PD01B/PD01BD01")
    close_date: date | None = item("PD01B/PD01BR01", "date")
    transfer_month: date | None = item("PD01B/PD01BR04", "month")
    balance: float | None = item("PD01B/PD01BJ01", "amount")
    last_repayment_date: date | None = item("PD01B/PD01BR02", "date")
    last_repayment_amount: float | None = item("PD01B/PD01BJ02", "amount")
    five_class: str | None = item("PD01B/PD01BD03", "code", c.FiveClass)
    repayment_status: str | None = item("PD01B/PD01BD04", "code", c.RepaymentStatus)
    report_date: date | None = item("PD01B/PD01BR03", "date")
    # PD01C latest monthly performance (absent on closed accounts)
    monthly_month: date | None = item("PD01C/PD01CR01", "month")
    monthly_status: str | None = item("PD01C/PD01CD01")
    monthly_balance: float | None = item("PD01C/PD01CJ01", "amount")
    used_limit: float | None = item("PD01C/PD01CJ02", "amount")
    unbilled_instalment: float | None = item("PD01C/PD01CJ03", "amount")
    monthly_five_class: str | None = item("PD01C/PD01CD02", "code", c.FiveClass)
    remaining_periods: int | None = item("PD01C/PD01CS01", "count")
    due_date: date | None = item("PD01C/PD01CR02", "date")
    due_amount: float | None = item("PD01C/PD01CJ04", "amount")
    paid_amount: float | None = item("PD01C/PD01CJ05", "amount")
    monthly_last_repayment_date: date | None = item("PD01C/PD01CR03", "date")
    overdue_periods: int | None = item("PD01C/PD01CS02", "count")
    overdue_amount: float | None = item("PD01C/PD01CJ06", "amount")
    overdue_principal_31_60: float | None = item("PD01C/PD01CJ07", "amount")
    overdue_principal_61_90: float | None = item("PD01C/PD01CJ08", "amount")
    overdue_principal_91_180: float | None = item("PD01C/PD01CJ09", "amount")
    overdue_principal_180p: float | None = item("PD01C/PD01CJ10", "amount")
    overdraft_180p: float | None = item("PD01C/PD01CJ11", "amount")
    avg_used_6m: float | None = item("PD01C/PD01CJ12", "amount")
    avg_overdraft_6m: float | None = item("PD01C/PD01CJ13", "amount")
    max_used: float | None = item("PD01C/PD01CJ14", "amount")
    max_overdraft: float | None = item("PD01C/PD01CJ15", "amount")
    monthly_report_date: date | None = item("PD01C/PD01CR04", "date")
    # PD01D 24 months, PD01E 5 years
    window_24m_start: date | None = item("PD01D/PD01DR01", "month")
    window_24m_end: date | None = item("PD01D/PD01DR02", "month")
    history_24m: tuple[MonthStatus, ...] = group("PD01D/PD01DH", MonthStatus, many=True)
    window_60m_start: date | None = item("PD01E/PD01ER01", "month")
    window_60m_end: date | None = item("PD01E/PD01ER02", "month")
    history_60m_count: int | None = item("PD01E/PD01ES01", "count")
    history_60m: tuple[MonthRecord, ...] = group("PD01E/PD01EH", MonthRecord, many=True)
    # PD01F special transactions, PD01G events, PD01H large instalments, PD01Z annotations
    special_transaction_count: int | None = item("PD01F/PD01FS01", "count")
    special_transactions: tuple[SpecialTransaction, ...] = group(
        "PD01F/PD01FH", SpecialTransaction, many=True
    )
    special_event_count: int | None = item("PD01G/PD01GS01", "count")
    special_events: tuple[SpecialEvent, ...] = group("PD01G/PD01GH", SpecialEvent, many=True)
    large_instalment_count: int | None = item("PD01H/PD01HS01", "count")
    large_instalments: tuple[LargeInstalment, ...] = group(
        "PD01H/PD01HH", LargeInstalment, many=True
    )
    annotation_count: int | None = item("PD01Z/PD01ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PD01Z/PD01ZH", Annotation, many=True)


@dataclass(**_F)
class CreditAgreement:
    """授信协议 ``PCA/PD02``; ``agreement_id`` joins to :attr:`LoanAccount.agreement_id`."""

    agreement_no: str | None = item("PD02A/PD02AI01")
    institution_type: str | None = item("PD02A/PD02AD01", "code", c.InstitutionType)
    institution: str | None = item("PD02A/PD02AI02")
    agreement_id: str | None = item("PD02A/PD02AI03")
    limit_purpose: str | None = item("PD02A/PD02AD02", "code", c.LimitPurpose)
    limit: float | None = item("PD02A/PD02AJ01", "amount")
    currency: str | None = item("PD02A/PD02AD03")
    effective_date: date | None = item("PD02A/PD02AR01", "date")
    expiry_date: date | None = item("PD02A/PD02AR02", "date")
    status: str | None = item("PD02A/PD02AD04")
    used: float | None = item("PD02A/PD02AJ04", "amount")
    limit_cap: float | None = item("PD02A/PD02AJ03", "amount")
    cap_no: str | None = item("PD02A/PD02AI04")
    annotation_count: int | None = item("PD02Z/PD02ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PD02Z/PD02ZH", Annotation, many=True)


@dataclass(**_F)
class RelatedRepayment:
    """相关还款责任 ``PCR/PD03``: a guarantee or co-liability for someone else's debt."""

    borrower_kind: str | None = item("PD03A/PD03AD08")
    institution_type: str | None = item("PD03A/PD03AD01", "code", c.InstitutionType)
    institution: str | None = item("PD03A/PD03AQ01")
    business_kind: str | None = item("PD03A/PD03AD02")
    open_date: date | None = item("PD03A/PD03AR01", "date")
    maturity_date: date | None = item("PD03A/PD03AR02", "date")
    party_type: str | None = item("PD03A/PD03AD03")
    contract_no: str | None = item("PD03A/PD03AQ02")
    amount: float | None = item("PD03A/PD03AJ01", "amount")
    currency: str | None = item("PD03A/PD03AD04")
    balance: float | None = item("PD03A/PD03AJ02", "amount")
    five_class: str | None = item("PD03A/PD03AD05", "code", c.FiveClass)
    account_type: str | None = item("PD03A/PD03AD06", "code", c.AccountType)
    repayment_status: str | None = item("PD03A/PD03AD07", "code", c.RepaymentStatus)
    overdue_months: int | None = item("PD03A/PD03AS01", "count")
    report_date: date | None = item("PD03A/PD03AR03", "date")
    annotation_count: int | None = item("PD03Z/PD03ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PD03Z/PD03ZH", Annotation, many=True)


@dataclass(**_F)
class PostpaidAccount:
    """后付费业务 ``PND/PE01`` (telecom ``TE``, utilities ``UE``)."""

    type: str | None = item("PE01A/PE01AD01")
    provider: str | None = item("PE01A/PE01AQ01")
    business_type: str | None = item("PE01A/PE01AD02")
    open_date: date | None = item("PE01A/PE01AR01", "date")
    payment_status: str | None = item("PE01A/PE01AD03")
    arrears: float | None = item("PE01A/PE01AJ01", "amount")
    billing_month: date | None = item("PE01A/PE01AR02", "month")
    history_24m: str | None = item("PE01A/PE01AQ02")
    annotation_count: int | None = item("PE01Z/PE01ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PE01Z/PE01ZH", Annotation, many=True)


@dataclass(**_F)
class TaxArrear:
    """欠税记录 ``POT/PF01``."""

    authority: str | None = item("PF01A/PF01AQ01")
    amount: float | None = item("PF01A/PF01AJ01", "amount")
    as_of: date | None = item("PF01A/PF01AR01", "date")
    annotation_count: int | None = item("PF01Z/PF01ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF01Z/PF01ZH", Annotation, many=True)


@dataclass(**_F)
class CivilJudgment:
    """民事判决记录 ``PCJ/PF02``."""

    court: str | None = item("PF02A/PF02AQ01")
    cause: str | None = item("PF02A/PF02AQ02")
    filing_date: date | None = item("PF02A/PF02AR01", "date")
    closure: str | None = item("PF02A/PF02AD01")
    result: str | None = item("PF02A/PF02AQ03")
    effective_date: date | None = item("PF02A/PF02AR02", "date")
    subject_matter: str | None = item("PF02A/PF02AQ04")
    amount: float | None = item("PF02A/PF02AJ01", "amount")
    annotation_count: int | None = item("PF02Z/PF02ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF02Z/PF02ZH", Annotation, many=True)


@dataclass(**_F)
class Enforcement:
    """强制执行记录 ``PCE/PF03``."""

    court: str | None = item("PF03A/PF03AQ01")
    cause: str | None = item("PF03A/PF03AQ02")
    filing_date: date | None = item("PF03A/PF03AR01", "date")
    closure: str | None = item("PF03A/PF03AD01")
    status: str | None = item("PF03A/PF03AQ03")
    closing_date: date | None = item("PF03A/PF03AR02", "date")
    subject_applied: str | None = item("PF03A/PF03AQ04")
    amount_applied: float | None = item("PF03A/PF03AJ01", "amount")
    subject_executed: str | None = item("PF03A/PF03AQ05")
    amount_executed: float | None = item("PF03A/PF03AJ02", "amount")
    annotation_count: int | None = item("PF03Z/PF03ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF03Z/PF03ZH", Annotation, many=True)


@dataclass(**_F)
class AdminPenalty:
    """行政处罚记录 ``PAP/PF04``."""

    authority: str | None = item("PF04A/PF04AQ01")
    content: str | None = item("PF04A/PF04AQ02")
    amount: float | None = item("PF04A/PF04AJ01", "amount")
    start_date: date | None = item("PF04A/PF04AR01", "date")
    end_date: date | None = item("PF04A/PF04AR02", "date")
    reconsideration: str | None = item("PF04A/PF04AQ03")
    annotation_count: int | None = item("PF04Z/PF04ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF04Z/PF04ZH", Annotation, many=True)


@dataclass(**_F)
class HousingFund:
    """住房公积金参缴记录 ``PHF/PF05`` (the two ratios' meaning is disputed, §2.5)."""

    location: str | None = item("PF05A/PF05AQ01")
    join_date: date | None = item("PF05A/PF05AR01", "date")
    status: str | None = item("PF05A/PF05AD01")
    first_month: date | None = item("PF05A/PF05AR02", "month")
    paid_through: date | None = item("PF05A/PF05AR03", "month")
    ratio_aq02: str | None = item("PF05A/PF05AQ02")
    ratio_aq03: str | None = item("PF05A/PF05AQ03")
    monthly_amount: float | None = item("PF05A/PF05AJ01", "amount")
    employer: str | None = item("PF05A/PF05AQ04")
    updated: date | None = item("PF05A/PF05AR04", "date")
    annotation_count: int | None = item("PF05Z/PF05ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF05Z/PF05ZH", Annotation, many=True)


@dataclass(**_F)
class Assistance:
    """低保救助记录 ``PBS/PF06``."""

    category: str | None = item("PF06A/PF06AD01")
    location: str | None = item("PF06A/PF06AQ01")
    employer: str | None = item("PF06A/PF06AQ02")
    household_income: str | None = item("PF06A/PF06AQ03")
    applied_date: date | None = item("PF06A/PF06AR01", "date")
    approved_date: date | None = item("PF06A/PF06AR02", "date")
    updated: date | None = item("PF06A/PF06AR03", "date")
    annotation_count: int | None = item("PF06Z/PF06ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF06Z/PF06ZH", Annotation, many=True)


@dataclass(**_F)
class Qualification:
    """执业资格记录 ``PPQ/PF07``."""

    name: str | None = item("PF07A/PF07AQ01")
    issuer: str | None = item("PF07A/PF07AQ02")
    level: str | None = item("PF07A/PF07AD01")
    region: str | None = item("PF07A/PF07AD02")
    obtained: date | None = item("PF07A/PF07AR01", "month")
    expiry: date | None = item("PF07A/PF07AR02", "month")
    revoked: date | None = item("PF07A/PF07AR03", "month")
    annotation_count: int | None = item("PF07Z/PF07ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF07Z/PF07ZH", Annotation, many=True)


@dataclass(**_F)
class Award:
    """行政奖励记录 ``PAH/PF08``."""

    body: str | None = item("PF08A/PF08AQ01")
    content: str | None = item("PF08A/PF08AQ02")
    start: date | None = item("PF08A/PF08AR01", "month")
    end: date | None = item("PF08A/PF08AR02", "month")
    annotation_count: int | None = item("PF08Z/PF08ZS01", "count")
    annotations: tuple[Annotation, ...] = group("PF08Z/PF08ZH", Annotation, many=True)


@dataclass(**_F)
class ReportAnnotationItem:
    type: str | None = item("PG010D03", "code", c.AnnotationType)
    content: str | None = item("PG010Q01")
    date_added: date | None = item("PG010R01", "date")


@dataclass(**_F)
class ReportAnnotation:
    """标注及声明 ``POS/PG01`` on the report or one of its data blocks."""

    object_type: str | None = item("PG010D01")
    object_id: str | None = item("PG010D02")
    annotation_count: int | None = item("PG010S01", "count")
    annotations: tuple[ReportAnnotationItem, ...] = group("PG010H", ReportAnnotationItem, many=True)


@dataclass(**_F)
class QueryRecord:
    """查询记录 ``POQ/PH01``."""

    query_date: date | None = item("PH010R01", "date")
    institution_type: str | None = item("PH010D01", "code", c.InstitutionType)
    institution: str | None = item("PH010Q02")
    reason: str | None = item("PH010Q03", "code", c.QueryReason)
