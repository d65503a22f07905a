"""Typed models of the PBOC enterprise credit report (企业信用报告, §3).

One frozen dataclass per typed unit or record, declared like the personal models
(:mod:`bureau_adapters.pboc.schema`). Element meanings follow §3 of the PBOC reference;
where the reference does not name an item, the field name says so (``category5_count``).
"""

# The field helpers item()/group() return dataclasses.field(...) with metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bureau_adapters.pboc import codes as c
from bureau_adapters.pboc.schema import group, item

__all__ = [
    "AgreementSummary",
    "CreditHints",
    "CreditSummary",
    "CreditSummaryBlock",
    "DebtHistoryMonth",
    "Declaration",
    "EnterpriseAgreement",
    "EnterpriseGuarantee",
    "EnterpriseHeader",
    "EnterpriseLoan",
    "GuaranteeSummaries",
    "GuaranteeSummary",
    "HousingFundAccount",
    "Performance",
    "Profile",
    "PublicRecord",
    "Rating",
    "RawUnit",
    "UtilityAccount",
]

_F = {"frozen": True, "slots": True}


@dataclass(**_F)
class EnterpriseId:
    id_type: str | None = item("EA01CD01", "code", c.EnterpriseIdType)
    id_number: str | None = item("EA01CI01")


@dataclass(**_F)
class EnterpriseHeader:
    """报告头 ``EAA/EA01``."""

    report_id: str | None = item("EA01A/EA01AI01")
    report_time: datetime | None = item("EA01A/EA01AR01", "datetime")
    querying_institution: str | None = item("EA01B/EA01BI01")
    query_reason: str | None = item("EA01B/EA01BD02", "code", c.EnterpriseQueryReason)
    name: str | None = item("EA01C/EA01CQ01")
    id_count: int | None = item("EA01C/EA01CS01", "count")
    ids: tuple[EnterpriseId, ...] = group("EA01C/EA01CH", EnterpriseId, many=True)
    objections_pending: int | None = item("EA01D/EA01DS01", "count")


@dataclass(**_F)
class Investor:
    investor_type: str | None = item("EC020D01")
    identity_kind: str | None = item("EC020D02")
    name: str | None = item("EC020Q01")
    id_type: str | None = item("EC020D03")
    id_number: str | None = item("EC020I01")
    share: str | None = item("EC020Q02")


@dataclass(**_F)
class KeyMember:
    name: str | None = item("EC030Q01")
    id_type: str | None = item("EC030D01")
    id_number: str | None = item("EC030I01")
    position: str | None = item("EC030D02")


@dataclass(**_F)
class Profile:
    """基本概况 ``ECA``: ``EC01`` profile, ``EC02`` capital and investors, ``EC03`` members."""

    economic_type: str | None = item("EC01/EC010D01")
    organisation_type: str | None = item("EC01/EC010D02")
    size: str | None = item("EC01/EC010D03")
    industry: str | None = item("EC01/EC010D04")
    founded_year: int | None = item("EC01/EC010R01", "year")
    registration_expiry: date | None = item("EC01/EC010R02", "date")
    registered_address: str | None = item("EC01/EC010Q01")
    office_address: str | None = item("EC01/EC010Q02")
    existence_status: str | None = item("EC01/EC010D05")
    registered_capital: float | None = item("EC02/EC020J01", "amount")
    investors: tuple[Investor, ...] = group("EC02/EC020H", Investor, many=True)
    key_members: tuple[KeyMember, ...] = group("EC03/EC030H", KeyMember, many=True)


@dataclass(**_F)
class CreditHints:
    """信息概要 ``EBA/EB01``."""

    first_credit_year: int | None = item("EB01A/EB01AR01", "year")
    first_related_year: int | None = item("EB01A/EB01AR02", "year")
    institutions_ever: int | None = item("EB01A/EB01AS01", "count")
    institutions_open: int | None = item("EB01A/EB01AS02", "count")
    loan_balance: float | None = item("EB01A/EB01AJ01", "amount")
    recovered_balance: float | None = item("EB01A/EB01AJ02", "amount")
    special_mention_balance: float | None = item("EB01A/EB01AJ03", "amount")
    non_performing_balance: float | None = item("EB01A/EB01AJ04", "amount")
    guarantee_balance: float | None = item("EB01A/EB01AJ05", "amount")
    special_mention_guarantee_balance: float | None = item("EB01A/EB01AJ06", "amount")
    non_performing_guarantee_balance: float | None = item("EB01A/EB01AJ07", "amount")
    non_credit_accounts: int | None = item("EB01B/EB01BS01", "count")
    tax_records: int | None = item("EB01B/EB01BS02", "count")
    judgment_records: int | None = item("EB01B/EB01BS03", "count")
    enforcement_records: int | None = item("EB01B/EB01BS04", "count")
    penalty_records: int | None = item("EB01B/EB01BS05", "count")


