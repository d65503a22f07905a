"""The PBOC enterprise credit report (企业信用报告, §3): the report model and its parser.

Typed (models in :mod:`bureau_adapters.pboc.enterprise_models`): header (``EA01``),
profile (``EC01``–``EC03``), credit hints (``EB01``), open/settled credit summaries with
their matrices and the monthly debt history (``EB02``), guarantee summaries (``EB03``),
agreement summary (``EB04``), loan accounts with their dated performance records
(``ED01``), guarantee accounts (``ED04``), credit agreements (``ED06``), utilities
(``EE01``), tax, judgment, enforcement and penalty records (``EF01``–``EF04``), housing
fund (``EF05``), ratings (``EH01``) and declarations (``EI01``). Every other segment — the
by-institution summaries, related repayment responsibilities (``ED07``–``ED09``), licences
and certificates (``EF06``–``EF14``) and the financial statements (``EGA``) — is kept as
:class:`~bureau_adapters.pboc.enterprise_models.RawUnit` (its XML text): nothing is lost.
"""

# The field helpers item()/group() return dataclasses.field(...) with metadata.
# ruff: noqa: RUF009

from __future__ import annotations

from dataclasses import dataclass, fields, make_dataclass
from datetime import date
from typing import ClassVar

from lxml import etree

from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc import enterprise_models as m
from bureau_adapters.pboc.parser import CONVERTERS, build, required_text
from bureau_adapters.pboc.schema import group, plan_of

__all__ = ["EnterpriseReport", "parse_enterprise"]


@dataclass(frozen=True, slots=True)
class EnterpriseReport:
    """企业信用报告. ``report_id``/``report_date`` as for the personal report."""

    report_id: str
    report_date: date
    header: m.EnterpriseHeader | None = group("EAA/EA01", m.EnterpriseHeader)
    profile: m.Profile | None = group("ECA", m.Profile)
    hints: m.CreditHints | None = group("EBA/EB01", m.CreditHints)
    credit_summary: m.CreditSummary | None = group("EBB/EB02", m.CreditSummary)
    guarantee_summary: m.GuaranteeSummaries | None = group("EBC/EB03", m.GuaranteeSummaries)
    agreement_summary: m.AgreementSummary | None = group("EBD/EB04", m.AgreementSummary)
    loans: tuple[m.EnterpriseLoan, ...] = group("EDA/ED01", m.EnterpriseLoan, many=True)
    guarantees: tuple[m.EnterpriseGuarantee, ...] = group(
        "EDB/ED04", m.EnterpriseGuarantee, many=True
    )
    agreements: tuple[m.EnterpriseAgreement, ...] = group(
        "EDC/ED06", m.EnterpriseAgreement, many=True
    )
    utilities: tuple[m.UtilityAccount, ...] = group("EEA/EE01", m.UtilityAccount, many=True)
    tax_arrears: tuple[m.PublicRecord, ...] = group("EFA/EF01", m.PublicRecord, many=True)
    civil_judgments: tuple[m.PublicRecord, ...] = group("EFB/EF02", m.PublicRecord, many=True)
    enforcements: tuple[m.PublicRecord, ...] = group("EFB/EF03", m.PublicRecord, many=True)
    admin_penalties: tuple[m.PublicRecord, ...] = group("EFC/EF04", m.PublicRecord, many=True)
    housing_fund: tuple[m.HousingFundAccount, ...] = group(
        "EFD/EF05", m.HousingFundAccount, many=True
    )
    ratings: tuple[m.Rating, ...] = group("EHA/EH01", m.Rating, many=True)
    declarations: tuple[m.Declaration, ...] = group("EIA/EI01", m.Declaration, many=True)
    other_units: tuple[m.RawUnit, ...] = ()
    warnings: tuple[str, ...] = ()

    kind: ClassVar[str] = "enterprise"
    schema_version: ClassVar[str] = "pboc-enterprise/1"


def _typed_segments() -> frozenset[tuple[str, str]]:
    """(unit, segment) pairs that a typed model reads; every other segment is kept raw."""
    pairs: set[tuple[str, str]] = set()
    for spec in plan_of(EnterpriseReport).specs:
        if len(spec.path) == 2:
            pairs.add((spec.path[0], spec.path[1]))
        else:  # a model over a whole unit: its specs' first steps are the segments
            pairs.update((spec.path[0], s.path[0]) for s in plan_of(spec.model).specs)
    return frozenset(pairs)


_TYPED = _typed_segments()


def _raw_units(root: etree._Element) -> tuple[m.RawUnit, ...]:
    """Every segment that no typed model reads, as XML text, in document order."""
    out: list[m.RawUnit] = []
    for unit in root:
        for segment in unit:
            tag = segment.tag
            if isinstance(tag, str) and (unit.tag, tag) not in _TYPED:
                out.append(m.RawUnit(tag, etree.tostring(segment, encoding="unicode")))
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
    return EnterpriseReport(
        report_id=report_id,
        report_date=report_date,
        other_units=_raw_units(root),
        warnings=tuple(warnings),
        **{name: getattr(body, name) for name in _BODY_FIELDS},
    )


_SKIP = {"report_id", "report_date", "other_units", "warnings"}
_EnterpriseBody = make_dataclass(
    "_EnterpriseBody",
    [(f.name, f.type, f) for f in fields(EnterpriseReport) if f.name not in _SKIP],
    frozen=True,
    slots=True,
)
_BODY_FIELDS = tuple(f.name for f in fields(EnterpriseReport) if f.name not in _SKIP)
