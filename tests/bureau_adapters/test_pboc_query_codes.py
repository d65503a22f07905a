"""Result-code mapping of the PBOC client (unit level: answers built in memory, no server)."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.gate import FetchedAnswer, QueryRequest
from bureau_adapters.compliance.subject import Subject
from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTransportError,
    MalformedReportError,
)
from bureau_adapters.pboc.client import ERROR_CODES, PbocClient
from bureau_adapters.settings import BureauSettings

ID = "11010519491231002X"
REPORT = (
    "<Document><PRH><PA01><PA01A><PA01AI01>2026060109300000000001</PA01AI01>"
    "<PA01AR01>2026-06-01T09:30:00</PA01AR01></PA01A><PA01B><PA01BQ01>张三丰</PA01BQ01>"
    f"<PA01BD01>10</PA01BD01><PA01BI01>{ID}</PA01BI01></PA01B></PA01></PRH></Document>"
).encode()


@pytest.fixture(scope="module")
def client() -> PbocClient:
    settings = BureauSettings(subject_hash_key="k")  # type: ignore[arg-type]
    return PbocClient(
        create_engine("sqlite://"), endpoint="http://127.0.0.1:9/x", settings=settings, hooks=()
    )


REQUEST = QueryRequest(
    bank_code="301",
    bureau="pboc",
    subject=Subject("张三丰", "10", ID),
    reason="02",
    operator="clerk01",
    business_ref="LN-1",
    request_id="r1",
)


def _answer(
    client: PbocClient, code: str, message: str | None = None, request_id: str = "r1"
) -> FetchedAnswer:
    response = SimpleNamespace(
        requestId=request_id, ResultCode=code, ResultDesc="desc", ReportMessage=message
    )
    return client._answer(REQUEST, response)


def test_success_carries_the_parsed_report_identity(client: PbocClient) -> None:
    wrapped = base64.encodebytes(REPORT).decode()  # 76-column lines, as the CRC sends them
    answer = _answer(client, "AAA000", wrapped)
    assert (answer.code, answer.content, answer.report_id) == (
        "PBOC_AAA000",
        REPORT,
        "2026060109300000000001",
    )
    assert str(answer.report_date) == "2026-06-01"


@pytest.mark.parametrize("code", sorted(ERROR_CODES))
def test_every_dbe_dbo_code_is_rejected_with_its_code(client: PbocClient, code: str) -> None:
    with pytest.raises(BureauRejected, match=code) as info:
        _answer(client, code)
    assert info.value.code == f"PBOC_{code}"
    assert info.value.fields["result_code"] == code


@pytest.mark.parametrize(
    ("code", "message", "kind", "error"),
    [
        ("AAA000", None, MalformedReportError, "PBOC_NO_REPORT"),
        ("AAA000", "  \n ", MalformedReportError, "PBOC_NO_REPORT"),
        ("AAA000", "PERvY3VtZW50P", MalformedReportError, "PBOC_BASE64"),  # truncated
        (
            "AAA000",
            base64.b64encode(b"<Document><x/></Document>").decode(),
            MalformedReportError,
            "PBOC_NOT_REPORT",
        ),
        ("ZZZ999", None, BureauRejected, "PBOC_RESULT_UNKNOWN"),
        ("", None, BureauRejected, "PBOC_RESULT_UNKNOWN"),
    ],
)
def test_unusable_answers_are_coded_errors(
    client: PbocClient, code: str, message: str | None, kind: type[BureauError], error: str
) -> None:
    with pytest.raises(kind, match=r"\S") as info:
        _answer(client, code, message)
    assert info.value.code == error


def test_an_answer_to_another_request_is_refused(client: PbocClient) -> None:
    with pytest.raises(BureauTransportError, match="another request id") as info:
        _answer(client, "AAA000", base64.b64encode(REPORT).decode(), request_id="r2")
    assert info.value.code == "PBOC_REQUEST_MISMATCH"


@given(code=st.text(max_size=12), message=st.one_of(st.none(), st.text(max_size=40)))
def test_nothing_but_a_success_gives_a_report(
    client: PbocClient, code: str, message: str | None
) -> None:
    failure: BureauError | None = None
    try:
        answer = _answer(client, code, message)
    except BureauError as exc:
        failure = exc
    if failure is not None:
        assert failure.code.startswith("PBOC_")
        return
    # The only non-error answer by default: a parsed report for AAA000 (no "no record" code).
    assert (answer.code, answer.content is None) == ("PBOC_AAA000", False)
    assert code.strip() == "AAA000"


@pytest.mark.parametrize("code", ["AAA001", "NRC001"])
def test_no_no_record_code_by_default(client: PbocClient, code: str) -> None:
    assert client.settings.pboc_no_record_codes == ()
    with pytest.raises(BureauRejected, match="unknown result code") as info:
        _answer(client, code)
    assert (info.value.code, info.value.fields["result_code"]) == ("PBOC_RESULT_UNKNOWN", code)


def test_a_configured_vendor_code_is_an_explicit_no_record() -> None:
    settings = BureauSettings(subject_hash_key="k", pboc_no_record_codes=("NRC001",))  # type: ignore[arg-type]
    vendor = PbocClient(
        create_engine("sqlite://"), endpoint="http://127.0.0.1:9/x", settings=settings, hooks=()
    )
    answer = _answer(vendor, " NRC001 ")
    assert (answer.code, answer.content) == ("PBOC_NO_RECORD", None)
    with pytest.raises(BureauRejected, match="unknown result code"):
        _answer(vendor, "AAA001")


def test_the_wsdl_describes_authorisation_business_reference_and_envelope() -> None:
    import zeep

    from bureau_adapters.pboc.wsdl import NAMESPACE, SINGLE_QUERY_WSDL

    wsdl = zeep.Client(str(SINGLE_QUERY_WSDL))
    request = wsdl.get_element(f"{{{NAMESPACE}}}SingleQueryRequest").type
    names = [name for name, _ in request.elements]
    for field in (
        "querierName",
        "querierCertype",
        "querierCertno",
        "queryReason",
        "queryUser",
        "bussId",
        "authorized",
    ):
        assert field in names
    authorised = [name for name, _ in wsdl.get_type(f"{{{NAMESPACE}}}Authorized").elements]
    assert authorised[:6] == [
        "authorType",
        "authorNum",
        "authorSignDate",
        "authorBeginDate",
        "authorEndDate",
        "authorDocSha256",
    ]
    response = [
        name for name, _ in wsdl.get_element(f"{{{NAMESPACE}}}SingleQueryResponse").type.elements
    ]
    assert response == [
        "requestId",
        "HeaderLine",
        "ResultCode",
        "ResultDesc",
        "ReportName",
        "ReportMessage",
    ]
    operations = wsdl.wsdl.bindings[f"{{{NAMESPACE}}}SingleQueryBinding"]._operations
    assert list(operations) == ["SingleQuery"]
