"""The bureau-neutral query flow: consent → reuse → fetch → store → audit (unit tests).

The ``fetch`` here is a plain function standing in for a bureau client; the end-to-end tests
over HTTP are in ``test_pboc_query.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import Consent
from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest
from bureau_adapters.compliance.subject import Subject, SubjectKeyer
from bureau_adapters.exceptions import BureauError, BureauRejected, BureauTimeout, ConsentError

ID = "11010519491231002X"
NAME = "张三丰"
KEYER = SubjectKeyer(b"test-subject-key")
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def gate(engine: Engine) -> ComplianceGate:
    gate = ComplianceGate(
        engine, keyer=KEYER, reuse_window=lambda bank: dt.timedelta(days=0 if bank == "303" else 7)
    )
    for bank in ("301", "302", "303"):
        gate.consents.record(
            bank_code=bank,
            subject_id=ID,
            bureau="pboc",
            reason="02",
            signed_on=dt.date(2026, 5, 1),
            valid_until=dt.date(2026, 12, 31),
            document_sha256=hashlib.sha256(b"form").hexdigest(),
            recorded_by="clerk01",
        )
    return gate


class CountingFetch:
    """Stands in for a bureau: answers, or raises, and counts calls."""

    def __init__(self, answer: FetchedAnswer | BureauError) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self, request: QueryRequest, consent: Consent) -> FetchedAnswer:
        self.calls += 1
        if isinstance(self.answer, BureauError):
            raise self.answer
        return self.answer


REPORT = FetchedAnswer(
    code="PBOC_AAA000", content=b"<Document/>", report_id="R-1", report_date=NOW.date()
)


def _request(bank: str = "301", **overrides: object) -> QueryRequest:
    values: dict[str, object] = {
        "bank_code": bank,
        "bureau": "pboc",
        "subject": Subject(NAME, "10", ID),
        "reason": "02",
        "operator": "clerk01",
        "business_ref": "LN-2026-0001",
        "at": NOW,
    }
    values.update(overrides)
    return QueryRequest(**values)  # type: ignore[arg-type]


def test_fresh_then_reused_inside_the_window(gate: ComplianceGate) -> None:
    fetch = CountingFetch(REPORT)
    first = gate.run(_request(), fetch)
    second = gate.run(_request(at=NOW + dt.timedelta(days=6), business_ref="RR-2026"), fetch)
    assert fetch.calls == 1
    assert (first.source, second.source) == (ReportSource.FRESH, ReportSource.REUSED)
    assert second.reused
    assert second.content == b"<Document/>"
    assert second.report_id == "R-1"
    assert second.code == "PBOC_REUSED"
    rows = gate.audit.list("301")
    assert [(r.outcome, r.source, r.business_ref) for r in rows] == [
        (QueryOutcome.REPORT, ReportSource.FRESH, "LN-2026-0001"),
        (QueryOutcome.REPORT, ReportSource.REUSED, "RR-2026"),
    ]
    assert rows[1].store_id == first.store_id
    assert rows[1].audit_id == second.audit_id


def test_outside_the_window_or_reuse_off_queries_again(gate: ComplianceGate) -> None:
    fetch = CountingFetch(REPORT)
    gate.run(_request(), fetch)
    gate.run(_request(at=NOW + dt.timedelta(days=8)), fetch)
    gate.run(_request(at=NOW + dt.timedelta(days=8, hours=1), allow_reuse=False), fetch)
    gate.run(_request(bank="303"), fetch)
    gate.run(_request(bank="303"), fetch)  # bank 303 has no reuse window
    assert fetch.calls == 5


def test_reuse_never_crosses_banks(gate: ComplianceGate) -> None:
    fetch = CountingFetch(REPORT)
    gate.run(_request("301"), fetch)
    result = gate.run(_request("302"), fetch)
    assert fetch.calls == 2
    assert result.source is ReportSource.FRESH
    assert [r.bank_code for r in gate.audit.list("302")] == ["302"]


def test_refusal_is_audited_and_nothing_is_sent(gate: ComplianceGate) -> None:
    fetch = CountingFetch(REPORT)
    with pytest.raises(ConsentError, match="cover query reasons") as info:
        gate.run(_request(reason="01"), fetch)
    assert fetch.calls == 0
    (row,) = gate.audit.list("301")
    assert (row.outcome, row.code, row.source) == (QueryOutcome.REFUSED, "CONSENT_REASON", None)
    assert info.value.fields["audit_id"] == row.audit_id


def test_reuse_still_needs_a_valid_consent(gate: ComplianceGate) -> None:
    fetch = CountingFetch(REPORT)
    gate.run(_request(), fetch)
    (consent,) = gate.consents.list("301")
    gate.consents.revoke("301", consent.consent_id, reason="withdrawn")
    with pytest.raises(ConsentError, match="revoked"):
        gate.run(_request(), fetch)
    assert [r.outcome for r in gate.audit.list("301")] == [
        QueryOutcome.REPORT,
        QueryOutcome.REFUSED,
    ]


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (BureauRejected("DBE004 ID number invalid", code="PBOC_DBE004"), QueryOutcome.REJECTED),
        (
            BureauTimeout("read timeout", code="PBOC_READ_TIMEOUT", request_sent=True),
            QueryOutcome.ERROR,
        ),
    ],
)
def test_errors_are_audited_and_not_stored(
    gate: ComplianceGate, error: BureauError, outcome: QueryOutcome
) -> None:
    with pytest.raises(BureauError, match=error.message) as info:
        gate.run(_request(), CountingFetch(error))
    (row,) = gate.audit.list("301")
    assert (row.outcome, row.code, row.report_id) == (outcome, error.code, None)
    assert row.consent_id is not None
    assert info.value.fields["audit_id"] == row.audit_id
    fetch = CountingFetch(REPORT)
    gate.run(_request(), fetch)  # a failure leaves nothing to reuse
    assert fetch.calls == 1


class EchoingFetch:
    """A bureau whose error text quotes the applicant, raised from a library error that does too
    (a Qianhai ``erMsg`` "姓名…与证件号…不一致", a PBOC SOAP fault string)."""

    def __call__(self, request: QueryRequest, consent: Consent) -> FetchedAnswer:
        quoted = f"姓名{NAME}与证件号{ID}不一致"
        try:
            raise RuntimeError(quoted)  # the library's own error, e.g. a zeep Fault
        except RuntimeError as library_error:
            raise BureauRejected(
                f"Qianhai says: {quoted}", code="QH_E000112", detail=quoted
            ) from library_error


def test_a_bureau_error_quoting_the_applicant_is_masked_everywhere(gate: ComplianceGate) -> None:
    with pytest.raises(BureauRejected, match="Qianhai says") as info:
        gate.run(_request(), EchoingFetch())
    error = info.value
    (row,) = gate.audit.list("301")
    shown = [str(error), error.message, *map(str, error.args), str(error.fields), row.message]
    for text in shown:
        assert NAME not in text
        assert ID not in text
    assert str(error) == "Qianhai says: 姓名张**与证件号110105********002X不一致"
    assert row.message == str(error)
    assert error.fields["cause"] == "RuntimeError"  # the library error by type only
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_no_record_is_an_explicit_outcome_and_is_reused(gate: ComplianceGate) -> None:
    fetch = CountingFetch(FetchedAnswer(code="PBOC_NO_RECORD", content=None))
    first = gate.run(_request(), fetch)
    second = gate.run(_request(), fetch)
    assert fetch.calls == 1
    assert (first.outcome, first.code, first.content) == (
        QueryOutcome.NO_RECORD,
        "PBOC_NO_RECORD",
        None,
    )
    assert (second.outcome, second.source) == (QueryOutcome.NO_RECORD, ReportSource.REUSED)


def test_log_lines_never_show_the_id_number_or_name(
    gate: ComplianceGate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gate.run(_request(), CountingFetch(REPORT))
    gate.run(_request(), CountingFetch(REPORT))
    with pytest.raises(BureauError, match="timed out"):
        gate.run(
            _request(allow_reuse=False),
            CountingFetch(BureauTimeout(f"{ID} timed out", code="PBOC_READ_TIMEOUT")),
        )
    with pytest.raises(ConsentError, match="No consent"):
        gate.run(_request("304"), CountingFetch(REPORT))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "110105********002X" in text
    assert "张**" in text
    assert ID not in text
    assert NAME not in text
    assert len(caplog.records) >= 4


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
    length=st.integers(0, 800),
    day=st.dates(dt.date(2024, 6, 1), dt.date(2030, 6, 1)),
)
def test_check_passes_exactly_inside_the_validity(
    start: dt.date, length: int, day: dt.date
) -> None:
    from bureau_adapters.compliance.consent import ConsentRegistry
    from bureau_adapters.compliance.db import create_engine

    registry = ConsentRegistry(create_engine("sqlite://"), keyer=KEYER)
    until = start + dt.timedelta(days=length)
    registry.record(
        bank_code="301",
        subject_id=ID,
        bureau="pboc",
        reason="02",
        signed_on=start,
        valid_until=until,
        document_sha256="0" * 64,
        recorded_by="clerk01",
    )
    if start <= day <= until:
        registry.check(bank_code="301", subject_id=ID, bureau="pboc", reason="02", at=day)
        return
    code = "CONSENT_NOT_YET_VALID" if day < start else "CONSENT_EXPIRED"
    with pytest.raises(ConsentError, match="not yet valid" if day < start else "expired") as info:
        registry.check(bank_code="301", subject_id=ID, bureau="pboc", reason="02", at=day)
    assert info.value.code == code


def test_concurrent_queries_about_one_subject_pay_once(gate: ComplianceGate) -> None:
    from concurrent.futures import ThreadPoolExecutor

    class SlowFetch(CountingFetch):
        def __call__(self, request: QueryRequest, consent: Consent) -> FetchedAnswer:
            time.sleep(0.2)
            return super().__call__(request, consent)

    fetch = SlowFetch(REPORT)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: gate.run(_request(), fetch), range(4)))
    assert fetch.calls == 1
    assert sorted(r.source.value for r in results) == ["fresh", "reused", "reused", "reused"]
