"""The decision store: append-only, one row per decision, every row with its lineage.

Table ``service_decision`` lives next to the compliance tables (same engine, SQLite by default,
PostgreSQL via a SQLAlchemy URL). UPDATE and DELETE are refused by triggers installed with the
table. Every read is scoped by ``bank_code``: another bank's decision is simply not found.
Inputs are stored as canonical JSON of the typed input row (no name, ID number or phone), so
a decision can be recomputed (:mod:`scoring_service.decisions.replay`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import UTCDateTime, create_schema
from scoring_service.decisions.commit import GroupCommit
from scoring_service.exceptions import DecisionError
from scoring_service.pipeline.decide import OUTCOME_COLUMNS
from scoring_service.pipeline.frames import column_reader, numeric_block, plain, plain_columns
from scoring_service.pipeline.inputs import (
    BUREAU_COLUMNS,
    INPUT_COLUMNS,
    QIANHAI_COLUMNS,
    SURVEY_COLUMNS,
    TypedInputs,
)

__all__ = ["SCHEMA_VERSION", "DecisionRecord", "DecisionStore", "decision_table"]

SCHEMA_VERSION = "decision/1"
metadata = sa.MetaData()
decision_table = sa.Table(
    "service_decision",
    metadata,
    sa.Column("decision_id", sa.String(32), primary_key=True),
    sa.Column("bank_code", sa.String(8), nullable=False),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.Column("household_id", sa.String(64), nullable=True),
    sa.Column("business_ref", sa.String(64), nullable=True),
    sa.Column("model_name", sa.String(64), nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("model_hash", sa.String(80), nullable=False),
    sa.Column("policy_bank_hash", sa.String(80), nullable=False),
    sa.Column("policy_federation_hash", sa.String(80), nullable=False),
    sa.Column("feature_catalog_version", sa.String(40), nullable=False),
    sa.Column("report_ids", sa.Text, nullable=False),
    sa.Column("inputs_hash", sa.String(40), nullable=False),
    sa.Column("inputs_json", sa.Text, nullable=False),
    sa.Column("outcome_json", sa.Text, nullable=False),
    sa.Column("schema_version", sa.String(16), nullable=False),
    sa.Index("ix_service_decision_bank", "bank_code", "decided_at"),
)
_SQLITE_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS service_decision_no_{op} BEFORE {OP} ON service_decision "
    "BEGIN SELECT RAISE(ABORT, 'service_decision is append-only: {OP} refused'); END"
)
_PG_GUARD = (
    "CREATE OR REPLACE FUNCTION service_decision_append_only() RETURNS trigger AS $$ BEGIN "
    "RAISE EXCEPTION USING MESSAGE = 'service_decision is append-only: ' || TG_OP || ' refused'; "
    "END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER service_decision_no_change BEFORE UPDATE OR DELETE ON service_decision "
    "FOR EACH ROW EXECUTE FUNCTION service_decision_append_only()",
)


def _guard(target: sa.Table, connection: sa.Connection, **_: Any) -> None:
    if connection.dialect.name == "sqlite":
        for op in ("update", "delete"):
            connection.exec_driver_sql(_SQLITE_GUARD.format(op=op, OP=op.upper()))
    elif connection.dialect.name == "postgresql":
        for statement in _PG_GUARD:
            connection.exec_driver_sql(statement)


sa.event.listen(decision_table, "after_create", _guard)
_INSERT = decision_table.insert()


def canonical_json(data: Mapping[str, Any]) -> str:
    """Sorted keys, exact floats, no NaN."""
    return json.dumps(
        {k: plain(v) for k, v in data.items()}, sort_keys=True, ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True)
class DecisionRecord:
    """One stored decision: outcome, inputs and lineage."""

    decision_id: str
    bank_code: str
    decided_at: dt.datetime
    household_id: str | None
    business_ref: str | None
    model_name: str
    model_version: int
    model_hash: str
    policy_bank_hash: str
    policy_federation_hash: str
    feature_catalog_version: str
    report_ids: str
    inputs_hash: str
    inputs: dict[str, Any]
    outcome: dict[str, Any]
    schema_version: str = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (ISO time)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["decided_at"] = self.decided_at.isoformat()
        return out


#: The stored input columns: the required ones, then the Qianhai features (those with a
#: value only: an absent one is NaN again when replayed).
_STORED = (*INPUT_COLUMNS, *QIANHAI_COLUMNS)
_OPTIONAL = frozenset(QIANHAI_COLUMNS)
_NUMBERS = tuple(
    c for c in _STORED if c in QIANHAI_COLUMNS or c in BUREAU_COLUMNS
    or SURVEY_COLUMNS.get(c) in ("int", "float")
)  # fmt: skip
_OTHERS = tuple(c for c in _STORED if c not in _NUMBERS)
_LINEAGE_TEXT = (
    "model_name",
    "model_hash",
    "policy_bank_hash",
    "policy_federation_hash",
    "feature_catalog_version",
    "inputs_hash",
)


def _input_rows(inputs: pd.DataFrame, present: set[str]) -> list[dict[str, Any]]:
    """Per row, the stored inputs (:data:`_STORED` order; Qianhai features with a value)."""
    others = plain_columns(inputs, _OTHERS, present)
    block, untyped = numeric_block(inputs, _NUMBERS)
    for name in untyped:
        block[:, _NUMBERS.index(name)] = pd.to_numeric(inputs[name], errors="coerce")
    rows = []
    for i, numbers in enumerate(block.tolist()):
        row = {name: column[i] for name, column in others.items()}
        for name, value in zip(_NUMBERS, numbers, strict=True):
            if value == value:  # not NaN
                row[name] = value
            elif name not in _OPTIONAL:
                row[name] = None
        rows.append(row)
    return rows


def _typed_input_rows(inputs: TypedInputs) -> list[dict[str, Any]]:
    """:func:`_input_rows` of inputs checked already (the same values, read from the blocks)."""
    return [
        {k: v for k, v in row.items() if v is not None or k not in _OPTIONAL}
        for row in inputs.records()
    ]


def _dumps(data: Mapping[str, Any]) -> str:
    """:func:`canonical_json` of values that are plain already (Python scalars, no NaN)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)


