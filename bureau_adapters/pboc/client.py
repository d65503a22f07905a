"""zeep client of the bank's PBOC query front-end (征信前置), behind the compliance gate.

:meth:`PbocClient.query` runs the whole flow for one subject:

consent check → reuse of this bank's stored report inside its window → SOAP ``SingleQuery``
(against the WSDL shipped in :mod:`bureau_adapters.pboc.wsdl`) → result-code mapping →
store → audit row (also written when anything fails).

Result codes (§5.3) become:

* ``AAA000`` — a report, parsed once (a broken report is never stored); its header must name
  the subject queried (``PBOC_SUBJECT_MISMATCH``; no ID number at all: ``PBOC_SUBJECT_MISSING``);
  A person without credit history also gets ``AAA000``, with a thin-file report (no
  accounts), which is stored and scored like any report;
* a code listed in ``NONGXIN_BUREAU_PBOC_NO_RECORD_CODES`` (empty by default; only for a
  front-end vendor that answers "no record" with its own code) — outcome ``NO_RECORD``, code
  ``PBOC_NO_RECORD``: an explicit answer, never "no risk";
* ``DBE001``–``DBE017``, ``DBO001``–``DBO004`` —
  :class:`~bureau_adapters.exceptions.BureauRejected` with code ``PBOC_<code>``;
* anything else — :class:`~bureau_adapters.exceptions.BureauRejected` ``PBOC_RESULT_UNKNOWN``.

Transport failures are :class:`~bureau_adapters.exceptions.BureauTransportError` /
:class:`~bureau_adapters.exceptions.BureauTimeout` with codes from
:mod:`bureau_adapters.transport` (``PBOC_READ_TIMEOUT``, ``PBOC_CONNECTION_DROPPED``,
``PBOC_SOAP_FAULT`` ...). Only failures before the request left are retried.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import httpx
import zeep
from sqlalchemy.engine import Engine
from zeep.wsdl import Document

from bureau_adapters.compliance.consent import Consent
from bureau_adapters.compliance.gate import (
    ComplianceGate,
    FetchedAnswer,
    QueryRequest,
    QueryResult,
    new_request_id,
)
from bureau_adapters.compliance.subject import Subject, SubjectKeyer, normalise_id_number
from bureau_adapters.exceptions import (
    BureauError,
    BureauRejected,
    BureauTransportError,
    MalformedReportError,
    UnsafeXMLError,
)
from bureau_adapters.pboc.wsdl import NAMESPACE, SINGLE_QUERY_WSDL
from bureau_adapters.pii import mask_text
from bureau_adapters.settings import BureauSettings
from bureau_adapters.transport import (
    HttpTransport,
    LoggingHook,
    Timeouts,
    TransportHook,
    transport_boundary,
)
from bureau_adapters.xml import parse_xml

__all__ = ["ERROR_CODES", "SUCCESS_CODE", "PbocClient"]

SUCCESS_CODE = "AAA000"
_DBE = "single-query request failed validation (reason, name, ID type or number, institution, service agreement, service code, user code or record id)"
ERROR_CODES: Mapping[str, str] = {
    **{f"DBE{n:03d}": _DBE for n in range(1, 18)},
    "DBO001": "the sending institution is not the querying institution",
    "DBO002": "no agency relationship between originating and querying institution",
    "DBO003": "batch over 2,000 records",
    "DBO004": "report too long, only part returned; a partial report is never used",
}
_LIMITS = {"querierName": 30, "querierCertno": 18, "queryUser": 64, "bussId": 64, "requestId": 64}


class _LocalOnly(zeep.Transport):
    """Loads the WSDL from the package; never fetches a schema over the network."""

    def load(self, url: str) -> bytes:
        if "://" in url and not url.startswith("file://"):
            raise BureauError(
                "The PBOC client reads its WSDL and schemas from the package only.",
                code="PBOC_WSDL_REMOTE",
                url=url,
            )
        return bytes(super().load(url))


class _ZeepBridge(_LocalOnly):
    """zeep's transport, sending through :class:`HttpTransport` (timeouts, hooks, retries)."""

    def __init__(self, http: HttpTransport) -> None:
        super().__init__(timeout=http.timeouts.read, operation_timeout=http.timeouts.read)
        self.http = http

    def post(
        self, address: str, message: bytes | str, headers: Mapping[str, str]
    ) -> httpx.Response:
        body = message.encode("utf-8") if isinstance(message, str) else message
        response = self.http.post(
            address, body, headers, request_id=headers.get("X-Request-Id", "-")
        )
        _refuse_unsafe_xml(response.content)
        return response

    def get(self, address: str, params: Any, headers: Mapping[str, str]) -> httpx.Response:
        return self.http.get(str(httpx.URL(address, params=params)), headers=headers)


