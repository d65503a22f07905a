"""Append-only audit log of every bureau query, reused or fresh, successful or not.

One row per query attempt: operator, bank, masked subject (and its key), bureau, query
reason, business reference (``bussId``), request id, time, outcome and code, report id,
whether the report was fetched fresh or reused, elapsed milliseconds. There is no update or
delete API, and the table refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) with a
trigger, so a bug or a careless script cannot rewrite history either.

>>> from bureau_adapters.compliance.db import create_engine
>>> log = AuditLog(create_engine("sqlite://"))
>>> row = log.append(AuditEntry(bank_code="301", bureau="pboc", operator="clerk01",
...     subject_key="k" * 64, subject_masked="110105********002X", reason="02",
...     business_ref="LN-1", request_id="r1", outcome=QueryOutcome.REFUSED,
...     code="CONSENT_MISSING", elapsed_ms=1))
>>> [r.code for r in log.list("301")], log.list("302")
(['CONSENT_MISSING'], [])
"""

from __future__ import annotations

import builtins
import datetime as dt
import enum
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import (
    audit_table,
    ensure_schema,
    relax_commit,
    transaction,
    utcnow,
)
from bureau_adapters.exceptions import BureauError
from bureau_adapters.pii import mask_text

__all__ = ["AuditEntry", "AuditLog", "QueryOutcome", "ReportSource"]


class QueryOutcome(enum.StrEnum):
    """What a query ended with. Only ``REPORT`` and ``NO_RECORD`` are answers."""

    REPORT = "report"
    NO_RECORD = "no_record"
    REFUSED = "refused"  # no valid consent: nothing was sent
    REJECTED = "rejected"  # the bureau answered with an error code
    ERROR = "error"  # transport failure, timeout, malformed answer


class ReportSource(enum.StrEnum):
    """Whether the answer was fetched (and billed) now or reused from the store."""

    FRESH = "fresh"
    REUSED = "reused"


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; ``audit_id`` is set by :meth:`AuditLog.append`."""

    bank_code: str
    bureau: str
    operator: str
    subject_key: str
    subject_masked: str
    reason: str
    business_ref: str
    request_id: str
    outcome: QueryOutcome
    code: str
    elapsed_ms: int
    occurred_at: dt.datetime = field(default_factory=utcnow)
    source: ReportSource | None = None
    report_id: str | None = None
    consent_id: str | None = None
    store_id: int | None = None
    message: str | None = None
    audit_id: int | None = None
    product: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["occurred_at"] = self.occurred_at.isoformat()
        return out


_COLUMNS = tuple(f.name for f in fields(AuditEntry) if f.name != "audit_id")
#: Built once (statement building costs more CPU than running it).
_INSERT = audit_table.insert().returning(audit_table.c.audit_id)
#: PostgreSQL: the insert also sets ``synchronous_commit`` off for its transaction (the
#: ``true`` of set_config is SET LOCAL); RETURNING runs it once, for the one row inserted,
#: before the commit reads the setting.
_INSERT_RELAXED = audit_table.insert().returning(
    audit_table.c.audit_id, sa.func.set_config("synchronous_commit", "off", sa.true())
)

_REQUIRED_TEXT = (
    "bank_code",
    "bureau",
    "operator",
    "subject_key",
    "subject_masked",
    "reason",
    "business_ref",
    "request_id",
    "code",
)


class AuditLog:
    """Writes and reads the query audit log; reads are scoped by ``bank_code``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)

    def append(
        self,
        entry: AuditEntry,
        *,
        connection: sa.Connection | None = None,
        relaxed: bool = False,
    ) -> AuditEntry:
        """Insert ``entry`` and return it with its ``audit_id``. The message is masked.

        Pass ``connection`` to write inside the caller's transaction (the gate stores a
        fresh report and its audit row in one commit). ``relaxed`` lets that transaction's
        commit return before its log is flushed (:func:`~bureau_adapters.compliance.db.
        relax_commit`; the gate's reuse rows in the service only): on PostgreSQL the insert
        itself says so (``set_config`` in its ``RETURNING``, one round trip less than a
        ``SET LOCAL`` before it), elsewhere :func:`relax_commit` runs first.
        """
        for name in _REQUIRED_TEXT:
            if not str(getattr(entry, name) or "").strip():
                raise BureauError(
                    f"The audit entry field {name!r} must not be empty.",
                    code="AUDIT_INVALID_FIELD",
                    field=name,
                )
        message = None if entry.message is None else mask_text(entry.message)[:300]
        values = {name: getattr(entry, name) for name in _COLUMNS}  # flat: no asdict copy
        values["message"] = message
        values["outcome"] = QueryOutcome(entry.outcome).value
        values["source"] = None if entry.source is None else ReportSource(entry.source).value
        with transaction(self.engine, connection) as conn:
            if relaxed and conn.dialect.name == "postgresql":
                audit_id = conn.execute(_INSERT_RELAXED, values).one()[0]
            else:
                if relaxed:
                    relax_commit(conn)
                audit_id = conn.execute(_INSERT, values).scalar_one()
        return replace(entry, message=message, audit_id=int(audit_id))

    def get(self, bank_code: str, audit_id: int) -> AuditEntry:
        """Row ``audit_id`` of ``bank_code``; another bank's row is not found."""
        rows = self._select(bank_code, audit_table.c.audit_id == audit_id, limit=1)
        if not rows:
            raise BureauError(
                f"No audit row {audit_id} at bank {bank_code}.",
                code="AUDIT_NOT_FOUND",
                bank_code=bank_code,
            )
        return rows[0]

    def list(
        self,
        bank_code: str,
        *,
        since: dt.datetime | None = None,
        business_ref: str | None = None,
        request_id: str | None = None,
        limit: int = 1000,
    ) -> list[AuditEntry]:
        """Rows of ``bank_code``, oldest first, optionally filtered."""
        conditions = []
        if since is not None:
            conditions.append(audit_table.c.occurred_at >= since)
        if business_ref is not None:
            conditions.append(audit_table.c.business_ref == business_ref)
        if request_id is not None:
            conditions.append(audit_table.c.request_id == request_id)
        return self._select(bank_code, *conditions, limit=limit)

    def _select(self, bank_code: str, *conditions: Any, limit: int) -> builtins.list[AuditEntry]:
        query = (
            sa.select(audit_table)
            .where(audit_table.c.bank_code == bank_code, *conditions)
            .order_by(audit_table.c.audit_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_entry(row) for row in rows]


def _entry(row: Any) -> AuditEntry:
    values = dict(row)
    values["outcome"] = QueryOutcome(values["outcome"])
    values["source"] = None if values["source"] is None else ReportSource(values["source"])
    return AuditEntry(**values)
