"""Qianhai client against the simulator over HTTP: every product, every scenario, compliance."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bureau_adapters.compliance import ComplianceGate, QueryOutcome, SubjectKeyer
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.exceptions import BureauTimeout, BureauTransportError, ConsentError
from bureau_adapters.qianhai import crypto
from bureau_adapters.qianhai.client import QianhaiClient
from bureau_adapters.qianhai.errors import (
    QianhaiDuplicateError,
    QianhaiEntitlementError,
    QianhaiFormatError,
    QianhaiHttpError,
    QianhaiMalformedResponse,
    QianhaiPendingError,
    QianhaiQuotaError,
    QianhaiReasonError,
    QianhaiRejected,
    QianhaiSecurityError,
    QianhaiSignatureError,
    QianhaiUpstreamError,
)
from bureau_adapters.qianhai.models import CredooScore, FraudFlags, MultiLender, RiskHints, Subject
from bureau_adapters.qianhai.simulator import QianhaiSimulator
from bureau_adapters.qianhai.testing import tiny_id_number, write_tiny_province
from bureau_adapters.transport import Timeouts

pytestmark = pytest.mark.integration

BANK = "301"


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("qh-province")
    return folder, write_tiny_province(folder)


@pytest.fixture(scope="module")
def sim(province: tuple[Path, dict[str, dict[str, str]]]) -> Iterator[QianhaiSimulator]:
    with QianhaiSimulator(province[0], slow_seconds=1.0) as simulator:
        yield simulator


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[ComplianceGate]:
    engine = create_engine(f"sqlite:///{tmp_path / 'compliance.db'}")
    yield ComplianceGate(engine, keyer=SubjectKeyer(b"qianhai-tests"))
    engine.dispose()


@pytest.fixture
def client(sim: QianhaiSimulator, gate: ComplianceGate) -> Iterator[QianhaiClient]:
    with sim.client(gate, timeouts=Timeouts(connect=2.0, read=5.0)) as qh:
        yield qh


def _consent(gate: ComplianceGate, id_number: str, reason: str = "01") -> str:
    return gate.consents.record(
        bank_code=BANK,
        subject_id=id_number,
        bureau="qianhai",
        reason=reason,
        signed_on=dt.date(2026, 1, 5),
        valid_until=dt.date(2099, 12, 31),
        document_sha256="ab" * 32,
        recorded_by="clerk01",
    ).consent_id


def _subject(person: dict[str, str]) -> Subject:
    return Subject(id_number=person["id_number"], name=person["name"], mobile=person["phone"])


def _query(client: QianhaiClient, product: str, subject: Subject, **kw: Any) -> object:
    return client.query(
        product,
        subject,
        bank_code=BANK,
        reason="01",
        business_ref="LN-1",
        operator="clerk01",
        **kw,
    )


def _scenario_subject(
    sim: QianhaiSimulator, gate: ComplianceGate, serial: int, scenario: str
) -> Subject:
    subject = Subject(
        id_number=tiny_id_number(serial, born="19900101"), name="测试", mobile="13900001111"
    )
    sim.set_scenario(scenario, id_number=subject.id_number)
    _consent(gate, subject.id_number)
    return subject


def test_every_product_round_trips_with_typed_results(
    province: tuple[Path, dict[str, dict[str, str]]], client: QianhaiClient, gate: ComplianceGate
) -> None:
    person = province[1]["H00000001"]
    consent_id = _consent(gate, person["id_number"])
    subject = _subject(person)
    score = _query(client, "8005", subject)
    assert isinstance(score, CredooScore)
    assert (score.outcome, score.credoo_score, score.perform_score) == ("hit", 612.0, 41.0)
    assert (score.vir_asset_score, score.trend_score) == (None, None)  # -1 and "NULL"
    hints = _query(client, "MSC8036", subject)
    assert isinstance(hints, RiskHints)
    assert [e.source_id for e in hints.events] == ["A", "A", "B", "C"]
    assert (hints.events[2].rsk_mark, hints.events[2].rsk_score) == ("B1", None)
    assert (hints.events[3].data_build_time, hints.events[3].data_status) == (None, None)
    lenders = _query(client, "8037", subject)
    assert isinstance(lenders, MultiLender)
    assert [(x.industry, x.amount) for x in lenders.lenders] == [
        ("BAK", 2),
        ("MCL", 3),
        ("CNS", None),
    ]
    assert (lenders.lenders[2].busi_date, lenders.lenders[0].p2p_amount) == (None, 0)
    fraud = _query(client, "8075", subject)
    assert isinstance(fraud, FraudFlags)
    assert (fraud.flags["isMachdProxy"], fraud.flags["isMachdVPN"], fraud.flags["isMachEmpty"]) == (
        True,
        False,
        None,
    )
    rows = gate.audit.list(BANK)
    assert [(r.outcome, r.code, r.consent_id) for r in rows] == [
        (QueryOutcome.REPORT, "QH_E000000", consent_id)
    ] * 4
    assert [r.report_id for r in rows] == [
        score.trans_no,
        hints.trans_no,
        lenders.trans_no,
        fraud.trans_no,
    ]
    stored = gate.store.get(BANK, rows[0].store_id or 0)
    assert stored.content is not None
    assert person["id_number"].encode() not in stored.content
    assert client.ledger.get(score.trans_no).status == "answered"  # type: ignore[union-attr]


@pytest.mark.parametrize("product", ["8005", "8036", "8037", "8075"])
def test_no_data_is_a_valid_outcome(
    province: tuple[Path, dict[str, dict[str, str]]],
    client: QianhaiClient,
    gate: ComplianceGate,
    product: str,
) -> None:
    person = province[1]["H00000003"]
    _consent(gate, person["id_number"])
    result = _query(client, product, _subject(person))
    assert isinstance(result, (CredooScore, RiskHints, MultiLender, FraudFlags))
    assert result.outcome == "no_data"
    [row] = gate.audit.list(BANK)
    assert (row.outcome, row.code) == (QueryOutcome.NO_RECORD, "QH_E000996")


def test_no_data_scenario_for_a_known_subject(
    province: tuple[Path, dict[str, dict[str, str]]],
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
) -> None:
    person = province[1]["H00000004"]
    _consent(gate, person["id_number"])
    assert _query(client, "8005", _subject(person)).outcome == "hit"  # type: ignore[attr-defined]
    sim.set_scenario("no_data", id_number=person["id_number"])
    again = _query(client, "8005", _subject(person), allow_reuse=False)
    assert again.outcome == "no_data"  # type: ignore[attr-defined]
    sim.set_scenario("hit", id_number=person["id_number"])


def test_answers_are_reused_per_product_inside_the_window(
    province: tuple[Path, dict[str, dict[str, str]]],
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
) -> None:
    person = province[1]["H00000001"]
    _consent(gate, person["id_number"])
    before = len(sim.calls)
    first, first_answer = client.run(
        "8005", _subject(person), bank_code=BANK, reason="01", business_ref="A", operator="o"
    )
    second, second_answer = client.run(
        "8005", _subject(person), bank_code=BANK, reason="01", business_ref="B", operator="o"
    )
    risk, risk_answer = client.run(
        "8036", _subject(person), bank_code=BANK, reason="01", business_ref="C", operator="o"
    )
    assert len(sim.calls) - before == 2  # 8005 once, 8036 once: the second 8005 is reused
    assert (first_answer.reused, second_answer.reused, risk_answer.reused) == (False, True, False)
    assert second_answer.store_id == first_answer.store_id != risk_answer.store_id
    assert second == first
    assert risk.product == "8036"
    rows = gate.audit.list(BANK)
    assert [(r.product, r.source.value if r.source else None) for r in rows[-3:]] == [
        ("8005", "fresh"),
        ("8005", "reused"),
        ("8036", "fresh"),
    ]


def test_no_permission_sentinels_are_missing(
    province: tuple[Path, dict[str, dict[str, str]]], client: QianhaiClient, gate: ComplianceGate
) -> None:
    person = province[1]["H00000002"]
    _consent(gate, person["id_number"])
    subject = _subject(person)
    score = _query(client, "8005", subject)
    assert isinstance(score, CredooScore)
    assert (score.outcome, score.credoo_score, score.source_id, score.data_build_time) == (
        "hit",
        None,
        None,
        None,
    )
    hints = _query(client, "8036", subject)
    assert isinstance(hints, RiskHints)
    assert hints.events[0].model_dump() == dict.fromkeys(hints.events[0].model_dump())
    lenders = _query(client, "8037", subject)
    assert isinstance(lenders, MultiLender)
    assert (lenders.lenders[0].amount, lenders.lenders[0].busi_date) == (None, None)


def test_tampered_response_is_refused_before_decryption(
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subject = _scenario_subject(sim, gate, 101, "bad_signature")
    decrypted_by_client: list[str] = []
    real = crypto.decrypt_busi_data
    main = threading.current_thread()

    def spy(b64: str, check_code: object) -> bytes:
        if threading.current_thread() is main:  # the simulator decrypts requests in its threads
            decrypted_by_client.append(b64)
        return real(b64, check_code)  # type: ignore[arg-type]

    monkeypatch.setattr(crypto, "decrypt_busi_data", spy)
    with pytest.raises(QianhaiSignatureError, match="was not decrypted") as info:
        _query(client, "8005", subject)
    assert decrypted_by_client == []
    assert client.ledger.get(info.value.fields["trans_no"]).status == "failed"  # type: ignore[union-attr]
    [row] = gate.audit.list(BANK)
    assert (row.outcome, row.code) == (QueryOutcome.ERROR, "QH_BAD_SIGNATURE")


def test_line_broken_base64_is_accepted(
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
    province: tuple[Path, dict[str, dict[str, str]]],
) -> None:
    person = province[1]["H00000001"]
    _consent(gate, person["id_number"])
    sim.set_scenario("line_breaks", id_number=person["id_number"])
    try:
        assert _query(client, "8005", _subject(person)).credoo_score == 612.0  # type: ignore[attr-defined]
    finally:
        sim.set_scenario("hit", id_number=person["id_number"])


@pytest.mark.parametrize(
    ("serial", "scenario", "error", "code"),
    [
        (110, "reused_trans_no", QianhaiDuplicateError, "QH_E000107"),
        (111, "daily_limit", QianhaiQuotaError, "QH_E900006"),
        (112, "balance", QianhaiQuotaError, "QH_E0-9977"),
        (113, "not_entitled", QianhaiEntitlementError, "QH_E000040"),
        (114, "upstream_error", QianhaiUpstreamError, "QH_E000999"),
        (115, "pending", QianhaiPendingError, "QH_E000990"),
        (116, "record_error", QianhaiFormatError, "QH_E000112"),
    ],
)
def test_vendor_errors_are_coded_and_never_no_risk(
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
    serial: int,
    scenario: str,
    error: type[QianhaiRejected],
    code: str,
) -> None:
    subject = _scenario_subject(sim, gate, serial, scenario)
    before = len(sim.calls)
    with pytest.raises(error, match=code.removeprefix("QH_")) as info:
        _query(client, "8037", subject)
    assert info.value.code == code
    assert len(sim.calls) == before + 1  # never retried
    assert client.ledger.get(info.value.fields["trans_no"]).status == "rejected"  # type: ignore[union-attr]
    [row] = gate.audit.list(BANK)
    assert (row.outcome, row.code) == (QueryOutcome.REJECTED, code)


def test_routing_failure_is_retried_with_a_new_linked_trans_no(
    sim: QianhaiSimulator, client: QianhaiClient, gate: ComplianceGate
) -> None:
    subject = _scenario_subject(sim, gate, 120, "routing_once")
    result = _query(client, "8005", subject)
    [row] = gate.audit.list(BANK)
    first, second = client.ledger.attempts(row.request_id)
    assert (first.status, first.rt_code, second.status) == ("rejected", "E000997", "answered")
    assert second.original_trans_no == first.trans_no != second.trans_no
    assert result.trans_no == second.trans_no == row.report_id  # type: ignore[attr-defined]


def test_routing_failure_gives_up_after_max_retries(
    sim: QianhaiSimulator, client: QianhaiClient, gate: ComplianceGate
) -> None:
    subject = _scenario_subject(sim, gate, 121, "routing_failed")
    with pytest.raises(QianhaiUpstreamError, match="E000997") as info:
        _query(client, "8005", subject)
    [row] = gate.audit.list(BANK)
    attempts = client.ledger.attempts(row.request_id)
    assert len(attempts) == client.max_retries + 1 == info.value.fields["attempt"]
    assert {a.original_trans_no for a in attempts[1:]} == {attempts[0].trans_no}


def test_read_timeout_is_never_retried(
    sim: QianhaiSimulator, client: QianhaiClient, gate: ComplianceGate
) -> None:
    subject = _scenario_subject(sim, gate, 130, "slow")
    before = len(sim.calls)
    impatient = sim.client(gate, timeouts=Timeouts(connect=2.0, read=0.3))  # answer after 1 s
    with impatient, pytest.raises(BureauTimeout, match="read timeout") as info:
        _query(impatient, "8005", subject)
    assert info.value.code == "QIANHAI_READ_TIMEOUT"
    assert len(sim.calls) == before + 1
    assert client.ledger.get(info.value.fields["trans_no"]).status == "unknown"  # type: ignore[union-attr]


def test_connect_failure_is_retried_with_new_trans_nos(
    gate: ComplianceGate, sim: QianhaiSimulator
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nobody listens there
    subject = Subject(id_number=tiny_id_number(140), name="测试")
    _consent(gate, subject.id_number)
    qh = sim.client(gate, timeouts=Timeouts(connect=0.5, read=0.5))
    qh.endpoint = f"http://127.0.0.1:{port}"
    with qh, pytest.raises(BureauTransportError, match="connection failed") as info:
        _query(qh, "8005", subject)
    assert info.value.code == "QIANHAI_CONNECT_FAILED"
    [row] = gate.audit.list(BANK)
    attempts = qh.ledger.attempts(row.request_id)
    assert [a.status for a in attempts] == ["not_sent"] * 3
    assert len({a.trans_no for a in attempts}) == 3


@pytest.mark.parametrize(
    ("scenario", "error", "message"),
    [
        ("http_500", QianhaiHttpError, "HTTP 500"),
        ("garbage", QianhaiMalformedResponse, "not UTF-8 JSON"),
        ("empty_records", QianhaiMalformedResponse, "empty 'records' list"),
    ],
)
def test_broken_answers_are_errors(
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
    scenario: str,
    error: type[Exception],
    message: str,
) -> None:
    subject = _scenario_subject(sim, gate, 150 + len(scenario), scenario)
    with pytest.raises(error, match=message):
        _query(client, "8005", subject)
    [row] = gate.audit.list(BANK)
    assert row.outcome is QueryOutcome.ERROR  # never "no data"


def test_no_consent_means_nothing_is_sent(
    sim: QianhaiSimulator, client: QianhaiClient, gate: ComplianceGate
) -> None:
    subject = Subject(id_number=tiny_id_number(160), name="测试")
    before = len(sim.calls)
    with pytest.raises(ConsentError, match="No consent on file"):
        _query(client, "8005", subject)
    _consent(gate, subject.id_number, reason="02")
    with pytest.raises(ConsentError, match="not '01'"):
        _query(client, "8005", subject)
    assert len(sim.calls) == before
    assert [r.outcome for r in gate.audit.list(BANK)] == [QueryOutcome.REFUSED] * 2


@pytest.mark.parametrize("reason", ["04", "05", "99", "1"])
def test_only_bank_reasons_are_allowed_and_refusals_are_audited(
    sim: QianhaiSimulator, client: QianhaiClient, gate: ComplianceGate, reason: str
) -> None:
    subject = Subject(id_number=tiny_id_number(161), name="测试")
    before = len(sim.calls)
    with pytest.raises(QianhaiReasonError, match="must be one of") as info:
        client.query("8005", subject, bank_code=BANK, reason=reason, business_ref="x", operator="o")
    [row] = gate.audit.list(BANK)
    assert (row.outcome, row.code, row.audit_id) == (
        QueryOutcome.REFUSED,
        "QH_REASON",
        info.value.fields["audit_id"],
    )
    assert row.subject_masked != subject.id_number
    assert len(sim.calls) == before


def test_bad_id_number_is_refused_masked(client: QianhaiClient) -> None:
    bad = tiny_id_number(162)[:-1] + ("0" if tiny_id_number(162)[-1] != "0" else "1")
    with pytest.raises(Exception, match=r"check digit") as info:
        _query(client, "8005", Subject(id_number=bad, name="测试"))
    assert bad not in str(info.value)


def test_8075_needs_a_mobile(client: QianhaiClient, gate: ComplianceGate) -> None:
    subject = Subject(id_number=tiny_id_number(163), name="测试")
    _consent(gate, subject.id_number)
    with pytest.raises(Exception, match="needs the subject's mobile"):
        _query(client, "8075", subject)


def test_wrong_signing_key_is_refused_by_qianhai(
    sim: QianhaiSimulator, gate: ComplianceGate, province: tuple[Path, dict[str, dict[str, str]]]
) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    person = province[1]["H00000004"]
    _consent(gate, person["id_number"])
    qh = sim.client(gate)
    object.__setattr__(
        qh.credentials,
        "private_key",
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )
    with qh, pytest.raises(QianhaiSecurityError, match="E000013 signature check failed"):
        _query(qh, "8005", _subject(person))


def test_logs_never_hold_pii_or_secrets(
    province: tuple[Path, dict[str, dict[str, str]]],
    sim: QianhaiSimulator,
    client: QianhaiClient,
    gate: ComplianceGate,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    person = province[1]["H00000001"]
    _consent(gate, person["id_number"])
    failing = _scenario_subject(sim, gate, 170, "routing_failed")
    env = sim.write_client_files(tmp_path / "keys")
    secrets = [
        (tmp_path / "keys" / "check_code.txt").read_text(),
        (tmp_path / "keys" / "password.txt").read_text(),
        client.credentials.password_sha1,
        (tmp_path / "keys" / "client_key.pem").read_text().splitlines()[1],
    ]
    with caplog.at_level(logging.DEBUG):
        for product in ("8005", "8036", "8037", "8075"):
            _query(client, product, _subject(person))
        with pytest.raises(QianhaiUpstreamError, match="E000997"):
            _query(client, "8005", failing)
        with pytest.raises(ConsentError, match="No consent"):
            _query(client, "8005", Subject(id_number=tiny_id_number(171), name="测试"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "qianhai" in text.lower()
    assert len(caplog.records) > 5
    for value in [
        person["id_number"],
        person["phone"],
        person["name"],
        failing.id_number,
        *secrets,
    ]:
        assert value not in text
    assert all(secret not in str(env) for secret in secrets)


def test_concurrent_queries_through_one_client(
    province: tuple[Path, dict[str, dict[str, str]]], client: QianhaiClient, gate: ComplianceGate
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    people = [province[1][hid] for hid in ("H00000001", "H00000002", "H00000004")]
    for person in people:
        _consent(gate, person["id_number"])
    jobs = [(p, code) for p in people for code in ("8005", "8037")]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: _query(client, job[1], _subject(job[0])), jobs))
    trans_nos = [r.trans_no for r in results]  # type: ignore[attr-defined]
    assert len(set(trans_nos)) == len(jobs)
    assert all(client.ledger.get(t).status == "answered" for t in trans_nos)  # type: ignore[union-attr]
    assert len(gate.audit.list(BANK)) == len(jobs)


def test_the_report_date_is_the_query_date_not_the_wall_clock(
    province: tuple[Path, dict[str, dict[str, str]]], client: QianhaiClient, gate: ComplianceGate
) -> None:
    person = province[1]["H00000004"]
    _consent(gate, person["id_number"])
    at = dt.datetime(2026, 6, 1, 18, 30, tzinfo=dt.UTC)  # 2 June in China (UTC+8)
    _, answer = client.run(
        "8005", _subject(person), bank_code=BANK, reason="01", business_ref="D",
        operator="o", at=at, allow_reuse=False,
    )  # fmt: skip
    assert answer.report_date == dt.date(2026, 6, 2)
    assert gate.store.get(BANK, answer.store_id).report_date == dt.date(2026, 6, 2)
