"""The transNo ledger on SQLite and PostgreSQL: unique, persisted before sending, linked."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import create_engine, create_schema, ensure_schema
from bureau_adapters.compliance.testing import created_meanwhile
from bureau_adapters.qianhai.ledger import TransactionLedger


def _reserve(ledger: TransactionLedger, trans_no: str, **kw: object) -> bool:
    values: dict[str, object] = {
        "request_id": "r1", "bank_code": "301", "product": "8005", "subject_key": "k" * 64, "reason": "01",
    }  # fmt: skip
    return ledger.reserve(trans_no, **{**values, **kw})  # type: ignore[arg-type]


def test_trans_no_is_unique_and_attempts_are_linked(engine: Engine) -> None:
    ledger = TransactionLedger(engine)
    assert _reserve(ledger, "QH1")
    assert not _reserve(ledger, "QH1", request_id="r2")  # a used transNo is never handed out again
    assert _reserve(ledger, "QH2", original_trans_no="QH1", attempt=2)
    ledger.close("QH1", "rejected", "E000997")
    ledger.close("QH2", "answered", "E000000")
    first, second = ledger.attempts("r1")
    assert (first.trans_no, first.status, first.rt_code) == ("QH1", "rejected", "E000997")
    assert (second.original_trans_no, second.attempt, second.status) == ("QH1", 2, "answered")
    assert second.created_at.tzinfo is not None
    assert ledger.get("QH9") is None


def test_reserved_row_exists_before_anything_is_sent(engine: Engine) -> None:
    ledger = TransactionLedger(engine)
    _reserve(ledger, "QH3")
    row = ledger.get("QH3")
    assert row is not None
    assert (row.status, row.rt_code) == ("reserved", None)


def test_unknown_status_is_refused(engine: Engine) -> None:
    ledger = TransactionLedger(engine)
    with pytest.raises(ValueError, match="ledger status must be one of"):
        ledger.close("QH1", "lost")


def test_two_clients_starting_at_once_on_a_fresh_database(tmp_path: Path) -> None:
    # What QianhaiClient builds: the compliance schema (gate) and the ledger, from two
    # threads with their own engines on one new SQLite file (failed with "table
    # qianhai_transaction already exists" before create_schema).
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engines = [create_engine(url) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def open_client(engine: Engine) -> None:
        start.wait()
        try:
            ensure_schema(engine)
            _reserve(TransactionLedger(engine), f"QH-{id(engine)}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_client, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(TransactionLedger(engines[0]).attempts("r1")) == 2
    for engine in engines:
        engine.dispose()


def test_a_table_created_by_another_process_meanwhile_is_used(engine: Engine) -> None:
    # Another process creates the table between this one's check and its CREATE TABLE:
    # the CREATE fails with "already exists" and the step is run again.
    with created_meanwhile(engine, "qianhai_transaction") as raced:
        ledger = TransactionLedger(engine)
    assert len(raced) == 1
    assert _reserve(ledger, "QH1")


def test_other_schema_errors_are_not_swallowed(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    broken = sa.MetaData()
    sa.Table("t", broken, sa.Column("a", sa.Integer), sa.CheckConstraint("nosuchcol > 0"))
    with pytest.raises(sa.exc.OperationalError, match="nosuchcol"):
        create_schema(engine, broken)
    engine.dispose()