_META = (
    "decision_id", "bank_code", "household_id", "business_ref", "report_ids", "model_version",
    *_LINEAGE_TEXT,
)  # fmt: skip


def _rows(
    decisions: pd.DataFrame | Sequence[Mapping[str, Any]], inputs: pd.DataFrame | TypedInputs
) -> list[dict[str, Any]]:
    """The table rows of ``decisions`` (a frame, or its rows as plain values) with their
    ``inputs`` (every value a plain Python one before it is written as JSON)."""
    if isinstance(inputs, TypedInputs):
        given = _typed_input_rows(inputs)
    else:
        present = set(inputs.columns)
        missing = [c for c in INPUT_COLUMNS if c not in present]
        if missing:
            raise DecisionError(f"The inputs lack columns {missing[:5]}.", field="inputs")
        given = _input_rows(inputs, present)
    if isinstance(decisions, pd.DataFrame):
        read = plain_columns(decisions, (*OUTCOME_COLUMNS, *_META))
        stamps = _stamps(column_reader(decisions)("decided_at"))
        records: list[Mapping[str, Any]] = [
            dict(zip(read, row, strict=True)) for row in zip(*read.values(), strict=True)
        ]
    else:
        records = list(decisions)
        stamps = [pd.Timestamp(r["decided_at"]).to_pydatetime() for r in records]
    rows = []
    for record, stamp, inputs_row in zip(records, stamps, given, strict=True):

        def text(name: str, record: Mapping[str, Any] = record) -> str | None:
            value = record.get(name)
            return None if value is None else str(value)

        rows.append(
            {
                "decision_id": str(record["decision_id"]),
                "bank_code": str(record["bank_code"]),
                "decided_at": stamp,
                "household_id": text("household_id"),
                "business_ref": text("business_ref"),
                "model_version": int(record["model_version"]),
                **{name: str(record[name]) for name in _LINEAGE_TEXT},
                "report_ids": text("report_ids") or "",
                "inputs_json": _dumps(inputs_row),
                "outcome_json": _dumps({c: record[c] for c in OUTCOME_COLUMNS}),
                "schema_version": SCHEMA_VERSION,
            }
        )
    return rows


