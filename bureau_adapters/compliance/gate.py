"""The bureau-neutral query flow: consent → reuse → fetch → store → audit.

Every bureau client (PBOC, Qianhai) and the scoring service query through
:meth:`ComplianceGate.run`, passing a ``fetch`` function that does the bureau-specific part
(build the request, send it, map the answer's codes). The gate guarantees, for every bureau:

1. no query without a valid consent for this subject, bank, bureau and reason
   (:class:`~bureau_adapters.exceptions.ConsentError`; nothing is sent);
2. reuse of this bank's stored answer for the same bureau product inside its reuse window
   (no second billable query, no second query record at the bureau);
3. the answer is stored before it is returned;
4. exactly one audit row per call — for refusals, bureau rejections, transport errors and
   unexpected exceptions too (a coded error carries ``fields["audit_id"]``; an unexpected
   exception is re-raised with the audit id in a note and audited as ``<BUREAU>_UNEXPECTED``);
5. log lines, audit rows and raised errors carry the masked subject only: a bureau's error
   text that quotes the applicant's name or ID number is masked before it is audited or
   raised (:func:`scrub_subject`), and the library error behind it is kept by type only;
6. concurrent first queries about the same subject and product at the same bank wait for the
   first one and reuse its answer: in one process (a thread lock) and across processes
   (:mod:`~bureau_adapters.compliance.locks`: a PostgreSQL advisory lock, a lock file next to
   a SQLite database).

The reuse path is one transaction on one connection: one statement reads the consents and
the reusable answer (the answer is used only if the consents pass), then the audit row, one
commit. Consent is read from the database on every query, never cached, so a revocation or
an expiry takes effect at the next query. A reused report is decompressed and checked
against its SHA-256 only when :attr:`QueryResult.content` is first read.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import AuditEntry, AuditLog, QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import (
    CONSENT_FIELDS,
    OF_SUBJECT_AT_BUREAU,
    Consent,
    ConsentRegistry,
)
from bureau_adapters.compliance.db import utcnow
from bureau_adapters.compliance.locks import FileLocks, lock_number, query_lock, sqlite_lock_file
from bureau_adapters.compliance.store import (
    ReportStore,
    StoredReport,
    reusable_query,
    reuse_params,
)
from bureau_adapters.compliance.subject import Subject, SubjectKeyer
from bureau_adapters.exceptions import BureauError, BureauRejected, ConsentError
from bureau_adapters.pii import mask_text

__all__ = [
    "ComplianceGate",
    "FetchedAnswer",
    "QueryRequest",
    "QueryResult",
    "new_request_id",
    "scrub_subject",
]

logger = logging.getLogger(__name__)


def new_request_id() -> str:
    """A fresh internal request id: 24 base32 characters (a-z, 2-7).

    The alphabet has no 0, 1, 8 or 9, so an id can never look like a phone number to the
    log masking and be garbled in log lines.
    """
    return base64.b32encode(os.urandom(15)).decode("ascii").lower()


def scrub_subject(exc: BureauError, subject: Subject) -> BureauError:
    """Mask ``subject`` in a bureau error, in place, and drop the library error behind it.

    Bureaus echo the applicant in their error texts (a PBOC front-end's fault string, a
    Qianhai ``erMsg`` such as "姓名…与证件号…不一致"). Patterns find ID numbers and phones
    (:func:`~bureau_adapters.pii.mask_text`) but not names, so the exact name of the
    subject is replaced too, in the message and in every text field (fields are not
    pattern-masked: a transNo or request id must stay intact). The original
    exception (a zeep fault, an httpx error) may quote the same text: only its type is kept,
    as ``fields["cause"]``, so no traceback can print it.
    """

    def clean(text: str) -> str:
        if subject.name:
            text = text.replace(subject.name, subject.masked_name)
        return text.replace(subject.id_number, subject.masked_id)

    exc.message = mask_text(clean(exc.message))
    exc.args = (exc.message,)
    for key, value in exc.fields.items():
        if isinstance(value, str):  # identifiers (transNo, request id) must stay intact
            exc.fields[key] = clean(value)
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        exc.fields.setdefault("cause", type(cause).__name__)
    exc.__cause__ = None
    exc.__suppress_context__ = True
    return exc


@dataclass(frozen=True)
class QueryRequest:
    """Who asks which bureau about whom, why, and under which business reference."""

    bank_code: str
    bureau: str
    subject: Subject
    reason: str
    operator: str
    business_ref: str
    request_id: str = field(default_factory=new_request_id)
    at: dt.datetime | None = None
    consent_id: str | None = None
    allow_reuse: bool = True
    product: str | None = None


@dataclass(frozen=True)
class FetchedAnswer:
    """What a bureau ``fetch`` returns: a report, or an explicit "no record" (``content=None``)."""

    code: str
    content: bytes | None
    report_id: str | None = None
    report_date: dt.date | None = None


@dataclass(frozen=True)
class QueryResult:
    """The answer of :meth:`ComplianceGate.run`. ``NO_RECORD`` is an answer, never "no risk"."""

    outcome: QueryOutcome
    source: ReportSource
    code: str
    request_id: str
    audit_id: int
    store_id: int
    consent_id: str
    report_id: str | None
    report_date: dt.date | None
    fetched_at: dt.datetime
    elapsed_ms: int
    stored: StoredReport | None = field(default=None, repr=False, compare=False)

    @property
    def content(self) -> bytes | None:
        """The raw answer (``None`` for "no record"), decompressed and checked against its
        SHA-256 on first read (:attr:`StoredReport.content`; ``STORE_CORRUPT`` if it does not
        match): a caller that has what it derived from ``store_id`` need not read it."""
        return None if self.stored is None else self.stored.content

    @property
    def reused(self) -> bool:
        """True when the answer came from the store (not billed again)."""
        return self.source is ReportSource.REUSED


Fetch = Callable[[QueryRequest, Consent], FetchedAnswer]

_CONSENT_WIDTH = len(CONSENT_FIELDS)


def _joined(product: str | None) -> sa.Select[Any]:
    """A subject's consents for a bureau, each row carrying the newest reusable answer's
    columns (NULL when there is none): the consent read and the reuse lookup of one query
    in one statement. Both are scoped by the same bank, subject key and bureau parameters."""
    reusable = reusable_query(product).subquery("reusable")
    return OF_SUBJECT_AT_BUREAU.outerjoin(reusable, sa.true()).add_columns(*reusable.c)


#: Built once per product kind (statement building costs more CPU than running it).
_JOINED = {False: _joined(None), True: _joined("product")}


def _with_reusable(product: str | None) -> sa.Select[Any]:
    return _JOINED[product is not None]


class ComplianceGate:
    """Consent registry, report store and audit log behind every bureau query.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Database of the compliance tables.
    reuse_window : timedelta or callable
        The reuse window, or a function ``bank_code -> timedelta`` (per-bank windows).
    keyer : SubjectKeyer, optional
        Subject key function shared by the three tables.
    relaxed_reuse_audit : bool
        Commit the audit row of a *reused* answer without waiting for the log flush
        (:func:`~bureau_adapters.compliance.db.relax_commit`; ``docs/bureaus.md``). Off by
        default: every audit row is durable when :meth:`run` returns. The scoring service
        turns it on, because each rating commits its decision durably right after.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        reuse_window: dt.timedelta | Callable[[str], dt.timedelta] = dt.timedelta(days=30),
        keyer: SubjectKeyer | None = None,
        relaxed_reuse_audit: bool = False,
    ) -> None:
        self.engine = engine
        self.relaxed_reuse_audit = relaxed_reuse_audit
        self.keyer = keyer or SubjectKeyer.for_engine(engine)
        self.consents = ConsentRegistry(engine, keyer=self.keyer)
        self.audit = AuditLog(engine)
        self.store = ReportStore(engine)
        self.reuse_window = reuse_window
        self._locks: weakref.WeakValueDictionary[tuple[str, str, str], threading.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._locks_guard = threading.Lock()
        lock_file = sqlite_lock_file(engine)
        self._file_locks = None if lock_file is None else FileLocks(lock_file)

    def window_for(self, bank_code: str) -> dt.timedelta:
        """The reuse window of ``bank_code``."""
        if isinstance(self.reuse_window, dt.timedelta):
            return self.reuse_window
        return self.reuse_window(bank_code)

    def run(self, request: QueryRequest, fetch: Fetch) -> QueryResult:
        """Run one query through the gate; see the module docstring for the guarantees."""
        started = time.perf_counter()
        subject_key = self.keyer.key(request.subject.id_number)
        # consent check, store lookup and (on reuse) the audit row: one transaction, one commit
        with self.engine.begin() as conn:
            candidates, stored = self._lookup(request, subject_key, conn)
            try:
                consent = self._check_consent(request, subject_key, conn, candidates)
            except ConsentError as exc:
                refused: ConsentError | None = exc
                self._fail(request, subject_key, started, exc, QueryOutcome.REFUSED, None, conn)
            else:
                refused = None
                if stored is not None:
                    return self._reused(request, subject_key, started, consent, stored, conn)
        if refused is not None:
            raise refused
        with self._subject_lock(request.bank_code, self._scope(request), subject_key):
            return self._locked_fetch(request, subject_key, started, consent, fetch)

    def _lookup(
        self, request: QueryRequest, subject_key: str, connection: sa.Connection
    ) -> tuple[list[Consent] | None, StoredReport | None]:
        """The subject's consents for this bureau and its reusable answer, in one statement
        (one round trip less than two). The answer is used only once the consents pass
        :meth:`ConsentRegistry.check`. ``(None, None)`` when reuse is off for this query:
        the check then reads the consents itself."""
        params = None
        if request.allow_reuse:
            params = reuse_params(
                bank_code=request.bank_code,
                bureau=request.bureau,
                subject_key=subject_key,
                window=self.window_for(request.bank_code),
                at=request.at,
                product=request.product,
            )
        if params is None:
            return None, None
        rows = connection.execute(_with_reusable(request.product), params).all()
        candidates = [Consent(*row[:_CONSENT_WIDTH]) for row in rows]
        if not rows or rows[0][_CONSENT_WIDTH] is None:  # no consent, or nothing to reuse
            return candidates, None
        # content is checked when first read (StoredReport.content)
        return candidates, StoredReport(*rows[0][_CONSENT_WIDTH:])

    def _check_consent(
        self,
        request: QueryRequest,
        subject_key: str,
        connection: sa.Connection,
        candidates: list[Consent] | None = None,
    ) -> Consent:
        return self.consents.check(
            bank_code=request.bank_code,
            subject_id=request.subject.id_number,
            bureau=request.bureau,
            reason=request.reason,
            at=request.at,
            consent_id=request.consent_id,
            connection=connection,
            subject_key=subject_key,
            candidates=candidates,
        )

    @staticmethod
    def _scope(request: QueryRequest) -> str:
        return request.bureau if request.product is None else f"{request.bureau}:{request.product}"

    def _subject_lock(self, bank_code: str, scope: str, subject_key: str) -> threading.Lock:
        """One lock per bank, bureau (product) and subject: concurrent queries in this
        process about the same subject wait for the first answer and reuse it."""
        key = (bank_code, scope, subject_key)
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def _reusable(
        self, request: QueryRequest, subject_key: str, connection: sa.Connection
    ) -> StoredReport | None:
        if not request.allow_reuse:
            return None
        return self.store.find_reusable(
            bank_code=request.bank_code,
            bureau=request.bureau,
            product=request.product,
            subject_key=subject_key,
            window=self.window_for(request.bank_code),
            at=request.at,
            connection=connection,
        )

    def _reused(
        self,
        request: QueryRequest,
        subject_key: str,
        started: float,
        consent: Consent,
        stored: StoredReport,
        connection: sa.Connection,
    ) -> QueryResult:
        code = f"{request.bureau.upper()}_REUSED"
        return self._done(
            request,
            subject_key,
            started,
            consent,
            stored,
            code,
            ReportSource.REUSED,
            connection,
            relaxed=self.relaxed_reuse_audit,  # nothing was sent or billed; see relax_commit
        )

    def _locked_fetch(
        self,
        request: QueryRequest,
        subject_key: str,
        started: float,
        consent: Consent,
        fetch: Fetch,
    ) -> QueryResult:
        """Under the cross-process lock of this subject: look again, else fetch and store.

        The lock (:mod:`~bureau_adapters.compliance.locks`) makes a second process that asks
        about the same subject at the same moment wait, then reuse the first one's answer.
        """
        number = lock_number(request.bank_code, request.bureau, request.product, subject_key)
        failure: BaseException | None = None
        with self.engine.connect() as raw, query_lock(raw, self._file_locks, number) as conn:
            stored = self._reusable(request, subject_key, conn)
            if stored is not None:
                return self._reused(request, subject_key, started, consent, stored, conn)
            try:
                answer = fetch(request, consent)
            except BureauError as exc:
                scrub_subject(exc, request.subject)
                outcome = (
                    QueryOutcome.REJECTED if isinstance(exc, BureauRejected) else QueryOutcome.ERROR
                )
                self._fail(request, subject_key, started, exc, outcome, consent.consent_id, conn)
                failure = exc
            except Exception as exc:  # a bug or an untranslated library error: audited too
                self._fail_unexpected(request, subject_key, started, exc, consent, conn)
                failure = exc
            else:
                stored = self.store.save(
                    bank_code=request.bank_code,
                    bureau=request.bureau,
                    product=request.product,
                    subject_key=subject_key,
                    reason=request.reason,
                    request_id=request.request_id,
                    content=answer.content,
                    report_id=answer.report_id,
                    report_date=answer.report_date,
                    fetched_at=request.at,
                    connection=conn,
                )
                return self._done(
                    request,
                    subject_key,
                    started,
                    consent,
                    stored,
                    answer.code,
                    ReportSource.FRESH,
                    conn,
                )
        raise failure  # after the audit row is committed

    def _entry(
        self, request: QueryRequest, subject_key: str, started: float, **values: Any
    ) -> AuditEntry:
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        return AuditEntry(
            bank_code=request.bank_code,
            bureau=request.bureau,
            operator=request.operator,
            subject_key=subject_key,
            subject_masked=request.subject.masked_id,
            reason=request.reason,
            business_ref=request.business_ref,
            request_id=request.request_id,
            elapsed_ms=elapsed_ms,
            occurred_at=request.at or utcnow(),
            product=request.product,
            **values,
        )

    def _done(
        self,
        request: QueryRequest,
        subject_key: str,
        started: float,
        consent: Consent,
        stored: StoredReport,
        code: str,
        source: ReportSource,
        connection: sa.Connection | None = None,
        *,
        relaxed: bool = False,
    ) -> QueryResult:
        outcome = QueryOutcome.REPORT if stored.has_record else QueryOutcome.NO_RECORD
        entry = self.audit.append(
            self._entry(
                request,
                subject_key,
                started,
                outcome=outcome,
                code=code,
                source=source,
                report_id=stored.report_id,
                consent_id=consent.consent_id,
                store_id=stored.store_id,
            ),
            connection=connection,
            relaxed=relaxed,
        )
        self._log(request, entry)
        return QueryResult(
            outcome=outcome,
            source=source,
            code=code,
            request_id=request.request_id,
            audit_id=entry.audit_id or 0,
            store_id=stored.store_id,
            consent_id=consent.consent_id,
            report_id=stored.report_id,
            report_date=stored.report_date,
            fetched_at=stored.fetched_at,
            elapsed_ms=entry.elapsed_ms,
            stored=stored,
        )

    def _fail(
        self,
        request: QueryRequest,
        subject_key: str,
        started: float,
        exc: BureauError,
        outcome: QueryOutcome,
        consent_id: str | None,
        connection: sa.Connection | None = None,
    ) -> None:
        entry = self.audit.append(
            self._entry(
                request,
                subject_key,
                started,
                outcome=outcome,
                code=exc.code,
                consent_id=consent_id,
                message=exc.message,
            ),
            connection=connection,
        )
        exc.fields["audit_id"] = entry.audit_id
        exc.fields.setdefault("request_id", request.request_id)
        self._log(request, entry)

    def _fail_unexpected(
        self,
        request: QueryRequest,
        subject_key: str,
        started: float,
        exc: BaseException,
        consent: Consent,
        connection: sa.Connection,
    ) -> None:
        """Audit an exception that is not a :class:`BureauError`; only its type is kept
        (its text may quote the applicant)."""
        entry = self.audit.append(
            self._entry(
                request,
                subject_key,
                started,
                outcome=QueryOutcome.ERROR,
                code=f"{request.bureau.upper()}_UNEXPECTED",
                consent_id=consent.consent_id,
                message=f"unexpected {type(exc).__name__} while querying; see the service log",
            ),
            connection=connection,
        )
        exc.add_note(f"bureau query audit_id={entry.audit_id}")
        self._log(request, entry)

    @staticmethod
    def _log(request: QueryRequest, entry: AuditEntry) -> None:
        level = (
            logging.INFO
            if entry.outcome in (QueryOutcome.REPORT, QueryOutcome.NO_RECORD)
            else logging.WARNING
        )
        if not logger.isEnabledFor(level):  # masking the line costs more than the lookup
            return
        logger.log(
            level,
            mask_text(
                f"bureau query {entry.bureau} bank={entry.bank_code} subject={request.subject.masked_id} "
                f"name={request.subject.masked_name} reason={entry.reason} "
                f"business_ref={entry.business_ref} operator={entry.operator} "
                f"outcome={entry.outcome.value} code={entry.code} "
                f"source={entry.source.value if entry.source else '-'} report_id={entry.report_id or '-'} "
                f"audit_id={entry.audit_id} elapsed_ms={entry.elapsed_ms} request_id={entry.request_id}"
            ),
        )