def _refuse_unsafe_xml(content: bytes) -> None:
    """Put every SOAP answer through the hardened parser's checks before zeep reads it.

    Entities, DTDs, oversize and overdeep documents raise :class:`UnsafeXMLError` here;
    a body that is merely not XML is left for zeep to report as a bad response.
    """
    if not content:
        return
    try:
        parse_xml(content)
    except UnsafeXMLError:
        raise
    except MalformedReportError:
        return


_ZEEP_SETTINGS = zeep.Settings(
    strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True, forbid_external=True
)


@lru_cache(maxsize=1)
def _wsdl_document() -> Document:
    """The parsed WSDL, once per process (parsing costs tens of milliseconds)."""
    return Document(str(SINGLE_QUERY_WSDL), _LocalOnly(), settings=_ZEEP_SETTINGS)  # type: ignore[arg-type]


class PbocClient:
    """Consent-gated, audited PBOC single query over SOAP.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Database of consents, audit log and report store.
    endpoint : str, optional
        SOAP endpoint of the front-end (default ``settings.pboc_endpoint``).
    settings : BureauSettings, optional
        Timeouts, retries, reuse windows, institution code; default from the environment.
    timeouts : Timeouts, optional
        Overrides the settings' connect/read timeouts.
    hooks : sequence of TransportHook, optional
        Transport hooks (default: one masked :class:`~bureau_adapters.transport.LoggingHook`).
    gate : ComplianceGate, optional
        Share one gate between clients; default one on ``engine``.
    sys_code : str
        Calling system code sent as ``sysCode``.
    """

    bureau = "pboc"

    def __init__(
        self,
        engine: Engine,
        *,
        endpoint: str | None = None,
        settings: BureauSettings | None = None,
        timeouts: Timeouts | None = None,
        hooks: Sequence[TransportHook] | None = None,
        gate: ComplianceGate | None = None,
        sys_code: str = "NONGXIN",
    ) -> None:
        self.settings = settings or BureauSettings.from_env()
        self.endpoint = endpoint or self.settings.pboc_endpoint
        self.sys_code = sys_code
        self.gate = gate or ComplianceGate(
            engine,
            reuse_window=self.settings.reuse_window_for,
            keyer=SubjectKeyer.for_engine(engine, self.settings),
        )
        self.http = HttpTransport(
            bureau=self.bureau,
            timeouts=timeouts or self.settings.pboc_timeouts(),
            hooks=(LoggingHook(),) if hooks is None else hooks,
            connect_retries=self.settings.pboc_connect_retries,
            ca_bundle=self.settings.ca_bundle,
        )
        self._zeep = zeep.Client(
            _wsdl_document(), transport=_ZeepBridge(self.http), settings=_ZEEP_SETTINGS
        )
        self._service = self._zeep.create_service(
            f"{{{NAMESPACE}}}SingleQueryBinding", self.endpoint
        )

    def query(
        self,
        bank_code: str,
        subject: Subject,
        reason: str,
        operator: str,
        business_ref: str,
        *,
        consent_id: str | None = None,
        allow_reuse: bool = True,
        request_id: str | None = None,
    ) -> QueryResult:
        """Query (or reuse) the personal report of ``subject`` for ``bank_code``.

        Raises
        ------
        ConsentError
            No valid consent (nothing is sent).
        BureauRejected
            The front-end answered an error code (``PBOC_DBE003`` ...).
        BureauTransportError, BureauTimeout, MalformedReportError
            The front-end could not be reached, failed, or sent something unusable.
        """
        request = QueryRequest(
            bank_code=bank_code,
            bureau=self.bureau,
            subject=subject,
            reason=reason,
            operator=operator,
            business_ref=business_ref,
            request_id=request_id or new_request_id(),
            consent_id=consent_id,
            allow_reuse=allow_reuse,
        )
        return self.gate.run(request, self.fetch)

    def fetch(self, request: QueryRequest, consent: Consent) -> FetchedAnswer:
        """One SOAP call and the mapping of its answer (no consent check, no audit). Errors
        may quote the applicant (front-ends echo names in fault strings and ResultDesc):
        :meth:`query` runs this through the gate, which masks them
        (:func:`~bureau_adapters.compliance.gate.scrub_subject`)."""
        payload = self._payload(request, consent)
        headers = {"X-Request-Id": request.request_id}
        with (
            transport_boundary(self.bureau, request_id=request.request_id),
            self._zeep.settings(extra_http_headers=headers),
        ):
            response = self._service.SingleQuery(**payload)
        return self._answer(request, response)

    def _payload(self, request: QueryRequest, consent: Consent) -> dict[str, Any]:
        subject = request.subject
        payload: dict[str, Any] = {
            "requestId": request.request_id,
            "originateOrgCode": self.settings.pboc_originate_org_code,
            "originateUserCode": request.operator[:30],
            "querierName": subject.name,
            "querierCertype": subject.id_type,
            "querierCertno": subject.id_number,
            "queryReason": request.reason,
            "queryFormat": "00",
            "reportVersion": "2.0.0",
            "queryType": "0",
            "syncFlag": "1",
            "sysCode": self.sys_code,
            "queryUser": request.operator,
            "bussId": request.business_ref,
            "authorized": {
                "authorType": "1",
                "authorNum": consent.consent_id,
                "authorSignDate": consent.signed_on,
                "authorBeginDate": consent.valid_from,
                "authorEndDate": consent.valid_until,
                "authorDocSha256": consent.document_sha256,
                "authorImageUrl": consent.document_ref,
            },
        }
        for name, limit in _LIMITS.items():
            value = str(payload[name])
            if not value.strip() or len(value) > limit:
                raise BureauError(
                    f"The PBOC request field {name!r} must be 1-{limit} characters (got {len(value)}).",
                    code="PBOC_REQUEST_INVALID",
                    field=name,
                    request_sent=False,
                )
        return payload

    def _answer(self, request: QueryRequest, response: Any) -> FetchedAnswer:
        code = str(response.ResultCode or "").strip()
        desc = mask_text(str(response.ResultDesc or "").strip())[:200]
        if str(response.requestId or "") != request.request_id:
            raise BureauTransportError(
                "The PBOC front-end answered another request id; the answer is not used.",
                code="PBOC_REQUEST_MISMATCH",
                request_id=request.request_id,
                request_sent=True,
            )
        if code == SUCCESS_CODE:
            return self._report(request.subject, response.ReportMessage)
        if code in self.settings.pboc_no_record_codes:
            return FetchedAnswer(code="PBOC_NO_RECORD", content=None)
        if code in ERROR_CODES:
            raise BureauRejected(
                f"The PBOC front-end refused the query with {code} ({ERROR_CODES[code]}): {desc}",
                code=f"PBOC_{code}",
                result_code=code,
                request_id=request.request_id,
            )
        raise BureauRejected(
            f"The PBOC front-end answered the unknown result code {code[:12]!r}: {desc}",
            code="PBOC_RESULT_UNKNOWN",
            result_code=code[:12],
            request_id=request.request_id,
        )

    def _report(self, subject: Subject, message: str | None) -> FetchedAnswer:
        from bureau_adapters.pboc import parse_report

        text = "".join((message or "").split())
        if not text:
            raise MalformedReportError(
                "The PBOC answer is successful but carries no report.", code="PBOC_NO_REPORT"
            )
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedReportError(
                "ReportMessage is invalid or truncated base64.", code="PBOC_BASE64"
            ) from exc
        report = parse_report(content)
        header = getattr(report, "header", None)
        reported_id = getattr(header, "id_number", None)
        if not reported_id:
            raise MalformedReportError(
                "The PBOC report names no ID number in its header, so it cannot be checked "
                "against the subject queried; it is not used.",
                code="PBOC_SUBJECT_MISSING",
                field="header.id_number",
                request_sent=True,
            )
        if normalise_id_number(reported_id) != subject.id_number:
            raise BureauTransportError(
                "The PBOC report is about another subject than the one queried; it is not used.",
                code="PBOC_SUBJECT_MISMATCH",
                request_sent=True,
            )
        return FetchedAnswer(
            code=f"PBOC_{SUCCESS_CODE}",
            content=content,
            report_id=report.report_id,
            report_date=report.report_date,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self.http.close()

    def __enter__(self) -> PbocClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
