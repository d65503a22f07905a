"""Consent registry: the subject's written authorisation (书面授权) behind every query.

Art. 18 of the 征信业管理条例 requires the subject's written consent and an agreed purpose for
querying personal credit data; supervisors treat an authorisation dated after the query, or
one with no original on file, as no authorisation. So a consent here records who (subject
key), for which bank, for which bureau and query reason, when it was signed, the dates it
covers, and the SHA-256 of the signed document; :meth:`ConsentRegistry.check` refuses a
query unless one covers it, and says which condition failed:

=========================  ================================================================
code                       condition
=========================  ================================================================
``CONSENT_MISSING``        no consent on file for this subject at this bank and bureau
``CONSENT_REASON``         consents on file, but none for this query reason
``CONSENT_NOT_YET_VALID``  the consent's validity starts after the query date
``CONSENT_EXPIRED``        the consent's validity ended before the query date
``CONSENT_REVOKED``        the consent was revoked
=========================  ================================================================

Dates are calendar dates in China Standard Time (UTC+8), both ends inclusive.

>>> import datetime as dt
>>> from bureau_adapters.compliance.db import create_engine
>>> registry = ConsentRegistry(create_engine("sqlite://"), keyer=SubjectKeyer(b"k"))
>>> consent = registry.record(
...     bank_code="301", subject_id="11010519491231002X", bureau="pboc", reason="02",
...     signed_on=dt.date(2026, 3, 1), valid_until=dt.date(2027, 2, 28),
...     document_sha256="ab" * 32, recorded_by="clerk01")
>>> registry.check(bank_code="301", subject_id="11010519491231002X", bureau="pboc",
...                reason="02", at=dt.date(2026, 6, 1)).consent_id == consent.consent_id
True
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import (
    consent_table,
    ensure_schema,
    transaction_or_connect,
    utcnow,
)
from bureau_adapters.compliance.subject import RESIDENT_ID, SubjectKeyer
from bureau_adapters.exceptions import BureauError, ConsentError
from bureau_adapters.pii import mask_id

__all__ = [
    "CHINA_TZ",
    "CONSENT_FIELDS",
    "OF_SUBJECT_AT_BUREAU",
    "QUERY_REASONS",
    "Consent",
    "ConsentRegistry",
    "query_date",
    "validate_reason",
]

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), "CST")

QUERY_REASONS: Mapping[str, Mapping[str, str]] = {
    # PBOC second-generation personal query reasons (查询原因（二代个人）), pboc-report.md §2.5.
    "pboc": {
        "01": "post-loan management (贷后管理)",
        "02": "loan approval (贷款审批)",
        "03": "credit-card approval (信用卡审批)",
        "08": "guarantee qualification review (担保资格审查)",
        "09": "judicial investigation (司法调查)",
        "16": "housing-fund withdrawal re-check (公积金提取复核)",
        "18": "stock-index futures account opening (股指期货开户)",
        "19": "merchant real-name review (特约商户实名审查)",
        "20": "pre-guarantee review (保前审查)",
        "21": "post-guarantee management (保后管理)",
        "22": "review of legal representative / executives (法人代表、负责人、高管等资信审查)",
        "23": "customer admission review (客户准入资格审查)",
        "24": "financing approval (融资审批)",
        "25": "credit standing review (资信审查)",
        "26": "limit approval (额度审批)",
    },
    # Qianhai reasonCode, third-party-bureaus.md §2.2.
    "qianhai": {
        "01": "loan approval (贷款审批)",
        "02": "in-loan management (贷中管理)",
        "03": "post-loan management (贷后管理)",
        "04": "self query (本人查询)",
        "05": "dispute query (异议查询)",
        "99": "other (其他)",
    },
}

_BANK_RE = re.compile(r"^[0-9A-Za-z]{1,8}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def query_date(at: dt.datetime | dt.date | None) -> dt.date:
    """The calendar date (UTC+8) of a query time; ``None`` means now."""
    if at is None:
        at = utcnow()
    if isinstance(at, dt.datetime):
        if at.tzinfo is None:
            raise BureauError(
                "The query time 'at' must be timezone-aware.",
                code="CONSENT_INVALID_FIELD",
                field="at",
            )
        return at.astimezone(CHINA_TZ).date()
    return at


def validate_reason(bureau: str, reason: str) -> None:
    """Raise a coded error unless ``reason`` is a query reason code of ``bureau``."""
    if bureau not in QUERY_REASONS:
        raise BureauError(
            f"The 'bureau' must be one of {sorted(QUERY_REASONS)}. Got {bureau!r}.",
            code="CONSENT_INVALID_FIELD",
            field="bureau",
        )
    codes = QUERY_REASONS[bureau]
    if reason not in codes:
        raise BureauError(
            f"The 'reason' must be a {bureau} query reason code, one of {sorted(codes)}. Got {reason!r}.",
            code="CONSENT_INVALID_FIELD",
            field="reason",
            bureau=bureau,
        )


def _check_bank(bank_code: str) -> None:
    if not isinstance(bank_code, str) or not _BANK_RE.match(bank_code):
        raise BureauError(
            f"The 'bank_code' must be 1-8 letters or digits (e.g. '301'). Got {bank_code!r}.",
            code="CONSENT_INVALID_FIELD",
            field="bank_code",
        )


@dataclass(frozen=True)
class Consent:
    """One stored written authorisation (no ID number in clear)."""

    consent_id: str
    bank_code: str
    bureau: str
    subject_key: str
    subject_masked: str
    id_type: str
    reason: str
    signed_on: dt.date
    valid_from: dt.date
    valid_until: dt.date
    document_sha256: str
    document_ref: str | None
    recorded_at: dt.datetime
    recorded_by: str
    revoked_at: dt.datetime | None = None
    revoked_reason: str | None = None

    def status_on(self, day: dt.date) -> str:
        """``valid``, ``revoked``, ``not_yet_valid`` or ``expired`` on ``day``."""
        if self.revoked_at is not None:
            return "revoked"
        if day < self.valid_from:
            return "not_yet_valid"
        if day > self.valid_until:
            return "expired"
        return "valid"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO dates)."""
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in asdict(self).items()}


