"""The report the credit reference center returns for a person with no credit history.

The public sources (``pboc-report.md`` §5.3) name no "no record" result code: a subject the
CRC knows nothing about still gets ``AAA000`` and a report whose header names the subject and
the query, with an identity unit and empty summaries — no accounts, no score (``--``), no
query records. That is a *thin-file* report; its features have defined values (counts 0,
"months since" missing), never an error. The sandbox renders its thin-file households the
same way (``scoring_service.sandbox.pboc``: ``PC02AS01`` 0, score ``--``).

:func:`thin_file_report` builds one with :func:`bureau_adapters.pboc.render.render_report`,
so it parses back to exactly what was built. The PBOC simulator answers it for an ID number
that is not in its province and in its ``no_record`` scenario.

>>> from datetime import datetime
>>> data = thin_file_report(
...     name="王五", id_number="430524198511114560", querying_institution="B0000000000001",
...     query_reason="02", report_time=datetime(2026, 6, 1, 9, 30))
>>> from bureau_adapters.pboc import parse_report
>>> report = parse_report(data)
>>> (report.header.id_number, report.accounts, report.credit_summary.account_total)
('430524198511114560', (), 0)
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bureau_adapters.identity import birth_date
from bureau_adapters.pboc.models import (
    CreditSummary,
    Header,
    Identity,
    PersonalReport,
    QuerySummary,
    Score,
)
from bureau_adapters.pboc.render import render_report

__all__ = ["thin_file_report"]


def _identity(id_number: str) -> Identity:
    """Sex and date of birth as the ID number encodes them (nothing else is known)."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return Identity(sex="0")
    try:
        born = birth_date(id_number)
    except ValueError:
        return Identity(sex="0")
    return Identity(sex="1" if int(id_number[16]) % 2 else "2", birth_date=born)


def thin_file_report(
    *,
    name: str,
    id_number: str,
    querying_institution: str,
    query_reason: str,
    report_time: datetime,
    id_type: str = "10",
) -> bytes:
    """A thin-file personal report (UTF-8 bare ``<Document>``) for one queried subject.

    The 22-digit report number is the report time followed by 8 digits derived from the
    subject and the time (stable for the same query, different across subjects).
    """
    report_time = report_time.replace(microsecond=0)
    digest = hashlib.sha256(f"{id_number}|{report_time.isoformat()}".encode()).hexdigest()
    report_id = f"{report_time:%Y%m%d%H%M%S}{int(digest[:12], 16) % 10**8:08d}"
    report = PersonalReport(
        report_id=report_id,
        report_date=report_time.date(),
        header=Header(
            report_id=report_id,
            report_time=report_time,
            subject_name=name,
            id_type=id_type,
            id_number=id_number,
            querying_institution=querying_institution,
            query_reason=query_reason,
            other_id_count=0,
            objection_count=0,
        ),
        identity=_identity(id_number),
        score=Score(explanation_count=0),
        credit_summary=CreditSummary(account_total=0, business_type_count=0),
        query_summary=QuerySummary(
            loan_institutions_1m=0,
            card_institutions_1m=0,
            loan_queries_1m=0,
            card_queries_1m=0,
            self_queries_1m=0,
            postloan_queries_24m=0,
        ),
    )
    return render_report(report)
