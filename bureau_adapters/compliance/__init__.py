"""Compliance layer shared by every bureau: consents, query audit log, report store.

Bureau-neutral: the PBOC client, the Qianhai adapter and the scoring service all query through
:class:`~bureau_adapters.compliance.gate.ComplianceGate`, which checks the subject's written
consent, reuses this bank's stored answer inside its window, stores fresh answers and writes
one append-only audit row per query (also for refusals and errors). Every read is scoped by
``bank_code``: a bank never sees another bank's consents, reports or audit rows. ID numbers
are stored as keyed hashes (:class:`~bureau_adapters.compliance.subject.SubjectKeyer`) plus a
masked form. SQLite under ``NONGXIN_HOME`` by default, any SQLAlchemy URL in production
(:func:`~bureau_adapters.compliance.db.create_engine`; a non-SQLite database needs
``NONGXIN_BUREAU_SUBJECT_HASH_KEY``). First queries about one subject are serialised across
processes (:mod:`~bureau_adapters.compliance.locks`), so two workers never both pay.
"""

from bureau_adapters.compliance.audit import AuditEntry, AuditLog, QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import QUERY_REASONS, Consent, ConsentRegistry
from bureau_adapters.compliance.db import create_engine, ensure_schema
from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest, QueryResult
from bureau_adapters.compliance.store import ReportStore, StoredReport
from bureau_adapters.compliance.subject import Subject, SubjectKeyer

__all__ = [
    "QUERY_REASONS",
    "AuditEntry",
    "AuditLog",
    "ComplianceGate",
    "Consent",
    "ConsentRegistry",
    "FetchedAnswer",
    "QueryOutcome",
    "QueryRequest",
    "QueryResult",
    "ReportSource",
    "ReportStore",
    "StoredReport",
    "Subject",
    "SubjectKeyer",
    "create_engine",
    "ensure_schema",
]
