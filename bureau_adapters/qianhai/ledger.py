"""Qianhai transaction ledger: every transNo, persisted before it is sent.

Qianhai refuses a reused transNo (``E000107``) and may bill a retry twice, so each attempt
gets a fresh transNo, written here *before* the request leaves, and linked to the first
attempt of the same internal request (``original_trans_no``). The row is then closed with
what happened:

=============  ===================================================================
``reserved``   written, not yet sent (a crash here leaves this state: never sent)
``answered``   Qianhai answered ``E000000`` or ``E000996``
``rejected``   Qianhai answered with another result code (``rt_code``)
``not_sent``   connect failure: the request provably never left
``unknown``    sent but no usable answer (read timeout, dropped connection): may be billed
``failed``     answered, but the answer was refused (bad signature, malformed)
=============  ===================================================================

``unknown`` rows are what monthly reconciliation against the vendor statement checks first.
The table lives in the shared compliance database (same engine as consents and audit log);
it holds the subject's keyed hash, never the ID number.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import UTCDateTime, create_schema, utcnow

__all__ = ["STATUSES", "TransactionLedger", "TransactionRow", "ledger_table"]

STATUSES = ("reserved", "answered", "rejected", "not_sent", "unknown", "failed")

_metadata = sa.MetaData()
_READY: weakref.WeakSet[Engine] = weakref.WeakSet()

ledger_table = sa.Table(
    "qianhai_transaction",
    _metadata,
    sa.Column("trans_no", sa.String(24), primary_key=True),
    sa.Column("original_trans_no", sa.String(24), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("request_id", sa.String(40), nullable=False),
    sa.Column("bank_code", sa.String(8), nullable=False),
    sa.Column("product", sa.String(8), nullable=False),
    sa.Column("subject_key", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(4), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("rt_code", sa.String(48), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_qianhai_transaction_request", "request_id"),
    sa.Index("ix_qianhai_transaction_bank_time", "bank_code", "created_at"),
)


#: Built once (statement building costs more CPU than running it); calls bind values.
_INSERT = ledger_table.insert()
_CLOSE = (
    ledger_table.update()
    .where(ledger_table.c.trans_no == sa.bindparam("key"))
    .values(
        status=sa.bindparam("status"),
        rt_code=sa.bindparam("rt_code"),
        updated_at=sa.bindparam("now", type_=UTCDateTime),
    )
)


@dataclass(frozen=True)
class TransactionRow:
    """One ledger row."""

    trans_no: str
    original_trans_no: str | None
    attempt: int
    request_id: str
    bank_code: str
    product: str
    subject_key: str
    reason: str
    status: str
    rt_code: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class TransactionLedger:
    """Reserves and closes transNos in the shared database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        if engine not in _READY:
            # several clients (threads or processes) may start at once on a fresh database
            create_schema(engine, _metadata)
            _READY.add(engine)

    def reserve(
        self,
        trans_no: str,
        *,
        request_id: str,
        bank_code: str,
        product: str,
        subject_key: str,
        reason: str,
        original_trans_no: str | None = None,
        attempt: int = 1,
    ) -> bool:
        """Persist ``trans_no`` as ``reserved``; ``False`` if it was ever used before."""
        now = utcnow()
        values = {
            "trans_no": trans_no,
            "original_trans_no": original_trans_no,
            "attempt": attempt,
            "request_id": request_id,
            "bank_code": bank_code,
            "product": product,
            "subject_key": subject_key,
            "reason": reason,
            "status": "reserved",
            "rt_code": None,
            "created_at": now,
            "updated_at": now,
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(_INSERT, values)
        except sa.exc.IntegrityError:
            return False
        return True

    def close(self, trans_no: str, status: str, rt_code: str | None = None) -> None:
        """Record how the attempt ended (one of :data:`STATUSES`)."""
        if status not in STATUSES:
            raise ValueError(f"The ledger status must be one of {STATUSES}. Got {status!r}.")
        with self.engine.begin() as conn:
            conn.execute(
                _CLOSE, {"key": trans_no, "status": status, "rt_code": rt_code, "now": utcnow()}
            )

    def attempts(self, request_id: str) -> list[TransactionRow]:
        """Every attempt of one internal request, first first."""
        query = (
            sa.select(ledger_table)
            .where(ledger_table.c.request_id == request_id)
            .order_by(ledger_table.c.attempt)
        )
        return self._rows(query)

    def get(self, trans_no: str) -> TransactionRow | None:
        """The row of ``trans_no``, if any."""
        rows = self._rows(sa.select(ledger_table).where(ledger_table.c.trans_no == trans_no))
        return rows[0] if rows else None

    def _rows(self, query: Any) -> list[TransactionRow]:
        with self.engine.connect() as conn:
            return [TransactionRow(**row) for row in conn.execute(query).mappings()]