@dataclass(**_F)
class Performance:
    """One dated performance record of an enterprise loan (``ED01BH``)."""

    report_date: date | None = item("ED01BR01", "date")
    balance: float | None = item("ED01BJ01", "amount")
    balance_change_date: date | None = item("ED01BR02", "date")
    five_class: str | None = item("ED01BD01", "code", c.FiveClass)
    class_date: date | None = item("ED01BR03", "date")
    last_repayment_date: date | None = item("ED01BR04", "date")
    last_repayment_amount: float | None = item("ED01BJ02", "amount")
    repayment_form: str | None = item("ED01BD02")
    last_due_date: date | None = item("ED01BR05", "date")
    last_due_amount: float | None = item("ED01BJ03", "amount")
    overdue_total: float | None = item("ED01BJ04", "amount")
    overdue_principal: float | None = item("ED01BJ05", "amount")
    overdue_months: int | None = item("ED01BS02", "count")
    remaining_months: int | None = item("ED01BS03", "count")


@dataclass(**_F)
class LoanTransaction:
    type: str | None = item("ED01CD01")
    txn_date: date | None = item("ED01CR01", "date")
    amount: float | None = item("ED01CJ01", "amount")
    term_change_months: int | None = item("ED01CS02", "count")
    detail: str | None = item("ED01CQ01")


@dataclass(**_F)
class EnterpriseLoan:
    """借贷账户 ``EDA/ED01`` with its performance records (no character status grid)."""

    account_no: str | None = item("ED01A/ED01AI01")
    activity_status: str | None = item("ED01A/ED01AD01")
    account_type: str | None = item("ED01A/ED01AD02", "code", c.AccountType)
    term: str | None = item("ED01A/ED01AD03")
    institution_type: str | None = item("ED01A/ED01AD04", "code", c.InstitutionType)
    institution: str | None = item("ED01A/ED01AI02")
    agreement_no: str | None = item("ED01A/ED01AI03")
    business_category: str | None = item("ED01A/ED01AD05")
    business_subcategory: str | None = item("ED01A/ED01AD06")
    open_date: date | None = item("ED01A/ED01AR01", "date")
    currency: str | None = item("ED01A/ED01AD07")
    loan_amount: float | None = item("ED01A/ED01AJ01", "amount")
    credit_line: float | None = item("ED01A/ED01AJ02", "amount")
    maturity_date: date | None = item("ED01A/ED01AR02", "date")
    guarantee: str | None = item("ED01A/ED01AD08")
    other_assurance: str | None = item("ED01A/ED01AD09")
    disbursement_form: str | None = item("ED01A/ED01AD10")
    joint_flag: str | None = item("ED01A/ED01AD11")
    close_date: date | None = item("ED01A/ED01AR03", "date")
    report_date: date | None = item("ED01A/ED01AR04", "date")
    record_count: int | None = item("ED01B/ED01BS01", "count")
    records: tuple[Performance, ...] = group("ED01B/ED01BH", Performance, many=True)
    transactions: tuple[LoanTransaction, ...] = group("ED01C/ED01CH", LoanTransaction, many=True)


