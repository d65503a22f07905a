"""The compliance gate across processes and transactions: first queries serialised by a
database-side lock, reuse committed in one relaxed transaction, unexpected errors audited,
answers scoped by product, older databases upgraded (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.audit import QueryOutcome, ReportSource
from bureau_adapters.compliance.consent import Consent
from bureau_adapters.compliance.db import create_engine, ensure_schema
from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest
from bureau_adapters.compliance.subject import Subject, SubjectKeyer

ID = "11010519491231002X"
KEYER = SubjectKeyer(b"test-subject-key")
ANSWER = FetchedAnswer(code="OK", content=b"<Document/>", report_id="R-1")


def _gate(engine: Engine) -> ComplianceGate:
    gate = ComplianceGate(engine, keyer=KEYER)
    for bureau, reason in (("pboc", "02"), ("qianhai", "01")):
        gate.consents.record(
            bank_code="301", subject_id=ID, bureau=bureau, reason=reason,
            signed_on=dt.date.today() - dt.timedelta(days=1),
            valid_until=dt.date.today() + dt.timedelta(days=30),
            document_sha256=hashlib.sha256(b"form").hexdigest(), recorded_by="clerk01",
        )  # fmt: skip
    return gate


def _request(bureau: str = "pboc", **kw: object) -> QueryRequest:
    return QueryRequest(
        bank_code="301", bureau=bureau, subject=Subject("张三丰", "10", ID),
        reason="02" if bureau == "pboc" else "01", operator="clerk01", business_ref="LN-1",
        **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def test_an_unexpected_exception_is_audited_then_reraised(engine: Engine) -> None:
    gate = _gate(engine)

    def broken(request: QueryRequest, consent: Consent) -> FetchedAnswer:
        raise KeyError("张三丰 11010519491231002X")  # a bug quoting the applicant

    with pytest.raises(KeyError, match="11010519491231002X") as caught:
        gate.run(_request(), broken)
    [row] = gate.audit.list("301")
    assert (row.outcome, row.code) == (QueryOutcome.ERROR, "PBOC_UNEXPECTED")
    assert row.message is not None
    assert "KeyError" in row.message
    assert ID not in row.message
    assert "张三丰" not in row.message
    assert f"audit_id={row.audit_id}" in " ".join(caught.value.__notes__)
    assert (
        gate.store.find_reusable(
            bank_code="301", bureau="pboc", subject_key=KEYER.key(ID), window=dt.timedelta(days=1)
        )
        is None
    )


def test_answers_are_reused_per_product(engine: Engine) -> None:
    gate = _gate(engine)
    calls: list[str | None] = []

    def fetch(request: QueryRequest, consent: Consent) -> FetchedAnswer:
        calls.append(request.product)
        return ANSWER

    first = gate.run(_request("qianhai", product="8005"), fetch)
    other = gate.run(_request("qianhai", product="8036"), fetch)
    again = gate.run(_request("qianhai", product="8005"), fetch)
    assert calls == ["8005", "8036"]
    assert (first.source, other.source, again.source) == (
        ReportSource.FRESH,
        ReportSource.FRESH,
        ReportSource.REUSED,
    )
    assert again.store_id == first.store_id != other.store_id
    assert [r.product for r in gate.audit.list("301")] == ["8005", "8036", "8005"]


def _statements_of_a_reuse(engine: Engine, gate: ComplianceGate) -> list[str]:
    gate.run(_request(), lambda request, consent: ANSWER)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    def trace(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.set_trace_callback(lambda statement: record(None, None, statement))

    def untrace(dbapi_connection: Any, *args: Any) -> None:
        dbapi_connection.set_trace_callback(None)

    # SQLite: what the database runs, statements sent through the driver directly included
    # (SQLAlchemy's events see only its own); PostgreSQL: SQLAlchemy's statements
    if engine.dialect.name == "sqlite":
        events: list[tuple[str, Any]] = [("checkout", trace), ("checkin", untrace)]
    else:
        events = [("before_cursor_execute", record)]
    for name, listener in events:
        sa.event.listen(engine, name, listener)
    try:
        reused = gate.run(_request(), lambda request, consent: ANSWER)
    finally:
        for name, listener in events:
            sa.event.remove(engine, name, listener)
    assert reused.reused
    assert gate.audit.get("301", reused.audit_id).source is ReportSource.REUSED
    return seen


def _relaxing(statement: str) -> bool:
    # PostgreSQL: the audit insert itself sets synchronous_commit off for its transaction
    return statement in ("SET LOCAL synchronous_commit TO OFF", "PRAGMA synchronous=NORMAL") or (
        statement.startswith("INSERT INTO bureau_query_audit")
        and "RETURNING bureau_query_audit.audit_id, set_config(" in statement
    )


def test_a_reuse_audit_row_is_committed_durably_by_default(engine: Engine) -> None:
    seen = _statements_of_a_reuse(engine, _gate(engine))
    assert any(s.startswith("INSERT INTO bureau_query_audit") for s in seen), seen
    assert not any(_relaxing(s) for s in seen)


def test_the_service_gate_relaxes_the_reuse_commit_for_its_transaction_only(
    engine: Engine,
) -> None:
    gate = _gate(engine)
    gate.relaxed_reuse_audit = True
    seen = _statements_of_a_reuse(engine, gate)
    relaxed = [i for i, s in enumerate(seen) if _relaxing(s)]
    audit = [i for i, s in enumerate(seen) if s.startswith("INSERT INTO bureau_query_audit")]
    assert relaxed, seen
    assert audit, seen
    assert relaxed[0] <= audit[0], seen  # before it, or the insert itself
    with engine.connect() as conn:  # the pooled connection is back to durable commits
        if engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        else:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


_WORKER = textwrap.dedent(
    """
    import datetime as dt, pathlib, sys, time
    from bureau_adapters.compliance.db import create_engine
    from bureau_adapters.compliance.gate import ComplianceGate, FetchedAnswer, QueryRequest
    from bureau_adapters.compliance.subject import Subject, SubjectKeyer

    url, schema, folder, name = sys.argv[1:5]
    folder = pathlib.Path(folder)
    args = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    gate = ComplianceGate(create_engine(url, **args), keyer=SubjectKeyer(b"test-subject-key"))

    find = gate.store.find_reusable

    def find_reusable(**kw):  # note each miss of the store, for the other process
        found = find(**kw)
        if found is None:
            (folder / f"{name}.missed").touch()
        return found

    gate.store.find_reusable = find_reusable
    lookup = gate._lookup

    def first_lookup(request, subject_key, connection):  # the consent + reuse statement
        candidates, found = lookup(request, subject_key, connection)
        if found is None:
            (folder / f"{name}.missed").touch()
        return candidates, found

    gate._lookup = first_lookup
    other = "B" if name == "A" else "A"

    def fetch(request, consent):
        with open(folder / "calls.txt", "a") as calls:
            calls.write(name + "\\n")
        # the bureau answers only once the other process has missed the store too: without
        # the lock it would fetch as well; with it, it waits and then reuses this answer
        deadline = time.monotonic() + 30
        while not (folder / f"{other}.missed").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return FetchedAnswer(code="OK", content=b"<Document/>", report_id="R-1")

    (folder / f"{name}.ready").touch()
    while not (folder / "go").exists():
        time.sleep(0.01)
    request = QueryRequest(bank_code="301", bureau="pboc",
        subject=Subject("张三丰", "10", "11010519491231002X"), reason="02",
        operator="clerk01", business_ref=name)
    print(gate.run(request, fetch).source.value)
    """
)


def test_two_processes_asking_at_once_pay_once(engine: Engine, tmp_path: Path) -> None:
    gate = _gate(engine)
    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    url = engine.url.render_as_string(hide_password=False)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, url, schema, str(tmp_path), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("A", "B")
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"{n}.ready").exists() for n in "AB"):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(w.poll() is None for w in workers), [w.communicate() for w in workers]
        time.sleep(0.02)
    (tmp_path / "go").touch()
    outputs = [w.communicate(timeout=60) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert sorted(out.strip() for out, _ in outputs) == ["fresh", "reused"]
    assert len((tmp_path / "calls.txt").read_text().split()) == 1  # billed once
    rows = gate.audit.list("301")
    assert sorted(r.source.value for r in rows if r.source) == ["fresh", "reused"]


def test_an_older_database_gains_the_product_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    first = create_engine(url)
    ensure_schema(first)
    with first.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_bureau_report_reuse")
        for table in ("bureau_report", "bureau_query_audit"):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN product")
    first.dispose()
    second = create_engine(url)
    ensure_schema(second)
    inspector = sa.inspect(second)
    for table in ("bureau_report", "bureau_query_audit"):
        assert "product" in {c["name"] for c in inspector.get_columns(table)}
    assert "ix_bureau_report_reuse" in {i["name"] for i in inspector.get_indexes("bureau_report")}
    second.dispose()


def test_a_column_added_by_another_process_first_counts_as_created_elsewhere(
    engine: Engine,
) -> None:
    """Two processes upgrading an older database at once: the second ``ADD COLUMN`` fails
    with the database's own duplicate-column error, which the schema step retries on."""
    from bureau_adapters.compliance.db import _created_elsewhere

    ensure_schema(engine)
    with (
        pytest.raises(sa.exc.DBAPIError, match=r"(?i)duplicate column|already exists") as caught,
        engine.begin() as conn,
    ):
        conn.exec_driver_sql("ALTER TABLE bureau_report ADD COLUMN product VARCHAR(16)")
    assert _created_elsewhere(caught.value)
