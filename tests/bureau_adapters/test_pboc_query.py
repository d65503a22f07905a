"""End to end: PbocClient (zeep, over HTTP) → PbocSimulator on loopback, through the gate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import query_date
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.subject import Subject
from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTimeout,
    BureauTransportError,
    ConsentError,
    MalformedReportError,
)
from bureau_adapters.identity import check_digit
from bureau_adapters.pboc import PersonalReport, features_from_bytes, parse_report
from bureau_adapters.pboc.client import ERROR_CODES, PbocClient
from bureau_adapters.pboc.simulator import PbocSimulator
from bureau_adapters.settings import BureauSettings
from bureau_adapters.transport import Exchange, Timeouts

pytestmark = pytest.mark.integration


def _id(first17: str) -> str:
    return first17 + check_digit(first17)


# household -> (name, ID number, ID number written in the report, report encoding)
HOUSEHOLDS = {
    "H00000001": ("张三丰", _id("11010519491231002"), None, "utf-8"),
    "H00000002": ("李四", _id("43052419800101123"), None, "gb18030"),
    "H00000003": ("王五", _id("43052419851111456"), None, "utf-8"),  # no report file: no record
    "H00000004": (
        "赵六",
        _id("43052419900505789"),
        _id("43052419900505111"),
        "utf-8",
    ),  # wrong subject
    "H00000005": ("钱七", _id("43052419950303222"), "", "utf-8"),  # no ID in the header
}
ZHANG, LI, WANG, ZHAO, QIAN = (HOUSEHOLDS[h][1] for h in sorted(HOUSEHOLDS))
UNKNOWN = _id("43052419700707000")


def _report(household: str, name: str, id_number: str, encoding: str) -> bytes:
    number = "2026060109300" + household[1:].zfill(9)
    xml = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<Document><PRH><PA01>'
        f"<PA01A><PA01AI01>{number}</PA01AI01><PA01AR01>2026-06-01T09:30:00</PA01AR01></PA01A>"
        f"<PA01B><PA01BQ01>{name}</PA01BQ01><PA01BD01>10</PA01BD01><PA01BI01>{id_number}</PA01BI01>"
        "<PA01BI02>B0000000000001</PA01BI02><PA01BD02>02</PA01BD02></PA01B>"
        "</PA01></PRH></Document>"
    )
    report = base64.encodebytes(xml.encode(encoding)).decode()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Document><Msg><ResultCode>AAA000</ResultCode>'
        f"<ResultDesc>处理成功</ResultDesc><ReportName>{number}.xml</ReportName>"
        f"<ReportMessage>\n{report}</ReportMessage></Msg></Document>\n"
    ).encode()


def write_province(folder: Path) -> Path:
    """A tiny sandbox-layout province: households.parquet and reports/pboc/<id>.xml."""
    (folder / "reports" / "pboc").mkdir(parents=True)
    rows = [
        {"household_id": h, "id_number": v[1], "head_name": v[0]} for h, v in HOUSEHOLDS.items()
    ]
    pd.DataFrame(rows).to_parquet(folder / "households.parquet")
    for household, (name, id_number, reported, encoding) in HOUSEHOLDS.items():
        if household != "H00000003":
            data = _report(household, name, id_number if reported is None else reported, encoding)
            (folder / "reports" / "pboc" / f"{household}.xml").write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PbocSimulator]:
    province = write_province(tmp_path_factory.mktemp("pboc-province"))
    with PbocSimulator(province, slow_seconds=1.0) as sim:
        yield sim


@pytest.fixture
def sim(simulator: PbocSimulator) -> PbocSimulator:
    simulator.reset()
    return simulator


SETTINGS = BureauSettings(
    subject_hash_key="test-key",  # type: ignore[arg-type]
    pboc_connect_timeout=1.0,
    pboc_read_timeout=5.0,
    reuse_window_days=30,
    reuse_window_days_by_bank={"303": 0},
)


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine("sqlite://")  # in memory: the file back end is tested in test_compliance
    yield engine
    engine.dispose()


class Attempts:
    def __init__(self) -> None:
        self.count = 0

    def on_request(self, exchange: Exchange) -> None:
        self.count += 1

    def on_response(self, exchange: Exchange) -> None:
        pass

    def on_error(self, exchange: Exchange, error: BureauError) -> None:
        pass


def _client(engine: Engine, endpoint: str, **kwargs: object) -> PbocClient:
    client = PbocClient(engine, endpoint=endpoint, settings=SETTINGS, **kwargs)  # type: ignore[arg-type]
    today = query_date(None)
    for bank in ("301", "302", "303"):
        for name, id_number, _, _ in HOUSEHOLDS.values():
            client.gate.consents.record(
                bank_code=bank,
                subject_id=id_number,
                bureau="pboc",
                reason="02",
                signed_on=today - dt.timedelta(days=10),
                valid_until=today + dt.timedelta(days=355),
                document_sha256=hashlib.sha256(name.encode()).hexdigest(),
                recorded_by="clerk01",
                document_ref=f"img://{bank}/{name}",
            )
    return client


@pytest.fixture
def client(engine: Engine, sim: PbocSimulator) -> Iterator[PbocClient]:
    with _client(engine, sim.endpoint) as client:
        yield client


def _subject(id_number: str, name: str = "张三丰") -> Subject:
    return Subject(name, "10", id_number)


def _query(
    client: PbocClient, id_number: str = ZHANG, bank: str = "301", **kwargs: object
) -> object:
    return client.query(bank, _subject(id_number), "02", "clerk01", "LN-2026-0001", **kwargs)  # type: ignore[arg-type]


def test_hit_returns_the_stored_report_and_audits_it(
    client: PbocClient, sim: PbocSimulator
) -> None:
    result = client.query("301", _subject(ZHANG), "02", "clerk01", "LN-2026-0001")
    assert (result.outcome, result.source, result.code) == (
        QueryOutcome.REPORT,
        ReportSource.FRESH,
        "PBOC_AAA000",
    )
    assert result.report_id == "2026060109300000000001"
    assert result.report_date == dt.date(2026, 6, 1)
    assert result.content is not None
    assert result.content.startswith(b"<?xml")
    (row,) = client.gate.audit.list("301")
    assert (row.audit_id, row.outcome, row.source) == (
        result.audit_id,
        QueryOutcome.REPORT,
        ReportSource.FRESH,
    )
    assert (row.operator, row.business_ref, row.reason, row.bureau) == (
        "clerk01",
        "LN-2026-0001",
        "02",
        "pboc",
    )
    assert (row.subject_masked, row.report_id, row.consent_id) == (
        "110105********002X",
        result.report_id,
        result.consent_id,
    )
    (received,) = sim.queries
    assert (received.request_id, received.business_ref, received.operator) == (
        result.request_id,
        "LN-2026-0001",
        "clerk01",
    )
    assert (received.authorisation, received.reason, received.subject) == (
        result.consent_id,
        "02",
        "110105********002X",
    )
    stored = client.gate.store.get("301", result.store_id)
    assert stored.content == result.content


def test_gbk_report_is_read(client: PbocClient) -> None:
    result = client.query("301", _subject(LI, "李四"), "02", "clerk01", "LN-2")
    assert result.report_id == "2026060109300000000002"


def test_reuse_inside_the_window_sends_nothing(client: PbocClient, sim: PbocSimulator) -> None:
    first = _query(client)
    second = client.query("301", _subject(ZHANG), "02", "clerk02", "RR-2026-07")
    assert sim.hits == 1
    assert second.source is ReportSource.REUSED
    assert (second.report_id, second.content) == (first.report_id, first.content)  # type: ignore[attr-defined]
    rows = client.gate.audit.list("301")
    assert [(r.source, r.code, r.operator) for r in rows] == [
        (ReportSource.FRESH, "PBOC_AAA000", "clerk01"),
        (ReportSource.REUSED, "PBOC_REUSED", "clerk02"),
    ]


def test_reuse_is_per_bank_and_respects_a_zero_window(
    client: PbocClient, sim: PbocSimulator
) -> None:
    _query(client, bank="301")
    _query(client, bank="302")
    _query(client, bank="303")
    _query(client, bank="303")
    assert sim.hits == 4
    assert [r.source for r in client.gate.audit.list("302")] == [ReportSource.FRESH]
    assert [r.bank_code for r in client.gate.audit.list("303")] == ["303", "303"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("other_subject", "CONSENT_MISSING"),
        ("other_bank", "CONSENT_MISSING"),
        ("other_reason", "CONSENT_REASON"),
        ("expired", "CONSENT_EXPIRED"),
        ("not_yet_valid", "CONSENT_NOT_YET_VALID"),
        ("revoked", "CONSENT_REVOKED"),
    ],
)
def test_consent_refusal_sends_nothing_and_is_audited(
    engine: Engine, sim: PbocSimulator, change: str, code: str
) -> None:
    client = PbocClient(engine, endpoint=sim.endpoint, settings=SETTINGS)
    today = query_date(None)
    signed, until = today - dt.timedelta(days=30), today + dt.timedelta(days=30)
    if change == "expired":
        until = today - dt.timedelta(days=1)
    if change == "not_yet_valid":
        signed = today + dt.timedelta(days=2)
        until = signed + dt.timedelta(days=30)
    consent = client.gate.consents.record(
        bank_code="301" if change != "other_bank" else "302",
        subject_id=ZHANG if change != "other_subject" else LI,
        bureau="pboc",
        reason="02" if change != "other_reason" else "01",
        signed_on=signed,
        valid_until=until,
        document_sha256="f" * 64,
        recorded_by="clerk01",
    )
    if change == "revoked":
        client.gate.consents.revoke(consent.bank_code, consent.consent_id, reason="withdrawn")
    with pytest.raises(ConsentError, match="consent") as info:
        _query(client)
    assert info.value.code == code
    assert sim.hits == 0
    (row,) = client.gate.audit.list("301")
    assert (row.outcome, row.code, row.audit_id) == (
        QueryOutcome.REFUSED,
        code,
        info.value.fields["audit_id"],
    )


SCENARIO_ERRORS = [
    *[(code, BureauRejected, f"PBOC_{code}", QueryOutcome.REJECTED) for code in ERROR_CODES],
    ("fault", BureauTransportError, "PBOC_SOAP_FAULT", QueryOutcome.ERROR),
    ("drop", BureauTransportError, "PBOC_CONNECTION_DROPPED", QueryOutcome.ERROR),
    ("bad_base64", MalformedReportError, "PBOC_BASE64", QueryOutcome.ERROR),
]


@pytest.mark.parametrize(("scenario", "kind", "code", "outcome"), SCENARIO_ERRORS)
def test_each_scenario_is_a_coded_error_never_no_risk(
    client: PbocClient,
    sim: PbocSimulator,
    scenario: str,
    kind: type[BureauError],
    code: str,
    outcome: QueryOutcome,
) -> None:
    sim.set_scenario(scenario)
    with pytest.raises(kind, match=r"PBOC|pboc|ReportMessage") as info:
        _query(client)
    assert info.value.code == code
    assert sim.hits == 1  # nothing retried: the front-end saw (and may bill) the query
    (row,) = client.gate.audit.list("301")
    assert (row.outcome, row.code, row.source, row.report_id) == (outcome, code, None, None)
    sim.set_scenario("hit")
    assert _query(client).source is ReportSource.FRESH  # type: ignore[attr-defined]


@pytest.mark.parametrize("id_number", [WANG, UNKNOWN])
def test_no_credit_history_is_a_thin_file_report(
    client: PbocClient, sim: PbocSimulator, id_number: str
) -> None:
    if id_number == UNKNOWN:
        client.gate.consents.record(
            bank_code="301",
            subject_id=UNKNOWN,
            bureau="pboc",
            reason="02",
            signed_on=query_date(None),
            valid_until=query_date(None) + dt.timedelta(days=1),
            document_sha256="e" * 64,
            recorded_by="clerk01",
        )
    result = client.query("301", _subject(id_number, "王五"), "02", "clerk01", "LN-3")
    assert (result.outcome, result.code) == (QueryOutcome.REPORT, "PBOC_AAA000")
    assert result.content is not None
    assert result.report_id is not None
    report = parse_report(result.content)
    assert isinstance(report, PersonalReport)
    assert report.header is not None
    assert report.header.id_number == id_number
    assert report.accounts == ()
    assert report.credit_summary is not None
    assert report.credit_summary.account_total == 0
    features = features_from_bytes(result.content)
    assert (features["n_accounts"], features["has_bad_debt"]) == (0, 0)
    [row] = client.gate.audit.list("301")
    assert (row.outcome, row.report_id) == (QueryOutcome.REPORT, result.report_id)


def test_no_record_scenario_answers_a_thin_file(client: PbocClient, sim: PbocSimulator) -> None:
    sim.set_scenario("no_record", id_number=ZHANG)
    thin = _query(client)
    assert thin.outcome is QueryOutcome.REPORT  # type: ignore[attr-defined]
    assert parse_report(thin.content).accounts == ()  # type: ignore[attr-defined]
    assert _query(client, LI).outcome is QueryOutcome.REPORT  # type: ignore[attr-defined]


def test_a_vendor_no_record_code_needs_the_setting(engine: Engine, sim: PbocSimulator) -> None:
    sim.set_scenario("vendor_no_record", id_number=ZHANG)
    with _client(engine, sim.endpoint) as default:
        with pytest.raises(BureauRejected, match="unknown result code 'NRC001'") as info:
            _query(default)
        assert info.value.code == "PBOC_RESULT_UNKNOWN"
        [row] = default.gate.audit.list("301")
        assert (row.outcome, row.code) == (QueryOutcome.REJECTED, "PBOC_RESULT_UNKNOWN")
    vendor_settings = SETTINGS.model_copy(update={"pboc_no_record_codes": ("NRC001",)})
    with PbocClient(engine, endpoint=sim.endpoint, settings=vendor_settings) as vendor:
        result = vendor.query("301", _subject(ZHANG), "02", "clerk01", "LN-4")
        assert (result.outcome, result.code, result.content, result.report_id) == (
            QueryOutcome.NO_RECORD,
            "PBOC_NO_RECORD",
            None,
            None,
        )
        assert vendor.gate.audit.list("301")[-1].outcome is QueryOutcome.NO_RECORD


def test_a_report_without_an_id_number_is_refused(client: PbocClient) -> None:
    with pytest.raises(MalformedReportError, match="no ID number") as info:
        client.query("301", _subject(QIAN, "钱七"), "02", "clerk01", "LN-5")
    assert info.value.code == "PBOC_SUBJECT_MISSING"
    [row] = client.gate.audit.list("301")
    assert (row.outcome, row.code) == (QueryOutcome.ERROR, "PBOC_SUBJECT_MISSING")
    assert row.store_id is None  # never stored, never reused


def test_a_report_about_someone_else_is_refused(client: PbocClient) -> None:
    with pytest.raises(BureauTransportError, match="another subject") as info:
        client.query("301", _subject(ZHAO, "赵六"), "02", "clerk01", "LN-4")
    assert info.value.code == "PBOC_SUBJECT_MISMATCH"
    assert client.gate.audit.list("301")[0].code == "PBOC_SUBJECT_MISMATCH"


def test_slow_answer_is_a_read_timeout_and_not_retried(engine: Engine, sim: PbocSimulator) -> None:
    sim.set_scenario("slow")
    attempts = Attempts()
    with _client(
        engine, sim.endpoint, timeouts=Timeouts(connect=1, read=0.25), hooks=[attempts]
    ) as client:
        with pytest.raises(BureauTimeout, match="may have been processed") as info:
            _query(client)
        assert info.value.code == "PBOC_READ_TIMEOUT"
        assert attempts.count == 1
        assert client.gate.audit.list("301")[0].outcome is QueryOutcome.ERROR


def test_connect_refused_is_retried_then_audited(engine: Engine) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    attempts = Attempts()
    with _client(engine, f"http://127.0.0.1:{port}/pboc/SingleQuery", hooks=[attempts]) as client:
        with pytest.raises(BureauTransportError, match="before the request was sent") as info:
            _query(client)
        assert info.value.code == "PBOC_CONNECT_FAILED"
        assert attempts.count == 1 + SETTINGS.pboc_connect_retries
        (row,) = client.gate.audit.list("301")
        assert (row.outcome, row.code) == (QueryOutcome.ERROR, "PBOC_CONNECT_FAILED")


def test_one_server_serves_several_cases_at_once(client: PbocClient, sim: PbocSimulator) -> None:
    sim.set_scenario("DBE004", id_number=LI)
    assert _query(client, ZHANG).outcome is QueryOutcome.REPORT  # type: ignore[attr-defined]
    with pytest.raises(BureauRejected, match="DBE004"):
        _query(client, LI)
    assert [q.scenario for q in sim.queries] == ["hit", "DBE004"]


def test_no_bank_reads_another_banks_rows(client: PbocClient) -> None:
    result = _query(client, bank="301")
    assert client.gate.audit.list("302") == []
    with pytest.raises(BureauError, match="No stored report"):
        client.gate.store.get("302", result.store_id)  # type: ignore[attr-defined]
    with pytest.raises(BureauError, match="No audit row"):
        client.gate.audit.get("302", result.audit_id)  # type: ignore[attr-defined]
    with pytest.raises(ConsentError, match="No consent"):
        client.gate.consents.get("302", result.consent_id)  # type: ignore[attr-defined]


def test_log_lines_are_masked(
    client: PbocClient, sim: PbocSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _query(client)
    _query(client)
    sim.set_scenario("DBE001")
    with pytest.raises(BureauRejected, match="DBE001") as info:
        client.query("301", _subject(LI, "李四"), "02", "clerk01", "LN-5")
    assert "querier 李*" in str(info.value)  # the front-end echoed the name; it is masked
    assert "李四" not in str(info.value)
    assert "李四" not in str(client.gate.audit.list("301", business_ref="LN-5")[0].message)
    with pytest.raises(ConsentError, match="No consent"):
        client.query("304", _subject(WANG, "王五"), "02", "clerk01", "LN-6")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "110105********002X" in text
    for raw in (ZHANG, LI, WANG, "张三丰", "李四", "王五"):
        assert raw not in text


def test_sandbox_province_end_to_end(small_province: Path, engine: Engine) -> None:
    from bureau_adapters.pboc import parse_envelope, parse_report

    households = pd.read_parquet(small_province / "households.parquet")
    households = households.groupby("thin_file").head(2)  # thin and thick files
    settings = SETTINGS.model_copy(update={"reuse_window_days_by_bank": {}})
    with (
        PbocSimulator(small_province) as sim,
        PbocClient(engine, endpoint=sim.endpoint, settings=settings) as client,
    ):
        for row in households.itertuples():
            client.gate.consents.record(
                bank_code=row.bank_code,
                subject_id=row.id_number,
                bureau="pboc",
                reason="02",
                signed_on=query_date(None),
                valid_until=query_date(None) + dt.timedelta(days=1),
                document_sha256="d" * 64,
                recorded_by="clerk01",
            )
            subject = Subject(row.head_name, row.id_type, row.id_number)
            result = client.query(row.bank_code, subject, "02", "clerk01", f"LN-{row.household_id}")
            envelope = parse_envelope(
                (small_province / "reports" / "pboc" / f"{row.household_id}.xml").read_bytes()
            )
            assert result.content == envelope.report
            assert result.report_id == parse_report(result.content).report_id
            again = client.query(row.bank_code, subject, "02", "clerk01", f"RR-{row.household_id}")
            assert again.reused
        assert sim.hits == len(households)


def test_one_client_serves_concurrent_queries(sim: PbocSimulator, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    engine = create_engine(f"sqlite:///{tmp_path / 'nongxin.db'}")  # file: WAL, busy timeout
    jobs = [
        (bank, id_number, name)
        for bank in ("301", "302", "303")
        for name, id_number, _, _ in list(HOUSEHOLDS.values())[:3]
    ]
    with _client(engine, sim.endpoint) as client, ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(
                lambda job: client.query(
                    job[0], _subject(job[1], job[2]), "02", "clerk01", f"LN-{job[0]}"
                ),
                jobs,
            )
        )
        for (bank, id_number, _), result in zip(jobs, results, strict=True):
            if result.content is not None:
                assert id_number.encode() in result.content  # every answer is its own subject's
            assert client.gate.audit.get(bank, result.audit_id).request_id == result.request_id
        assert sorted(q.request_id for q in sim.queries) == sorted(r.request_id for r in results)
    engine.dispose()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "XML_"),
        (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://evil/x.dtd"><x/>', "XML_"),
    ],
)
def test_soap_answers_go_through_the_hardened_checks(body: bytes, code: str) -> None:
    from bureau_adapters.exceptions import UnsafeXMLError
    from bureau_adapters.pboc.client import _refuse_unsafe_xml

    with pytest.raises(UnsafeXMLError, match=r"(?i)dtd|entit|external") as caught:
        _refuse_unsafe_xml(body)
    assert caught.value.code.startswith(code)


def test_a_body_that_is_not_xml_is_left_to_zeep() -> None:
    from bureau_adapters.pboc.client import _refuse_unsafe_xml

    _refuse_unsafe_xml(b"")
    _refuse_unsafe_xml(b"Service Unavailable")


@pytest.mark.parametrize("scenario", ["fault", "drop"])
def test_errors_keep_no_raw_cause_that_could_quote_the_name(
    client: PbocClient, sim: PbocSimulator, scenario: str
) -> None:
    sim.set_scenario(scenario)
    with pytest.raises(BureauTransportError, match=r"PBOC|pboc") as info:
        _query(client)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert info.value.fields["cause"]  # the original's type name, e.g. "Fault"