@dataclass(**_F)
class EnterpriseGuarantee:
    """担保账户 ``EDB/ED04`` (acceptances, letters of credit, guarantee letters)."""

    account_no: str | None = item("ED04A/ED04AI01")
    account_type: str | None = item("ED04A/ED04AD01")
    institution_type: str | None = item("ED04A/ED04AD02", "code", c.InstitutionType)
    institution: str | None = item("ED04A/ED04AI02")
    agreement_no: str | None = item("ED04A/ED04AI03")
    business_kind: str | None = item("ED04A/ED04AD03")
    open_date: date | None = item("ED04A/ED04AR01", "date")
    currency: str | None = item("ED04A/ED04AD04")
    amount: float | None = item("ED04A/ED04AJ01", "amount")
    maturity_date: date | None = item("ED04A/ED04AR02", "date")
    deposit_ratio: str | None = item("ED04A/ED04AQ01")
    report_date: date | None = item("ED04B/ED04BR01", "date")
    status: str | None = item("ED04B/ED04BD01")
    balance: float | None = item("ED04B/ED04BJ01", "amount")
    five_class: str | None = item("ED04B/ED04BD02", "code", c.FiveClass)
    exposure: float | None = item("ED04B/ED04BJ02", "amount")
    advance_flag: str | None = item("ED04B/ED04BD03")
    close_date: date | None = item("ED04B/ED04BR02", "date")


@dataclass(**_F)
class EnterpriseAgreement:
    """授信协议 ``EDC/ED06``."""

    agreement_no: str | None = item("ED060I01")
    institution_type: str | None = item("ED060D01", "code", c.InstitutionType)
    institution: str | None = item("ED060I02")
    limit_type: str | None = item("ED060D02")
    revolving_flag: str | None = item("ED060D03")
    currency: str | None = item("ED060D04")
    limit: float | None = item("ED060J01", "amount")
    effective_date: date | None = item("ED060R01", "date")
    expiry_date: date | None = item("ED060R02", "date")
    used: float | None = item("ED060J04", "amount")
    limit_cap: float | None = item("ED060J03", "amount")


@dataclass(**_F)
class PublicRecord:
    """One tax (``EF01``), judgment (``EF02``), enforcement (``EF03``) or penalty (``EF04``)."""

    record_id: str | None = item("+0I01")
    authority: str | None = item("+0Q01")
    filing_date: date | None = item("+0R01", "date")
    amount: float | None = item("+0J01", "amount")


@dataclass(**_F)
class RawUnit:
    """An information unit kept as XML text (financial statements and the like)."""

    tag: str
    xml: str


@dataclass(**_F)
class MatrixCell:
    """One cell of a summary matrix: business type (``…D01``: 1 medium/long-term loan,
    2 short-term, 3 revolving overdraft, 4 discount, 0 total) × five-category class
    (``…D02``: 1 normal, 2 special mention, 3 non-performing, 0 total)."""

    business: str | None = item("~D01")
    five_class: str | None = item("~D02")
    account_count: int | None = item("~S04", "count")
    balance: float | None = item("~J06", "amount")


@dataclass(**_F)
class CreditSummaryBlock:
    """Open (``EB02A``) or settled (``EB02B``) credit transactions (借贷交易汇总)."""

    disposal_count: int | None = item("+S01", "count")
    disposal_amount: float | None = item("+J01", "amount")
    disposal_last_date: date | None = item("+R01", "date")
    advance_count: int | None = item("+S02", "count")
    advance_amount: float | None = item("+J02", "amount")
    advance_last_date: date | None = item("+R02", "date")
    overdue_total: float | None = item("+J03", "amount")
    overdue_principal: float | None = item("+J04", "amount")
    overdue_interest: float | None = item("+J05", "amount")
    cell_count: int | None = item("+S03", "count")
    cells: tuple[MatrixCell, ...] = group("+H", MatrixCell, many=True)


@dataclass(**_F)
class DebtHistoryMonth:
    """One month of the debt history (``EB02CH``): account counts and balances."""

    month: date | None = item("EB02CR01", "month")
    total_count: int | None = item("EB02CS02", "count")
    total_balance: float | None = item("EB02CJ01", "amount")
    special_mention_count: int | None = item("EB02CS03", "count")
    special_mention_balance: float | None = item("EB02CJ02", "amount")
    non_performing_count: int | None = item("EB02CS04", "count")
    non_performing_balance: float | None = item("EB02CJ03", "amount")
    overdue_count: int | None = item("EB02CS05", "count")
    overdue_balance: float | None = item("EB02CJ04", "amount")
    category5_count: int | None = item("EB02CS06", "count")
    category5_balance: float | None = item("EB02CJ05", "amount")


@dataclass(**_F)
class GuaranteeCell:
    """Guarantee type (``…D01``) × five-category class (``…D02``) of ``EB03``."""

    type: str | None = item("~D01")
    five_class: str | None = item("~D02")
    count: int | None = item("~S02", "count")
    balance: float | None = item("~J01", "amount")