CONSENT_FIELDS = tuple(f.name for f in dataclass_fields(Consent))
#: The consents of one subject at one bank for one bureau (built once: statement building
#: costs more CPU than running it), with the columns in :class:`Consent`'s field order so a row
#: builds a consent positionally (no mapping per row).
OF_SUBJECT_AT_BUREAU = (
    sa.select(*(consent_table.c[name] for name in CONSENT_FIELDS))
    .where(
        consent_table.c.bank_code == sa.bindparam("bank_code"),
        consent_table.c.subject_key == sa.bindparam("subject_key"),
        consent_table.c.bureau == sa.bindparam("bureau"),
    )
    .order_by(consent_table.c.recorded_at, consent_table.c.consent_id)
)


class ConsentRegistry:
    """Records, revokes and checks consents; every read is scoped by ``bank_code``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Database of the compliance tables (created if missing).
    keyer : SubjectKeyer, optional
        Subject key function; default from :class:`~bureau_adapters.settings.BureauSettings`.
    """

    def __init__(self, engine: Engine, *, keyer: SubjectKeyer | None = None) -> None:
        self.engine = engine
        self.keyer = keyer or SubjectKeyer.for_engine(engine)
        ensure_schema(engine)

    def record(
        self,
        *,
        bank_code: str,
        subject_id: str,
        bureau: str,
        reason: str,
        signed_on: dt.date,
        valid_until: dt.date,
        document_sha256: str,
        recorded_by: str,
        valid_from: dt.date | None = None,
        id_type: str = RESIDENT_ID,
        document_ref: str | None = None,
    ) -> Consent:
        """Store a signed authorisation and return it.

        ``valid_from`` defaults to ``signed_on`` and may not precede it; ``document_sha256``
        is the lower-case hex SHA-256 of the signed form (image or PDF) kept on file.
        """
        _check_bank(bank_code)
        validate_reason(bureau, reason)
        start = valid_from or signed_on
        if start < signed_on:
            raise BureauError(
                f"The 'valid_from' ({start}) must not precede 'signed_on' ({signed_on}).",
                code="CONSENT_INVALID_FIELD",
                field="valid_from",
            )
        if valid_until < start:
            raise BureauError(
                f"The 'valid_until' ({valid_until}) must not precede 'valid_from' ({start}).",
                code="CONSENT_INVALID_FIELD",
                field="valid_until",
            )
        digest = document_sha256.strip().lower()
        if not _SHA256_RE.match(digest):
            raise BureauError(
                "The 'document_sha256' must be 64 hex characters (SHA-256 of the signed form).",
                code="CONSENT_INVALID_FIELD",
                field="document_sha256",
            )
        if not recorded_by.strip():
            raise BureauError(
                "The 'recorded_by' must name the operator.",
                code="CONSENT_INVALID_FIELD",
                field="recorded_by",
            )
        consent = Consent(
            consent_id=str(uuid.uuid4()),
            bank_code=bank_code,
            bureau=bureau,
            subject_key=self.keyer.key(subject_id),
            subject_masked=mask_id(subject_id.strip().upper()),
            id_type=id_type,
            reason=reason,
            signed_on=signed_on,
            valid_from=start,
            valid_until=valid_until,
            document_sha256=digest,
            document_ref=document_ref,
            recorded_at=utcnow(),
            recorded_by=recorded_by.strip(),
        )
        with self.engine.begin() as conn:
            conn.execute(consent_table.insert().values(**asdict(consent)))
        return consent

    def get(self, bank_code: str, consent_id: str) -> Consent:
        """The consent ``consent_id`` of ``bank_code``; another bank's consent is not found."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(consent_table).where(
                        consent_table.c.bank_code == bank_code,
                        consent_table.c.consent_id == consent_id,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise ConsentError(
                f"No consent {consent_id!r} on file at bank {bank_code}.",
                code="CONSENT_NOT_FOUND",
                bank_code=bank_code,
                consent_id=consent_id,
            )
        return Consent(**row)

    def list(
        self,
        bank_code: str,
        *,
        subject_id: str | None = None,
        bureau: str | None = None,
        connection: sa.Connection | None = None,
    ) -> list[Consent]:
        """Consents of ``bank_code`` (optionally of one subject / bureau), oldest first.

        Pass ``connection`` to read inside the caller's transaction.
        """
        if subject_id is not None and bureau is not None:  # the hot path: one prebuilt query
            return self._of_subject(bank_code, self.keyer.key(subject_id), bureau, connection)
        query = sa.select(consent_table).where(consent_table.c.bank_code == bank_code)
        if subject_id is not None:
            query = query.where(consent_table.c.subject_key == self.keyer.key(subject_id))
        if bureau is not None:
            query = query.where(consent_table.c.bureau == bureau)
        query = query.order_by(consent_table.c.recorded_at, consent_table.c.consent_id)
        with transaction_or_connect(self.engine, connection) as conn:
            return [Consent(**row) for row in conn.execute(query).mappings()]

    def _of_subject(
        self,
        bank_code: str,
        subject_key: str,
        bureau: str,
        connection: sa.Connection | None,
    ) -> builtins.list[Consent]:
        """The consents of one subject key at ``bank_code`` for ``bureau``, oldest first."""
        params = {"bank_code": bank_code, "subject_key": subject_key, "bureau": bureau}
        with transaction_or_connect(self.engine, connection) as conn:
            return [Consent(*row) for row in conn.execute(OF_SUBJECT_AT_BUREAU, params)]

    def revoke(
        self, bank_code: str, consent_id: str, *, reason: str, at: dt.datetime | None = None
    ) -> Consent:
        """Mark a consent revoked (kept on file; later queries are refused)."""
        current = self.get(bank_code, consent_id)
        if current.revoked_at is not None:
            return current
        with self.engine.begin() as conn:
            conn.execute(
                consent_table.update()
                .where(
                    consent_table.c.bank_code == bank_code, consent_table.c.consent_id == consent_id
                )
                .values(revoked_at=at or utcnow(), revoked_reason=reason[:200])
            )
        return self.get(bank_code, consent_id)

    def check(
        self,
        *,
        bank_code: str,
        subject_id: str,
        bureau: str,
        reason: str,
        at: dt.datetime | dt.date | None = None,
        consent_id: str | None = None,
        connection: sa.Connection | None = None,
        subject_key: str | None = None,
        candidates: Sequence[Consent] | None = None,
    ) -> Consent:
        """The consent that authorises this query, or a :class:`ConsentError` saying why not.

        Parameters
        ----------
        bank_code, subject_id, bureau, reason
            Who asks, about whom, from which bureau, for which purpose (query reason code).
        at : datetime or date, optional
            Query time (default now); compared as a UTC+8 calendar date.
        consent_id : str, optional
            Only this consent may authorise the query (the request's consent reference).
        connection : sqlalchemy.Connection, optional
            Read inside the caller's transaction (the gate's one round of statements).
        subject_key : str, optional
            ``keyer.key(subject_id)`` when the caller has it already (the gate does): the
            HMAC is not computed twice. It must be the key of ``subject_id``.
        candidates : sequence of Consent, optional
            The consents of this subject at ``bank_code`` for ``bureau``, oldest first, as
            the caller has just read them in its transaction (the gate reads them with its
            reuse lookup, in one statement: :data:`OF_SUBJECT_AT_BUREAU` joined); read here
            when absent. Never a cached answer: consent is checked against the database on
            every query.
        """
        _check_bank(bank_code)
        validate_reason(bureau, reason)
        day = query_date(at)
        if candidates is None:
            key = self.keyer.key(subject_id) if subject_key is None else subject_key
            candidates = self._of_subject(bank_code, key, bureau, connection)
        if consent_id is not None:
            candidates = [c for c in candidates if c.consent_id == consent_id]
        for_reason = [c for c in candidates if c.reason == reason]
        if for_reason:
            valid = [c for c in for_reason if c.status_on(day) == "valid"]
            if valid:  # the answer of nearly every query: no refusal text to build
                return max(valid, key=lambda c: (c.valid_until, c.recorded_at))
        fields = {
            "bank_code": bank_code,
            "bureau": bureau,
            "reason": reason,
            "subject": mask_id(subject_id.strip().upper()),
        }
        where = f"subject {fields['subject']} at bank {bank_code} for {bureau}"
        if consent_id is not None:
            where += f" (consent {consent_id})"
        if not candidates:
            raise ConsentError(f"No consent on file for {where}.", code="CONSENT_MISSING", **fields)
        if not for_reason:
            others = sorted({c.reason for c in candidates})
            raise ConsentError(
                f"The consents on file for {where} cover query reasons {others}, not {reason!r}.",
                code="CONSENT_REASON",
                **fields,
            )
        return _pick_valid(for_reason, day, where, fields)


def _pick_valid(
    consents: list[Consent], day: dt.date, where: str, fields: dict[str, str]
) -> Consent:
    statuses = [(c.status_on(day), c) for c in consents]
    valid = [c for status, c in statuses if status == "valid"]
    if valid:
        return max(valid, key=lambda c: (c.valid_until, c.recorded_at))
    future = [c for status, c in statuses if status == "not_yet_valid"]
    if future:
        first = min(c.valid_from for c in future)
        raise ConsentError(
            f"The consent for {where}, reason {fields['reason']}, is not yet valid on {day}: "
            f"valid from {first}.",
            code="CONSENT_NOT_YET_VALID",
            **fields,
        )
    expired = [c for status, c in statuses if status == "expired"]
    if expired:
        last = max(c.valid_until for c in expired)
        raise ConsentError(
            f"The consent for {where}, reason {fields['reason']}, expired on {last} "
            f"(query date {day}).",
            code="CONSENT_EXPIRED",
            **fields,
        )
    raise ConsentError(
        f"The consent for {where}, reason {fields['reason']}, was revoked.",
        code="CONSENT_REVOKED",
        **fields,
    )
