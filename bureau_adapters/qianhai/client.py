"""The Qianhai client: one product query about one subject, compliant and retried safely.

Every call goes through the shared :class:`~bureau_adapters.compliance.ComplianceGate`
(consent for this subject, bank and Qianhai reason ``01``/``02``/``03``; the answer stored;
one append-only audit row, refusals and errors included) and the shared
:class:`~bureau_adapters.transport.HttpTransport` (mandatory timeouts, masked logging hooks).
What is Qianhai's own happens here:

- each attempt gets a fresh transNo, persisted in the
  :class:`~bureau_adapters.qianhai.ledger.TransactionLedger` before it is sent;
- a retry happens only after a connect failure (the request never left) or ``E000997``
  (routing failed, never reached the back end), with a new transNo linked to the first;
  never after a read timeout or a dropped connection (the query may have been billed);
- the answer's signature is checked before decryption; ``E000996`` is "no data", a valid
  outcome distinct from every error; any other code raises its coded exception.

>>> client = QianhaiClient.from_env()                                  # doctest: +SKIP
>>> client.query("8005", Subject(id_number=..., name=...), bank_code="301", reason="01",
...              business_ref="LN-1", operator="clerk01")             # doctest: +SKIP
CredooScore(product='8005', trans_no='QH2026...', outcome='hit', credoo_score=612.0, ...)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import AuditEntry, QueryOutcome
from bureau_adapters.compliance.consent import CHINA_TZ, Consent, query_date
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.gate import (
    ComplianceGate,
    FetchedAnswer,
    QueryRequest,
    QueryResult,
    new_request_id,
)
from bureau_adapters.compliance.subject import Subject as GateSubject
from bureau_adapters.compliance.subject import SubjectKeyer
from bureau_adapters.exceptions import BureauError
from bureau_adapters.identity import validate_resident_id
from bureau_adapters.pii import mask_id
from bureau_adapters.qianhai import envelope
from bureau_adapters.qianhai.errors import (
    NO_DATA,
    RETRYABLE_CODES,
    SUCCESS,
    QianhaiHttpError,
    QianhaiReasonError,
    QianhaiRejected,
    QianhaiRequestError,
)
from bureau_adapters.qianhai.ledger import TransactionLedger
from bureau_adapters.qianhai.models import QianhaiResult, Subject
from bureau_adapters.qianhai.offline import result_from_stored, stored_content
from bureau_adapters.qianhai.products import Product, get_product, parse_records, request_record
from bureau_adapters.qianhai.settings import QianhaiCredentials, QianhaiIdentity, QianhaiSettings
from bureau_adapters.settings import BureauSettings
from bureau_adapters.transport import HttpTransport, LoggingHook, Timeouts, TransportHook

__all__ = ["BANK_REASONS", "QianhaiClient", "QianhaiIdentity"]

logger = logging.getLogger(__name__)

#: Qianhai query reasons a bank may use: loan approval, in-loan, post-loan.
BANK_REASONS = {"01": "loan approval", "02": "in-loan management", "03": "post-loan management"}


class QianhaiClient:
    """Queries Qianhai products through the compliance gate.

    Parameters
    ----------
    endpoint : str
        Base URL (scheme, host, port) of Qianhai or of the simulator.
    identity : QianhaiIdentity
        orgCode, chnlId, authCode, authDate and user name.
    credentials : QianhaiCredentials
        Check code, password digest, our private key, Qianhai's public key.
    gate : ComplianceGate
        Consents, report store and audit log (the shared ones).
    timeouts : Timeouts
        Connect and read timeouts; mandatory.
    max_retries : int
        Extra attempts after a connect failure or ``E000997`` (each with a new transNo).
    ca_bundle : Path, optional
        PEM file of the CAs trusted for Qianhai's HTTPS (default: the standard trust store).
    """

    def __init__(
        self,
        *,
        endpoint: str,
        identity: QianhaiIdentity,
        credentials: QianhaiCredentials,
        gate: ComplianceGate,
        timeouts: Timeouts,
        max_retries: int = 2,
        retry_backoff_s: float = 0.05,
        hooks: tuple[TransportHook, ...] | None = None,
        ca_bundle: Path | None = None,
    ) -> None:
        if not 0 <= max_retries <= 5:
            raise ValueError(
                f"The 'max_retries' parameter of QianhaiClient must be in [0, 5]. Got {max_retries!r}."
            )
        self.endpoint = endpoint.rstrip("/")
        self.identity = identity
        self.credentials = credentials
        self.gate = gate
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.ledger = TransactionLedger(gate.store.engine)
        self.transport = HttpTransport(
            bureau="qianhai",
            timeouts=timeouts,
            hooks=hooks if hooks is not None else (LoggingHook(),),
            connect_retries=0,  # retries need a new transNo: done here, not in the transport
            ca_bundle=ca_bundle,
        )

    @classmethod
    def from_env(
        cls, *, engine: Engine | None = None, gate: ComplianceGate | None = None
    ) -> QianhaiClient:
        """A client configured from ``NONGXIN_QIANHAI_*`` and ``NONGXIN_BUREAU_*``
        (``gate``: share the compliance gate of another client, e.g. the PBOC one)."""
        settings = QianhaiSettings()
        credentials = settings.credentials()  # fails early, before touching the database
        if gate is None:
            bureau = BureauSettings.from_env()
            if engine is None:
                bureau.require_subject_key()
            engine = engine or create_engine(bureau.resolved_database_url())
            gate = ComplianceGate(
                engine,
                reuse_window=bureau.reuse_window_for,
                keyer=SubjectKeyer.for_engine(engine, bureau),
            )
        return cls(
            endpoint=settings.base_url,
            identity=QianhaiIdentity.from_settings(settings),
            credentials=credentials,
            gate=gate,
            timeouts=settings.timeouts(),
            max_retries=settings.max_retries,
            ca_bundle=settings.ca_bundle or BureauSettings.from_env().ca_bundle,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self.transport.close()

    def __enter__(self) -> QianhaiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def query(
        self,
        product: str,
        subject: Subject,
        *,
        bank_code: str,
        reason: str,
        business_ref: str,
        operator: str,
        consent_id: str | None = None,
        at: dt.datetime | None = None,
        allow_reuse: bool = True,
    ) -> QianhaiResult:
        """Query one product about one subject; the typed result (``hit`` or ``no_data``).

        An answer of the same product stored for this bank inside its reuse window is reused
        (not billed again). Raises :class:`~bureau_adapters.exceptions.ConsentError`
        (nothing sent) without a valid consent, the coded rejection for any Qianhai result
        code other than ``E000000``/``E000996``, and a transport error or timeout otherwise.
        """
        return self.run(
            product,
            subject,
            bank_code=bank_code,
            reason=reason,
            business_ref=business_ref,
            operator=operator,
            consent_id=consent_id,
            at=at,
            allow_reuse=allow_reuse,
        )[0]

    def run(
        self,
        product: str,
        subject: Subject,
        *,
        bank_code: str,
        reason: str,
        business_ref: str,
        operator: str,
        consent_id: str | None = None,
        at: dt.datetime | None = None,
        allow_reuse: bool = True,
        request_id: str | None = None,
    ) -> tuple[QianhaiResult, QueryResult]:
        """:meth:`query`, also returning the gate's answer (store id, audit id, reuse)."""
        prod = get_product(product)
        try:
            _check_request(subject, reason)
        except QianhaiReasonError as exc:
            self._audit_refusal(exc, subject, bank_code, reason, business_ref, operator)
            raise
        request = QueryRequest(
            bank_code=bank_code,
            bureau="qianhai",
            product=prod.code,
            subject=GateSubject(
                subject.name, "10" if subject.id_type == "0" else subject.id_type, subject.id_number
            ),
            reason=reason,
            operator=operator,
            business_ref=business_ref,
            request_id=request_id or new_request_id(),
            at=at,
            consent_id=consent_id,
            allow_reuse=allow_reuse,
        )
        answer = self.gate.run(
            request, lambda req, consent: self._fetch(prod, subject, req, consent)
        )
        result = result_from_stored(
            prod.code,
            answer.content,
            trans_no=answer.report_id or "",
            received_at=answer.fetched_at,
        )
        return result, answer

    def _audit_refusal(
        self,
        exc: QianhaiReasonError,
        subject: Subject,
        bank_code: str,
        reason: str,
        business_ref: str,
        operator: str,
    ) -> None:
        """A query refused by policy before the gate is audited too (nothing was sent)."""
        entry = self.gate.audit.append(
            AuditEntry(
                bank_code=bank_code,
                bureau="qianhai",
                operator=operator,
                subject_key=self.gate.keyer.key(subject.id_number),
                subject_masked=mask_id(subject.id_number),
                reason=reason[:4] or "-",
                business_ref=business_ref,
                request_id=new_request_id(),
                outcome=QueryOutcome.REFUSED,
                code=exc.code,
                elapsed_ms=0,
                message=exc.message,
            )
        )
        exc.fields["audit_id"] = entry.audit_id

    # --- one request, possibly several attempts ----------------------------------------------

    def _fetch(
        self, prod: Product, subject: Subject, request: QueryRequest, consent: Consent
    ) -> FetchedAnswer:
        subject_key = self.gate.keyer.key(subject.id_number)
        original: str | None = None
        attempt = 0
        while True:
            attempt += 1
            trans_no = self._reserve(prod, request, subject_key, original, attempt)
            original = original or trans_no
            try:
                return self._attempt(prod, subject, request, consent, trans_no)
            except BureauError as exc:
                exc.fields.update(trans_no=trans_no, original_trans_no=original, attempt=attempt)
                if attempt > self.max_retries or not _retryable(exc):
                    raise
                logger.info(
                    "qianhai %s transNo=%s failed with %s before reaching Qianhai; "
                    "retrying with a new transNo (attempt %d)",
                    prod.message_code,
                    trans_no,
                    exc.code,
                    attempt + 1,
                )
                time.sleep(self.retry_backoff_s * 2 ** (attempt - 1))

    def _reserve(
        self,
        prod: Product,
        request: QueryRequest,
        subject_key: str,
        original: str | None,
        attempt: int,
    ) -> str:
        for _ in range(5):
            trans_no = envelope.new_trans_no(dt.datetime.now(CHINA_TZ))
            if self.ledger.reserve(
                trans_no,
                request_id=request.request_id,
                bank_code=request.bank_code,
                product=prod.code,
                subject_key=subject_key,
                reason=request.reason,
                original_trans_no=original,
                attempt=attempt,
            ):
                return trans_no
        raise QianhaiRequestError(  # pragma: no cover - 32 random bits collided five times
            "Could not reserve a unique Qianhai transNo.", code="QH_TRANSNO_EXHAUSTED"
        )

    def _attempt(
        self,
        prod: Product,
        subject: Subject,
        request: QueryRequest,
        consent: Consent,
        trans_no: str,
    ) -> FetchedAnswer:
        body = self._body(prod, subject, request, consent, trans_no)
        try:
            response = self.transport.post(
                self.endpoint + prod.path,
                body,
                {"Content-Type": "application/json;charset=UTF-8"},
                request_id=request.request_id,
            )
        except BureauError as exc:
            sent = exc.fields.get("request_sent", True)
            self.ledger.close(trans_no, "unknown" if sent else "not_sent", exc.code)
            raise
        try:
            if response.status_code != 200:
                raise QianhaiHttpError(
                    f"Qianhai answered HTTP {response.status_code} for {prod.message_code}.",
                    code="QH_HTTP_STATUS",
                    status_code=response.status_code,
                    request_sent=True,
                )
            opened = envelope.open_response(
                response.content,
                check_code=self.credentials.check_code,
                vendor_public_key=self.credentials.vendor_public_key,
                expected_trans_no=trans_no,
                product=prod.code,
            )
            if opened.rt_code == NO_DATA and opened.busi is None:  # message-level no data
                records: list[Any] = [{"erCode": NO_DATA}]
            else:
                records = [r for r in opened.records if str(r.get("seqNo", "1")) == "1"]
            typed = parse_records(prod.code, records, trans_no=trans_no)
        except QianhaiRejected as exc:
            self.ledger.close(trans_no, "rejected", exc.fields.get("vendor_code"))
            raise
        except QianhaiHttpError as exc:
            self.ledger.close(trans_no, "unknown", exc.code)
            raise
        except BureauError as exc:
            self.ledger.close(trans_no, "failed", exc.code)
            raise
        code = SUCCESS if typed.outcome == "hit" else NO_DATA
        self.ledger.close(trans_no, "answered", code)
        content = (
            None if typed.outcome == "no_data" else stored_content(prod.code, trans_no, records)
        )
        return FetchedAnswer(
            code=f"QH_{code}",
            content=content,
            report_id=trans_no,
            report_date=query_date(request.at),  # the query's date (UTC+8), as for PBOC
        )

    def _body(
        self,
        prod: Product,
        subject: Subject,
        request: QueryRequest,
        consent: Consent,
        trans_no: str,
    ) -> bytes:
        now = dt.datetime.now(CHINA_TZ).strftime(envelope.TIME_FORMAT)
        header = {
            "orgCode": self.identity.org_code,
            "chnlId": self.identity.chnl_id,
            "transNo": trans_no,
            "transDate": now,
            "authCode": self.identity.auth_code,
            "authDate": self.identity.auth_date,
        }
        record = request_record(
            prod,
            subject,
            reason=request.reason,
            entity_auth_code=consent.consent_id.replace("-", ""),
            entity_auth_date=consent.signed_on,
        )
        busi = {"batchNo": envelope.new_batch_no(trans_no), "records": [record]}
        return envelope.request_envelope(
            header,
            busi,
            check_code=self.credentials.check_code,
            private_key=self.credentials.private_key,
            user_name=self.identity.user_name,
            password_sha1=self.credentials.password_sha1,
        )


def _check_request(subject: Subject, reason: str) -> None:
    if reason not in BANK_REASONS:
        raise QianhaiReasonError(
            f"The Qianhai query reason must be one of {sorted(BANK_REASONS)} "
            f"({', '.join(BANK_REASONS.values())}). Got {reason!r}.",
            field="reason",
        )
    if subject.id_type == "0":
        why = validate_resident_id(subject.id_number)
        if why is not None:
            raise QianhaiRequestError(
                f"The subject's ID number ({mask_id(subject.id_number)}) is not a valid "
                f"resident ID: {why}.",
                code="QH_BAD_ID_NUMBER",
                field="id_number",
            )


def _retryable(exc: BureauError) -> bool:
    if isinstance(exc, QianhaiRejected):
        return exc.fields.get("level") == "message" and exc.fields.get("vendor_code") in (
            RETRYABLE_CODES
        )
    return exc.fields.get("request_sent") is False
