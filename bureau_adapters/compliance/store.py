"""Per-bank report store: raw answers (zlib-compressed) with metadata, and their reuse.

A bank that re-rates a subject inside its reuse window gets the stored answer back instead of
paying for a second query and leaving a second query record on the subject's report (query
counts are themselves scorecard features). Reuse is scoped to the bank, bureau and product
(Qianhai sells several products about one subject; PBOC has none), never
shared between banks; it does not depend on the query reason, because the consent check for
the *current* reason runs before any reuse. "No record" answers are stored too, so re-asking
about a subject with no credit file inside the window is not billed either.

>>> import datetime as dt
>>> from bureau_adapters.compliance.db import create_engine
>>> store = ReportStore(create_engine("sqlite://"))
>>> saved = store.save(bank_code="301", bureau="pboc", subject_key="k" * 64, reason="02",
...     request_id="r1", content=b"<Document/>", report_id="2017122117421145492455")
>>> store.find_reusable(bank_code="301", bureau="pboc", subject_key="k" * 64,
...     window=dt.timedelta(days=30)).content
b'<Document/>'
>>> store.find_reusable(bank_code="302", bureau="pboc", subject_key="k" * 64,
...     window=dt.timedelta(days=30)) is None
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import (
    UTCDateTime,
    ensure_schema,
    report_table,
    transaction,
    transaction_or_connect,
    utcnow,
)
from bureau_adapters.exceptions import BureauError

__all__ = ["ReportStore", "StoredReport", "reusable_query", "reuse_params"]

REPORT = "report"
NO_RECORD = "no_record"


@dataclass(frozen=True)
class StoredReport:
    """A stored answer; :attr:`content` is the raw report (``None`` for a no-record answer).

    The report is kept as stored (``content_zlib``) and decompressed and checked against its
    SHA-256 on first use of :attr:`content`: a caller that already holds what it derived from
    this ``store_id`` (the service's feature cache) pays for neither.
    """

    store_id: int
    bank_code: str
    bureau: str
    subject_key: str
    reason: str
    outcome: str
    report_id: str | None
    report_date: dt.date | None
    fetched_at: dt.datetime
    request_id: str
    content_sha256: str | None
    content_bytes: int
    content_zlib: bytes | None = field(default=None, repr=False)
    product: str | None = None

    @property
    def has_record(self) -> bool:
        """False when the bureau said it has no credit record for the subject."""
        return self.outcome == REPORT

    @cached_property
    def content(self) -> bytes | None:
        """The raw report (decompressed once), ``None`` for a no-record answer.

        Raises
        ------
        BureauError
            ``STORE_CORRUPT`` when the stored bytes do not match their SHA-256.
        """
        if self.content_zlib is None:
            return None
        content = zlib.decompress(self.content_zlib)
        if hashlib.sha256(content).hexdigest() != self.content_sha256:
            raise BureauError(
                f"Stored report {self.store_id} does not match its SHA-256; refusing to use it.",
                code="STORE_CORRUPT",
                store_id=self.store_id,
            )
        return content


#: The columns of a stored answer in :class:`StoredReport`'s field order (a row builds one
#: positionally).
_COLUMNS = tuple(report_table.c[f.name] for f in dataclass_fields(StoredReport))


def _reusable(product_clause: Any) -> sa.Select[Any]:
    """The newest answer of a subject at a bank for a bureau (and product) in a time range;
    built once (statement building costs more CPU than running it)."""
    return (
        sa.select(*_COLUMNS)
        .where(
            report_table.c.bank_code == sa.bindparam("bank_code"),
            report_table.c.subject_key == sa.bindparam("subject_key"),
            report_table.c.bureau == sa.bindparam("bureau"),
            product_clause,
            report_table.c.fetched_at >= sa.bindparam("since", type_=UTCDateTime),
            report_table.c.fetched_at <= sa.bindparam("until", type_=UTCDateTime),
        )
        .order_by(report_table.c.fetched_at.desc(), report_table.c.store_id.desc())
        .limit(1)
    )


_REUSABLE_ANY = _reusable(report_table.c.product.is_(None))
#: The insert of :meth:`ReportStore.save`, built once; each call binds its values.
_INSERT = report_table.insert().returning(report_table.c.store_id)
_REUSABLE_PRODUCT = _reusable(report_table.c.product == sa.bindparam("product"))


def reusable_query(product: str | None) -> sa.Select[Any]:
    """The prebuilt lookup of :meth:`ReportStore.find_reusable` (bound with
    :func:`reuse_params`); its columns are :class:`StoredReport`'s fields, in order."""
    return _REUSABLE_ANY if product is None else _REUSABLE_PRODUCT


def reuse_params(
    *,
    bank_code: str,
    bureau: str,
    subject_key: str,
    window: dt.timedelta,
    at: dt.datetime | None = None,
    product: str | None = None,
) -> dict[str, Any] | None:
    """The parameters of :func:`reusable_query`; ``None`` when ``window`` disables reuse."""
    if window <= dt.timedelta(0):
        return None
    now = at or utcnow()
    params: dict[str, Any] = {
        "bank_code": bank_code,
        "subject_key": subject_key,
        "bureau": bureau,
        "since": now - window,
        "until": now,
    }
    if product is not None:
        params["product"] = product
    return params


class ReportStore:
    """Saves and finds answers; every read is scoped by ``bank_code``."""

    def __init__(self, engine: Engine, *, compress_level: int = 6) -> None:
        self.engine = engine
        self.compress_level = compress_level
        ensure_schema(engine)

    def save(
        self,
        *,
        bank_code: str,
        bureau: str,
        subject_key: str,
        reason: str,
        request_id: str,
        content: bytes | None,
        report_id: str | None = None,
        report_date: dt.date | None = None,
        fetched_at: dt.datetime | None = None,
        connection: sa.Connection | None = None,
        product: str | None = None,
    ) -> StoredReport:
        """Store one answer: ``content`` bytes for a report, ``None`` for "no record".

        ``product`` scopes the answer within the bureau (Qianhai 8005, 8036 ...): an answer
        is reused only for the same product. Pass ``connection`` to write inside the caller's
        transaction.
        """
        values: dict[str, Any] = {
            "bank_code": bank_code,
            "bureau": bureau,
            "product": product,
            "subject_key": subject_key,
            "reason": reason,
            "request_id": request_id,
            "outcome": REPORT if content is not None else NO_RECORD,
            "report_id": report_id,
            "report_date": report_date,
            "fetched_at": fetched_at or utcnow(),
            "content_zlib": None
            if content is None
            else zlib.compress(content, self.compress_level),
            "content_sha256": None if content is None else hashlib.sha256(content).hexdigest(),
            "content_bytes": 0 if content is None else len(content),
        }
        with transaction(self.engine, connection) as conn:
            store_id = conn.execute(_INSERT, values).scalar_one()
        return StoredReport(store_id=int(store_id), **values)

    def get(self, bank_code: str, store_id: int) -> StoredReport:
        """Stored answer ``store_id`` of ``bank_code``; another bank's answer is not found."""
        found = self._select(bank_code, report_table.c.store_id == store_id)
        if found is None:
            raise BureauError(
                f"No stored report {store_id} at bank {bank_code}.",
                code="STORE_NOT_FOUND",
                bank_code=bank_code,
                store_id=store_id,
            )
        return found

    def find_reusable(
        self,
        *,
        bank_code: str,
        bureau: str,
        subject_key: str,
        window: dt.timedelta,
        at: dt.datetime | None = None,
        product: str | None = None,
        connection: sa.Connection | None = None,
    ) -> StoredReport | None:
        """The newest answer for this subject and product fetched by this bank within
        ``window`` before ``at`` (``connection``: read inside the caller's transaction)."""
        params = reuse_params(
            bank_code=bank_code,
            bureau=bureau,
            subject_key=subject_key,
            window=window,
            at=at,
            product=product,
        )
        if params is None:
            return None
        with transaction_or_connect(self.engine, connection) as conn:
            row = conn.execute(reusable_query(product), params).first()
        # content is checked when first read (StoredReport.content), not here
        return None if row is None else StoredReport(*row)

    def purge(self, bank_code: str, *, fetched_before: dt.datetime) -> int:
        """Delete this bank's stored answers fetched before ``fetched_before`` (retention).

        Audit rows are kept: they record that a query happened, not what it returned.
        Returns the number of answers deleted.
        """
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.delete(report_table).where(
                    report_table.c.bank_code == bank_code,
                    report_table.c.fetched_at < fetched_before,
                )
            )
        return int(result.rowcount)

    def _select(
        self, bank_code: str, *conditions: Any, connection: sa.Connection | None = None
    ) -> StoredReport | None:
        query = (
            sa.select(report_table)
            .where(report_table.c.bank_code == bank_code, *conditions)
            .order_by(report_table.c.fetched_at.desc(), report_table.c.store_id.desc())
            .limit(1)
        )
        if connection is not None:
            row = connection.execute(query).mappings().first()
        else:
            with self.engine.connect() as conn:
                row = conn.execute(query).mappings().first()
        return None if row is None else _stored(row)


def _stored(row: Any) -> StoredReport:
    """The stored answer of a row, its content checked now (explicit reads fail early)."""
    report = StoredReport(**row)
    _ = report.content  # STORE_CORRUPT here rather than at the caller's first read
    return report
