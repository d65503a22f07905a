"""The transNo ledger on SQLite and PostgreSQL: unique, persisted before sending, linked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)
from bureau_adapters.qianhai.ledger import TransactionLedger


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgresql":
        why = postgres_unavailable(postgres_test_url())
        if why:
            pytest.skip(why)
    with isolated_engine(request.param, tmp_path) as engine:
        yield engine


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
