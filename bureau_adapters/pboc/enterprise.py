"""The PBOC enterprise credit report (企业信用报告, §3): typed models and parser.

Typed: header (``EA01``), basic profile (``EC01``–``EC03``), credit hints (``EB01``), loan
accounts with their dated performance records (``ED01``), guarantee accounts (``ED04``),
credit agreements (``ED06``) and public records (``EF01``–``EF04``). Every other unit —
the summary matrices ``EB02``–``EB05``, the by-institution summaries, utilities, the
``EF05``–``EF14`` records, financial statements (``EGA``), ratings and declarations — is kept
raw as :class:`RawUnit` (its XML text), so nothing is lost.
"""

# The field helpers item()/group() return dataclasses.field(...) with metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from lxml import etree

from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc import codes as c
from bureau_adapters.pboc.parser import CONVERTERS, build, required_text
from bureau_adapters.pboc.schema import group, item

__all__ = ["EnterpriseLoan", "EnterpriseReport", "RawUnit", "parse_enterprise"]

_F = {"frozen": True, "slots": True}
_TYPED_UNITS = frozenset({"EAA", "ECA", "EBA", "EDA", "EDB", "EDC", "EFA", "EFB", "EFC"})
_TYPED_SEGMENTS = frozenset({"ED01", "ED04", "ED06", "EF01", "EF02", "EF03", "EF04"})


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
class EnterpriseReport:
    """企业信用报告. ``report_id``/``report_date`` as for the personal report."""

    report_id: str
    report_date: date
    header: EnterpriseHeader | None = group("EAA/EA01", EnterpriseHeader)
    profile: Profile | None = group("ECA", Profile)
    hints: CreditHints | None = group("EBA/EB01", CreditHints)
    loans: tuple[EnterpriseLoan, ...] = group("EDA/ED01", EnterpriseLoan, many=True)
    guarantees: tuple[EnterpriseGuarantee, ...] = group("EDB/ED04", EnterpriseGuarantee, many=True)
    agreements: tuple[EnterpriseAgreement, ...] = group("EDC/ED06", EnterpriseAgreement, many=True)
    tax_arrears: tuple[PublicRecord, ...] = group("EFA/EF01", PublicRecord, many=True)
    civil_judgments: tuple[PublicRecord, ...] = group("EFB/EF02", PublicRecord, many=True)
    enforcements: tuple[PublicRecord, ...] = group("EFB/EF03", PublicRecord, many=True)
    admin_penalties: tuple[PublicRecord, ...] = group("EFC/EF04", PublicRecord, many=True)
    other_units: tuple[RawUnit, ...] = ()
    warnings: tuple[str, ...] = ()

    kind: ClassVar[str] = "enterprise"
    schema_version: ClassVar[str] = "pboc-enterprise/1"


def _raw_units(root: etree._Element) -> tuple[RawUnit, ...]:
    """Every unit, or segment of a typed unit, that has no typed model."""
    out: list[RawUnit] = []
    for unit in root:
        if not isinstance(unit.tag, str):
            continue
        if unit.tag not in _TYPED_UNITS:
            out.append(RawUnit(unit.tag, etree.tostring(unit, encoding="unicode")))
            continue
        for seg in unit:
            tag = seg.tag
            if isinstance(tag, str) and tag[:2] in {"ED", "EF"} and tag not in _TYPED_SEGMENTS:
                out.append(RawUnit(seg.tag, etree.tostring(seg, encoding="unicode")))
    return tuple(out)


def parse_enterprise(root: etree._Element) -> EnterpriseReport:
    """Build an :class:`EnterpriseReport` from the ``<Document>`` root."""
    report_id = required_text(root, "EAA/EA01/EA01A/EA01AI01", "report number")
    time_text = required_text(root, "EAA/EA01/EA01A/EA01AR01", "report time")
    try:
        report_date = CONVERTERS["date"](time_text)
    except (ValueError, OverflowError) as exc:
        raise MalformedReportError(
            "The PBOC report time (EA01AR01) is not a date or timestamp.",
            code="PBOC_BAD_REPORT_DATE",
            field="EA01AR01",
        ) from exc
    warnings: list[str] = []
    body = build(_EnterpriseBody, root, warnings)
    values = {name: getattr(body, name) for name in _BODY_FIELDS}
    return EnterpriseReport(
        report_id=report_id,
        report_date=report_date,
        other_units=_raw_units(root),
        warnings=tuple(warnings),
        **values,
    )


def _body_class() -> type:
    from dataclasses import fields, make_dataclass

    skip = {"report_id", "report_date", "other_units", "warnings"}
    specs = [(f.name, f.type, f) for f in fields(EnterpriseReport) if f.name not in skip]
    return make_dataclass("_EnterpriseBody", specs, frozen=True, slots=True)


_EnterpriseBody = _body_class()
_BODY_FIELDS = tuple(
    f
    for f in _EnterpriseBody.__dataclass_fields__  # type: ignore[attr-defined]
)
