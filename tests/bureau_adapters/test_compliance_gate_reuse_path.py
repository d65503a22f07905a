"""The gate's reuse path, read in one statement: its guarantees kept.

The consent read and the reuse lookup are one statement, and a reused report is decompressed
only when its content is read; these tests pin what must not change with that: consent is
read from the database on every query (a revocation, an expiry take effect at once), every
reuse writes exactly one audit row before the answer is returned, a bank never reuses
another bank's report, and a corrupt stored report is never handed out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance import store as store_module
from bureau_adapters.compliance.audit import QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import Consent
from bureau_adapters.compliance.db import report_table
from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest
from bureau_adapters.compliance.subject import Subject, SubjectKeyer
from bureau_adapters.exceptions import BureauError, ConsentError

ID = "11010519491231002X"
NAME = "张三丰"
KEYER = SubjectKeyer(b"test-subject-key")
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
CONTENT = b"<Document>" + b"<PD01>account</PD01>" * 50 + b"</Document>"
REPORT = FetchedAnswer(code="PBOC_AAA000", content=CONTENT, report_id="R-1", report_date=NOW.date())


def _consent(gate: ComplianceGate, bank: str, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "bank_code": bank,
        "subject_id": ID,
        "bureau": "pboc",
        "reason": "02",
        "signed_on": dt.date(2026, 5, 1),
        "valid_until": dt.date(2026, 12, 31),
        "document_sha256": hashlib.sha256(b"form").hexdigest(),
        "recorded_by": "clerk01",
    }
    values.update(overrides)
    return gate.consents.record(**values).consent_id


@pytest.fixture
def gate(engine: Engine) -> ComplianceGate:
    return ComplianceGate(engine, keyer=KEYER, reuse_window=dt.timedelta(days=7))


def _request(bank: str = "301", **overrides: Any) -> QueryRequest:
    values: dict[str, Any] = {
        "bank_code": bank,
        "bureau": "pboc",
        "subject": Subject(NAME, "10", ID),
        "reason": "02",
        "operator": "clerk01",
        "business_ref": "LN-1",
        "at": NOW,
    }
    values.update(overrides)
    return QueryRequest(**values)


class Fetch:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: QueryRequest, consent: Consent) -> FetchedAnswer:
        self.calls += 1
        return REPORT


def _audit_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM bureau_query_audit")).scalar_one())


def test_a_consent_revoked_between_two_reuses_is_refused_at_once(
    gate: ComplianceGate,
) -> None:
    consent_id = _consent(gate, "301")
    fetch = Fetch()
    gate.run(_request(), fetch)
    assert gate.run(_request(), fetch).reused
    gate.consents.revoke("301", consent_id, reason="withdrawn by the subject")
    with pytest.raises(ConsentError, match="was revoked") as info:
        gate.run(_request(), fetch)
    assert info.value.code == "CONSENT_REVOKED"
    assert fetch.calls == 1
    last = gate.audit.list("301")[-1]
    assert (last.outcome, last.code, last.source) == (
        QueryOutcome.REFUSED,
        "CONSENT_REVOKED",
        None,
    )


def test_an_expired_consent_stops_reuse_on_the_next_day(gate: ComplianceGate) -> None:
    _consent(gate, "301", valid_until=NOW.date())
    fetch = Fetch()
    gate.run(_request(), fetch)
    assert gate.run(_request(at=NOW + dt.timedelta(hours=1)), fetch).reused
    with pytest.raises(ConsentError, match="expired") as info:
        gate.run(_request(at=NOW + dt.timedelta(days=1)), fetch)
    assert info.value.code == "CONSENT_EXPIRED"


def test_a_consent_for_another_reason_does_not_open_the_stored_report(
    gate: ComplianceGate,
) -> None:
    _consent(gate, "301")
    gate.run(_request(), Fetch())
    with pytest.raises(ConsentError, match="cover query reasons") as info:
        gate.run(_request(reason="01"), Fetch())
    assert info.value.code == "CONSENT_REASON"


def test_a_reuse_writes_exactly_one_audit_row_before_it_answers(
    gate: ComplianceGate, engine: Engine
) -> None:
    _consent(gate, "301")
    gate.run(_request(), Fetch())
    before = _audit_count(engine)
    result = gate.run(_request(business_ref="LN-2"), Fetch())
    assert _audit_count(engine) == before + 1
    row = gate.audit.get("301", result.audit_id)
    assert (row.source, row.business_ref, row.store_id) == (
        ReportSource.REUSED,
        "LN-2",
        result.store_id,
    )


def test_a_bank_never_reuses_another_banks_report(gate: ComplianceGate) -> None:
    _consent(gate, "301")
    _consent(gate, "302")
    fetch = Fetch()
    first = gate.run(_request("301"), fetch)
    other = gate.run(_request("302"), fetch)
    assert fetch.calls == 2
    assert not other.reused
    assert other.store_id != first.store_id


def test_a_bank_without_consent_is_refused_though_another_bank_stored_a_report(
    gate: ComplianceGate,
) -> None:
    _consent(gate, "301")
    gate.run(_request("301"), Fetch())
    with pytest.raises(ConsentError, match="No consent on file") as info:
        gate.run(_request("302"), Fetch())
    assert info.value.code == "CONSENT_MISSING"


def test_several_consents_still_give_one_answer_and_one_audit_row(
    gate: ComplianceGate, engine: Engine
) -> None:
    _consent(gate, "301", valid_until=dt.date(2026, 9, 30))
    latest = _consent(gate, "301")
    _consent(gate, "301", reason="01")
    gate.run(_request(), Fetch())
    before = _audit_count(engine)
    result = gate.run(_request(), Fetch())
    assert result.reused
    assert result.consent_id == latest  # the longest-valid one, as before
    assert result.content == CONTENT
    assert _audit_count(engine) == before + 1


def test_reuse_without_reading_the_content_does_not_decompress_it(
    gate: ComplianceGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent(gate, "301")
    gate.run(_request(), Fetch())
    calls: list[int] = []
    real = zlib.decompress

    def counting(data: bytes, *args: Any) -> bytes:
        calls.append(len(data))
        return real(data, *args)

    monkeypatch.setattr(store_module.zlib, "decompress", counting)
    result = gate.run(_request(), Fetch())
    assert result.reused
    assert calls == []
    assert result.content == CONTENT
    assert result.content == CONTENT  # decompressed once
    assert len(calls) == 1


def test_a_corrupt_stored_report_is_never_handed_out(gate: ComplianceGate, engine: Engine) -> None:
    _consent(gate, "301")
    gate.run(_request(), Fetch())
    with engine.begin() as conn:
        conn.execute(sa.update(report_table).values(content_zlib=zlib.compress(b"<tampered/>")))
    result = gate.run(_request(), Fetch())
    assert result.reused  # audited as a reuse ...
    with pytest.raises(BureauError, match="does not match its SHA-256") as info:
        _ = result.content  # ... but its content is refused when read
    assert info.value.code == "STORE_CORRUPT"


def test_without_reuse_the_consent_is_still_checked(gate: ComplianceGate) -> None:
    consent_id = _consent(gate, "301")
    fetch = Fetch()
    gate.run(_request(), fetch)
    assert not gate.run(_request(allow_reuse=False), fetch).reused
    gate.consents.revoke("301", consent_id, reason="withdrawn")
    with pytest.raises(ConsentError, match="was revoked"):
        gate.run(_request(allow_reuse=False), fetch)
    assert fetch.calls == 2


def _synchronous_commit_after_the_audit_insert(engine: Engine, gate: ComplianceGate) -> list[str]:
    """The transaction's synchronous_commit (PostgreSQL) or synchronous (SQLite) right after
    the reuse's audit insert, read on the same connection before the commit."""
    seen: list[str] = []

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO bureau_query_audit"):
            check = conn.connection.dbapi_connection.cursor()
            if engine.dialect.name == "postgresql":
                check.execute("SHOW synchronous_commit")
            else:
                check.execute("PRAGMA synchronous")
            seen.append(str(check.fetchone()[0]))
            check.close()

    _consent(gate, "301")
    gate.run(_request(), Fetch())
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        assert gate.run(_request(), Fetch()).reused
    finally:
        sa.event.remove(engine, "after_cursor_execute", after)
    return seen


def test_the_relaxed_reuse_commit_is_in_effect_when_the_audit_row_commits(
    gate: ComplianceGate, engine: Engine
) -> None:
    gate.relaxed_reuse_audit = True
    relaxed = "off" if engine.dialect.name == "postgresql" else "1"  # NORMAL
    assert _synchronous_commit_after_the_audit_insert(engine, gate) == [relaxed]
    durable = "on" if engine.dialect.name == "postgresql" else "2"  # FULL
    with engine.connect() as conn:  # the next transaction is durable again
        if engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == durable
        else:
            assert str(conn.exec_driver_sql("PRAGMA synchronous").scalar()) == durable


def test_by_default_the_reuse_audit_row_commits_durably(
    gate: ComplianceGate, engine: Engine
) -> None:
    durable = "on" if engine.dialect.name == "postgresql" else "2"  # FULL
    assert _synchronous_commit_after_the_audit_insert(engine, gate) == [durable]