@dataclass(**_F)
class GuaranteeSummary:
    """Open (``EB03A``) or settled (``EB03B``) guarantee transactions."""

    cell_count: int | None = item("+S01", "count")
    cells: tuple[GuaranteeCell, ...] = group("+H", GuaranteeCell, many=True)


@dataclass(**_F)
class AgreementSummary:
    """授信协议汇总 ``EBD/EB04``: non-revolving and revolving limits, used and remaining."""

    non_revolving_limit: float | None = item("EB040J01", "amount")
    non_revolving_used: float | None = item("EB040J02", "amount")
    non_revolving_remaining: float | None = item("EB040J03", "amount")
    revolving_limit: float | None = item("EB040J04", "amount")
    revolving_used: float | None = item("EB040J05", "amount")
    revolving_remaining: float | None = item("EB040J06", "amount")
    has_limit_cap: str | None = item("EB040D01")


@dataclass(**_F)
class PaymentMonth:
    """One month of a utility (``EE01BH``) or housing-fund (``EF05BH``) history."""

    month: date | None = item("~R01", "month")
    status: str | None = item("~D01")
    payable: float | None = item("~J01", "amount")
    paid: float | None = item("~J02", "amount")
    arrears: float | None = item("~J03", "amount")


@dataclass(**_F)
class UtilityAccount:
    """公用事业缴费 ``EEA/EE01`` (status 2053: 1 normal, 2 arrears, 3 prepaid, 4 back-paid)."""

    account_no: str | None = item("EE01A/EE01AI01")
    provider: str | None = item("EE01A/EE01AQ01")
    type: str | None = item("EE01A/EE01AD01")
    status: str | None = item("EE01A/EE01AD02")
    arrears: float | None = item("EE01A/EE01AJ01", "amount")
    month: date | None = item("EE01A/EE01AR01", "month")
    history: tuple[PaymentMonth, ...] = group("EE01B/EE01BH", PaymentMonth, many=True)


@dataclass(**_F)
class HousingFundAccount:
    """住房公积金 ``EFD/EF05`` (status: 0 normal, 1 paused, 2 terminated)."""

    record_no: str | None = item("EF05A/EF05AI01")
    first_month: date | None = item("EF05A/EF05AR01", "month")
    employees: int | None = item("EF05A/EF05AS01", "count")
    monthly_amount: float | None = item("EF05A/EF05AJ01", "amount")
    last_paid_date: date | None = item("EF05A/EF05AR02", "date")
    paid_through: date | None = item("EF05A/EF05AR03", "month")
    status: str | None = item("EF05A/EF05AD01")
    arrears: float | None = item("EF05A/EF05AJ02", "amount")
    updated: date | None = item("EF05A/EF05AR04", "month")
    history: tuple[PaymentMonth, ...] = group("EF05B/EF05BH", PaymentMonth, many=True)


@dataclass(**_F)
class Rating:
    """评级信息 ``EHA/EH01``."""

    rating_id: str | None = item("EH010I01")
    rating_date: date | None = item("EH010R01", "date")
    result: str | None = item("EH010D01")
    agency: str | None = item("EH010Q01")


@dataclass(**_F)
class Declaration:
    """声明及异议标注 ``EIA/EI01``."""

    type: str | None = item("EI010D01", "code", c.AnnotationType)
    object_id: str | None = item("EI010I01")
    object_type: str | None = item("EI010D02")
    content: str | None = item("EI010Q01")
    date_added: date | None = item("EI010R01", "date")


@dataclass(**_F)
class CreditSummary:
    """借贷交易汇总 ``EBB/EB02``: open (A) and settled (B) blocks, monthly debt history (C)."""

    open: CreditSummaryBlock | None = group("EB02A", CreditSummaryBlock)
    settled: CreditSummaryBlock | None = group("EB02B", CreditSummaryBlock)
    history_count: int | None = item("EB02C/EB02CS01", "count")
    history: tuple[DebtHistoryMonth, ...] = group("EB02C/EB02CH", DebtHistoryMonth, many=True)


@dataclass(**_F)
class GuaranteeSummaries:
    """担保交易汇总 ``EBC/EB03``: open (A) and settled (B) guarantees."""

    open: GuaranteeSummary | None = group("EB03A", GuaranteeSummary)
    settled: GuaranteeSummary | None = group("EB03B", GuaranteeSummary)
