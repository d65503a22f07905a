"""Consent registry, append-only audit log and report store, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import AuditEntry, AuditLog, QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import CHINA_TZ, ConsentRegistry
from bureau_adapters.compliance.db import audit_table, report_table
from bureau_adapters.compliance.store import ReportStore
from bureau_adapters.compliance.subject import Subject, SubjectKeyer
from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)
from bureau_adapters.exceptions import BureauError, ConsentError

ID = "11010519491231002X"
OTHER_ID = "440901197709194316"
DOC = hashlib.sha256(b"signed authorisation form").hexdigest()
KEYER = SubjectKeyer(b"test-subject-key")
SIGNED = dt.date(2026, 3, 1)
UNTIL = dt.date(2027, 2, 28)


@pytest.fixture
def consents(engine: Engine) -> ConsentRegistry:
    return ConsentRegistry(engine, keyer=KEYER)


def _record(registry: ConsentRegistry, **overrides: object) -> str:
    values: dict[str, object] = {
        "bank_code": "301",
        "subject_id": ID,
        "bureau": "pboc",
        "reason": "02",
        "signed_on": SIGNED,
        "valid_until": UNTIL,
        "document_sha256": DOC,
        "recorded_by": "clerk01",
    }
    values.update(overrides)
    return registry.record(**values).consent_id  # type: ignore[arg-type]


def _check(registry: ConsentRegistry, **overrides: object) -> str:
    values: dict[str, object] = {
        "bank_code": "301",
        "subject_id": ID,
        "bureau": "pboc",
        "reason": "02",
        "at": dt.date(2026, 6, 1),
    }
    values.update(overrides)
    return registry.check(**values).consent_id  # type: ignore[arg-type]


def test_valid_consent_authorises_the_query(consents: ConsentRegistry) -> None:
    consent_id = _record(consents)
    assert _check(consents) == consent_id
    got = consents.get("301", consent_id)
    assert (got.signed_on, got.valid_from, got.valid_until) == (SIGNED, SIGNED, UNTIL)
    assert got.subject_masked == "110105********002X"
    assert got.subject_key == KEYER.key(ID)
    assert got.document_sha256 == DOC


@pytest.mark.parametrize(
    ("setup", "check", "code", "match"),
    [
        ({}, {"subject_id": OTHER_ID}, "CONSENT_MISSING", "No consent on file"),
        ({}, {"bureau": "qianhai", "reason": "01"}, "CONSENT_MISSING", "No consent on file"),
        ({}, {"reason": "01"}, "CONSENT_REASON", r"cover query reasons \['02'\], not '01'"),
        ({}, {"at": dt.date(2027, 3, 1)}, "CONSENT_EXPIRED", "expired on 2027-02-28"),
        ({}, {"at": dt.date(2026, 2, 28)}, "CONSENT_NOT_YET_VALID", "valid from 2026-03-01"),
        ({"valid_from": dt.date(2026, 7, 1)}, {}, "CONSENT_NOT_YET_VALID", "valid from 2026-07-01"),
    ],
)
def test_each_failing_condition_is_named(
    consents: ConsentRegistry,
    setup: dict[str, object],
    check: dict[str, object],
    code: str,
    match: str,
) -> None:
    _record(consents, **setup)
    with pytest.raises(ConsentError, match=match) as info:
        _check(consents, **check)
    assert info.value.code == code
    assert ID not in str(info.value)


def test_revoked_consent_is_refused(consents: ConsentRegistry) -> None:
    consent_id = _record(consents)
    consents.revoke("301", consent_id, reason="subject withdrew consent")
    with pytest.raises(ConsentError, match="was revoked") as info:
        _check(consents)
    assert info.value.code == "CONSENT_REVOKED"
    assert consents.get("301", consent_id).revoked_reason == "subject withdrew consent"


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        (dt.date(2026, 3, 1), True),  # first day inclusive
        (dt.date(2027, 2, 28), True),  # last day inclusive
        (dt.datetime(2027, 2, 28, 15, 59, tzinfo=dt.UTC), True),  # 23:59 in Beijing
        (dt.datetime(2027, 2, 28, 16, 0, tzinfo=dt.UTC), False),  # 00:00 next day in Beijing
        (dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC), True),  # 00:00 on 03-01 in Beijing
        (dt.datetime(2026, 3, 1, 0, 0, tzinfo=CHINA_TZ), True),
    ],
)
def test_validity_dates_are_inclusive_china_dates(
    consents: ConsentRegistry, at: dt.date, ok: bool
) -> None:
    _record(consents)
    if ok:
        _check(consents, at=at)
    else:
        with pytest.raises(ConsentError, match="expired"):
            _check(consents, at=at)


def test_a_valid_consent_wins_over_expired_and_revoked(consents: ConsentRegistry) -> None:
    _record(consents, signed_on=dt.date(2024, 1, 1), valid_until=dt.date(2025, 1, 1))
    revoked = _record(consents)
    consents.revoke("301", revoked, reason="replaced")
    current = _record(consents)
    assert _check(consents) == current


def test_consent_reference_pins_the_consent(consents: ConsentRegistry) -> None:
    old = _record(consents, signed_on=dt.date(2024, 1, 1), valid_until=dt.date(2025, 1, 1))
    _record(consents)
    with pytest.raises(ConsentError, match="expired") as info:
        _check(consents, consent_id=old)
    assert info.value.code == "CONSENT_EXPIRED"


@pytest.mark.parametrize(
    ("overrides", "field", "match"),
    [
        ({"reason": "07"}, "reason", "must be a pboc query reason code"),
        ({"bureau": "baihang"}, "bureau", "must be one of"),
        ({"document_sha256": "abc"}, "document_sha256", "64 hex characters"),
        ({"valid_until": dt.date(2026, 2, 1)}, "valid_until", "must not precede 'valid_from'"),
        ({"valid_from": dt.date(2026, 2, 1)}, "valid_from", "must not precede 'signed_on'"),
        ({"bank_code": "301; drop"}, "bank_code", "1-8 letters or digits"),
        ({"recorded_by": " "}, "recorded_by", "must name the operator"),
    ],
)
def test_bad_consent_fields_are_refused(
    consents: ConsentRegistry, overrides: dict[str, object], field: str, match: str
) -> None:
    with pytest.raises(BureauError, match=match) as info:
        _record(consents, **overrides)
    assert info.value.code == "CONSENT_INVALID_FIELD"
    assert info.value.fields["field"] == field


def test_qianhai_reasons_are_their_own_table(consents: ConsentRegistry) -> None:
    _record(consents, bureau="qianhai", reason="02")  # in-loan management at Qianhai
    assert _check(consents, bureau="qianhai", reason="02")
    with pytest.raises(ConsentError, match="No consent on file") as info:
        _check(consents, bureau="pboc", reason="02")
    assert info.value.code == "CONSENT_MISSING"


def _entry(bank: str = "301", **overrides: object) -> AuditEntry:
    values: dict[str, object] = {
        "bank_code": bank,
        "bureau": "pboc",
        "operator": "clerk01",
        "subject_key": KEYER.key(ID),
        "subject_masked": "110105********002X",
        "reason": "02",
        "business_ref": "LN-2026-0001",
        "request_id": "r1",
        "outcome": QueryOutcome.REPORT,
        "code": "PBOC_AAA000",
        "elapsed_ms": 12,
        "source": ReportSource.FRESH,
        "report_id": "2017122117421145492455",
    }
    values.update(overrides)
    return AuditEntry(**values)  # type: ignore[arg-type]


def test_audit_rows_round_trip_and_mask_messages(engine: Engine) -> None:
    log = AuditLog(engine)
    first = log.append(_entry())
    second = log.append(
        _entry(
            outcome=QueryOutcome.ERROR,
            code="PBOC_READ_TIMEOUT",
            source=None,
            message=f"subject {ID} timed out",
        )
    )
    assert second.audit_id is not None
    assert first.audit_id is not None
    assert second.audit_id > first.audit_id
    rows = log.list("301")
    assert [r.code for r in rows] == ["PBOC_AAA000", "PBOC_READ_TIMEOUT"]
    assert rows[0].source is ReportSource.FRESH
    assert rows[0].occurred_at.tzinfo is not None
    assert rows[1].message == "subject 110105********002X timed out"
    assert log.get("301", first.audit_id).report_id == "2017122117421145492455"


def test_audit_log_has_no_update_or_delete_api() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "get", "list"}


@pytest.mark.parametrize(
    "statement",
    [
        sa.update(audit_table).values(outcome="report"),
        sa.delete(audit_table),
    ],
    ids=["update", "delete"],
)
def test_database_refuses_to_change_audit_rows(engine: Engine, statement: sa.Executable) -> None:
    log = AuditLog(engine)
    log.append(_entry(outcome=QueryOutcome.REFUSED, code="CONSENT_MISSING", source=None))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(statement)
    assert [r.outcome for r in log.list("301")] == [QueryOutcome.REFUSED]


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_audit_log(tmp_path: Path) -> None:
    why = postgres_unavailable(postgres_test_url())
    if why:
        pytest.skip(why)
    with isolated_engine("postgresql", tmp_path) as engine:
        AuditLog(engine).append(_entry())
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE bureau_query_audit")
        assert len(AuditLog(engine).list("301")) == 1


def test_report_store_compresses_and_verifies(engine: Engine) -> None:
    store = ReportStore(engine)
    content = b"<Document>" + b"<PD01>same account text</PD01>" * 400 + b"</Document>"
    saved = store.save(
        bank_code="301",
        bureau="pboc",
        subject_key=KEYER.key(ID),
        reason="02",
        request_id="r1",
        content=content,
        report_id="R1",
        report_date=dt.date(2026, 6, 1),
    )
    got = store.get("301", saved.store_id)
    assert got.content == content
    assert got.has_record
    assert got.report_date == dt.date(2026, 6, 1)
    with engine.connect() as conn:
        packed = conn.execute(sa.select(report_table.c.content_zlib)).scalar_one()
    assert len(packed) < len(content) / 10
    with engine.begin() as conn:
        conn.execute(sa.update(report_table).values(content_zlib=zlib.compress(b"<tampered/>")))
    with pytest.raises(BureauError, match="does not match its SHA-256") as info:
        store.get("301", saved.store_id)
    assert info.value.code == "STORE_CORRUPT"


@pytest.mark.parametrize(
    ("age", "window", "reused"),
    [
        (dt.timedelta(hours=1), dt.timedelta(days=1), True),
        (dt.timedelta(days=1), dt.timedelta(days=1), True),  # the window's edge is inside
        (dt.timedelta(days=1, seconds=1), dt.timedelta(days=1), False),
        (dt.timedelta(0), dt.timedelta(0), False),  # window 0 disables reuse
    ],
)
def test_reuse_window(
    engine: Engine, age: dt.timedelta, window: dt.timedelta, reused: bool
) -> None:
    store = ReportStore(engine)
    now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    key = KEYER.key(ID)
    store.save(
        bank_code="301",
        bureau="pboc",
        subject_key=key,
        reason="02",
        request_id="r",
        content=None,
        fetched_at=now - age,
    )
    found = store.find_reusable(
        bank_code="301", bureau="pboc", subject_key=key, window=window, at=now
    )
    assert (found is not None) is reused
    if found is not None:
        assert not found.has_record
        assert found.content is None


def test_a_bank_never_reads_another_banks_rows(engine: Engine) -> None:
    consents = ConsentRegistry(engine, keyer=KEYER)
    log, store = AuditLog(engine), ReportStore(engine)
    consent_id = _record(consents, bank_code="301")
    row = log.append(_entry(bank="301"))
    saved = store.save(
        bank_code="301",
        bureau="pboc",
        subject_key=KEYER.key(ID),
        reason="02",
        request_id="r",
        content=b"<D/>",
    )

    with pytest.raises(ConsentError, match=r"No consent .* at bank 302") as info:
        consents.get("302", consent_id)
    assert info.value.code == "CONSENT_NOT_FOUND"
    with pytest.raises(ConsentError, match="No consent on file") as info:
        _check(consents, bank_code="302")
    assert info.value.code == "CONSENT_MISSING"
    assert consents.list("302") == []
    assert consents.list("302", subject_id=ID) == []
    assert row.audit_id is not None
    with pytest.raises(BureauError, match="No audit row"):
        log.get("302", row.audit_id)
    assert log.list("302") == []
    with pytest.raises(BureauError, match="No stored report"):
        store.get("302", saved.store_id)
    window = dt.timedelta(days=30)
    assert (
        store.find_reusable(
            bank_code="302", bureau="pboc", subject_key=KEYER.key(ID), window=window
        )
        is None
    )
    assert (
        store.find_reusable(
            bank_code="301", bureau="qianhai", subject_key=KEYER.key(ID), window=window
        )
        is None
    )


def test_no_id_number_is_stored_in_clear(engine: Engine) -> None:
    consents = ConsentRegistry(engine, keyer=KEYER)
    _record(consents)
    AuditLog(engine).append(_entry(message=f"about {ID}"))
    dump = []
    with engine.connect() as conn:
        for table in ("bureau_consent", "bureau_query_audit", "bureau_report"):
            dump.extend(str(row) for row in conn.execute(sa.text(f"SELECT * FROM {table}")))
    text = "\n".join(dump)
    assert "002X" in text  # the masked form is there
    assert ID not in text
    assert ID[6:14] not in text


def test_subject_repr_and_validation_never_show_the_number() -> None:
    subject = Subject("张三丰", "10", ID.lower())
    assert subject.id_number == ID
    assert ID not in repr(subject)
    assert "张三丰" not in repr(subject)
    with pytest.raises(BureauError, match="check digit does not match") as info:
        Subject("张三丰", "10", "110105194912310021")
    assert "110105194912310021" not in str(info.value)
    assert info.value.fields["field"] == "id_number"


def test_retention_purge_is_per_bank_and_keeps_audit_rows(engine: Engine) -> None:
    store, log = ReportStore(engine), AuditLog(engine)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    for bank, days in (("301", 400), ("301", 10), ("302", 400)):
        store.save(
            bank_code=bank,
            bureau="pboc",
            subject_key=KEYER.key(ID),
            reason="02",
            request_id="r",
            content=b"<D/>",
            fetched_at=now - dt.timedelta(days=days),
        )
    log.append(_entry())
    assert store.purge("301", fetched_before=now - dt.timedelta(days=365)) == 1
    window = dt.timedelta(days=1000)
    kept = store.find_reusable(
        bank_code="301", bureau="pboc", subject_key=KEYER.key(ID), window=window, at=now
    )
    assert kept is not None
    assert kept.fetched_at == now - dt.timedelta(days=10)
    other = store.find_reusable(
        bank_code="302", bureau="pboc", subject_key=KEYER.key(ID), window=window, at=now
    )
    assert other is not None
    assert len(log.list("301")) == 1