def _stamps(values: Any) -> list[dt.datetime]:
    """``decided_at`` as Python datetimes (as the column holds them: tz-aware from
    :func:`~scoring_service.pipeline.decide`)."""
    if not isinstance(values, pd.arrays.DatetimeArray):
        values = pd.DatetimeIndex(values).array
    return list(values.to_pydatetime())


def _record(row: Any) -> DecisionRecord:
    m = row._mapping
    values = {k: m[k] for k in m if k not in ("inputs_json", "outcome_json")}
    return DecisionRecord(
        **values, inputs=json.loads(m["inputs_json"]), outcome=json.loads(m["outcome_json"])
    )


class DecisionStore:
    """Append-only store of decisions, scoped by bank.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Database (the table and its guard are created if missing).

    Concurrent :meth:`save` calls of one process share durable commits
    (:class:`~scoring_service.decisions.commit.GroupCommit`); each returns once its rows are
    committed.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # safe when several server processes start at once on a new database
        create_schema(engine, metadata)
        self._commit = GroupCommit(self._write)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(_INSERT, rows)

    def save(
        self,
        decisions: pd.DataFrame | Sequence[Mapping[str, Any]],
        inputs: pd.DataFrame | TypedInputs,
        *,
        connection: sa.Connection | None = None,
    ) -> int:
        """Insert the rows of ``decisions`` (from :func:`~scoring_service.pipeline.decide`,
        or its rows from :func:`~scoring_service.pipeline.decide_records`) with their
        ``inputs`` (same index, or one row each; a frame, or the checked inputs decide was
        given), all or none, durably committed when this returns (in ``connection``'s
        transaction when given: then the caller commits); returns the row count."""
        if isinstance(decisions, pd.DataFrame):
            if not decisions.index.equals(inputs.index):
                raise DecisionError("Decisions and inputs must share one index.", field="inputs")
        elif len(decisions) != len(inputs):
            raise DecisionError("Decisions and inputs must be one row each.", field="inputs")
        rows = _rows(decisions, inputs)
        if not rows:
            return 0
        if connection is not None:
            connection.execute(_INSERT, rows)
        else:
            self._commit(rows)
        return len(rows)

    def get(self, bank_code: str, decision_id: str) -> DecisionRecord:
        """The decision ``decision_id`` of ``bank_code``; another bank's is not found."""
        query = sa.select(decision_table).where(
            decision_table.c.bank_code == bank_code, decision_table.c.decision_id == decision_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise DecisionError(
                f"No decision {decision_id[:40]!r} at bank {bank_code}.",
                code="DECISION_NOT_FOUND",
                field="decision_id",
            )
        return _record(row)

    def find(self, decision_id: str) -> DecisionRecord:
        """The decision ``decision_id`` whatever its bank (operators' CLI only)."""
        query = sa.select(decision_table).where(decision_table.c.decision_id == decision_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise DecisionError(
                f"No decision {decision_id[:40]!r}.", code="DECISION_NOT_FOUND", field="decision_id"
            )
        return _record(row)

    def count(self, bank_code: str | None = None) -> int:
        """Stored decisions (of one bank)."""
        query = sa.select(sa.func.count()).select_from(decision_table)
        if bank_code is not None:
            query = query.where(decision_table.c.bank_code == bank_code)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())
