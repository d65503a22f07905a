"""The decision store (SQLite and PostgreSQL): append-only, scoped by bank, replayable."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.testing import created_meanwhile
from credit_limit import load_policy
from model_registry.serving import LoadedModel
from scoring_service.api.testing import province_frame, train_champion
from scoring_service.decisions import DecisionStore, replay
from scoring_service.exceptions import DecisionError
from scoring_service.pipeline import DecisionContext, decide, input_frame

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def store(engine: Engine) -> DecisionStore:
    return DecisionStore(engine)


def test_a_table_created_by_another_process_meanwhile_is_used(
    engine: Engine, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    """Two server processes starting at once on a new database: the second's CREATE TABLE
    fails with "already exists" after its check saw no table (``nongxin serve --workers 2``
    exited at start-up on PostgreSQL); the store then uses the other's table."""
    with created_meanwhile(engine, "service_decision") as raced:
        store = DecisionStore(engine)
    assert len(raced) == 1
    assert store.save(_decide(inputs.head(2), model), inputs.head(2)) == 2


@pytest.fixture(scope="module")
def model(small_province: Path) -> LoadedModel:
    return LoadedModel("farmer-rating", 2, "champion", train_champion(small_province, CONFIG).model)


@pytest.fixture(scope="module")
def inputs(small_province: Path) -> pd.DataFrame:
    frame = province_frame(small_province)
    frame = frame[frame["bank_code"] == "301"].head(6).reset_index(drop=True)
    typed = input_frame(frame)
    typed["household_id"] = frame["household_id"].to_numpy()
    typed["report_ids"] = [f"pboc:R{i}@{i + 1}" for i in range(len(frame))]
    return typed


def _decide(inputs: pd.DataFrame, model: LoadedModel) -> pd.DataFrame:
    return decide(inputs, DecisionContext("301", load_policy("301", CONFIG), model))


def test_saved_decisions_read_back_with_lineage(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    decisions = _decide(inputs, model)
    assert store.save(decisions, inputs) == len(inputs)
    first = decisions.iloc[0]
    record = store.get("301", first["decision_id"])
    assert record.model_version == 2
    assert record.model_hash == model.content_hash
    assert record.report_ids == "pboc:R0@1"
    assert record.outcome["grade"] == first["grade"]
    assert record.outcome["limit"] == first["limit"]
    assert record.inputs["land_mu"] == inputs["land_mu"].iloc[0]
    assert "id_number" not in record.inputs
    assert "head_name" not in record.inputs
    assert store.count("301") == len(inputs)


def test_another_banks_decision_is_not_found(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    decisions = _decide(inputs.head(1), model)
    store.save(decisions, inputs.head(1))
    with pytest.raises(DecisionError, match="No decision") as info:
        store.get("302", decisions["decision_id"].iloc[0])
    assert info.value.code == "DECISION_NOT_FOUND"


def test_one_row_replays_exactly(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    """The service stores one row at a time: its replay (one row) is bit-identical."""
    for i in range(len(inputs)):
        decisions = _decide(inputs.iloc[[i]], model)
        store.save(decisions, inputs.iloc[[i]])
        record = store.get("301", decisions["decision_id"].iloc[0])
        result = replay(record, load_model=lambda n, v: model, policy=load_policy("301", CONFIG))
        assert result.identical, result.to_dict()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE service_decision SET grade_unused = 1", "DELETE FROM service_decision"],
)
def test_the_store_is_append_only(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel, statement: str
) -> None:
    store.save(_decide(inputs.head(2), model), inputs.head(2))
    sql = statement.replace("grade_unused = 1", "model_version = 9")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(sa.text(sql))
    assert store.count() == 2


def test_small_and_big_frames_give_the_same_rows(inputs: pd.DataFrame, model: LoadedModel) -> None:
    """Frames of a few rows (the online path) are read block by block, bigger ones column by
    column: every stored row is the same either way (NaN as null, plain Python values)."""
    from scoring_service.decisions.store import _rows
    from scoring_service.pipeline.frames import _FEW_PLAIN as _FEW_ROWS

    many = pd.concat([inputs] * 3, ignore_index=True)
    assert len(many) > _FEW_ROWS
    decisions = _decide(many, model)
    whole = _rows(decisions, many)
    alone = [r for i in range(len(many)) for r in _rows(decisions.iloc[[i]], many.iloc[[i]])]
    assert whole == alone
    assert any(v is None for v in json.loads(whole[0]["inputs_json"]).values())


def test_a_failed_batch_leaves_no_row(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    decisions = _decide(inputs.head(3), model)
    decisions.loc[decisions.index[2], "decision_id"] = decisions["decision_id"].iloc[0]
    with pytest.raises(sa.exc.IntegrityError, match=r"(?i)unique|duplicate"):
        store.save(decisions, inputs.head(3))
    assert store.count() == 0


def test_a_batch_decision_replays_bit_identically_alone(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    """Decided in a batch, replayed one row at a time: every float equal to the last bit."""
    decisions = _decide(inputs, model)
    store.save(decisions, inputs)
    policy = load_policy("301", CONFIG)
    for decision_id in decisions["decision_id"]:
        result = replay(store.get("301", decision_id), load_model=lambda n, v: model, policy=policy)
        assert result.identical, result.to_dict()


@pytest.mark.parametrize("field", ["score", "pd", "capacity_income"])
def test_replay_reports_a_float_off_by_its_last_bit(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel, field: str
) -> None:
    decisions = _decide(inputs.head(1), model)
    store.save(decisions, inputs.head(1))
    record = store.get("301", decisions["decision_id"].iloc[0])
    exact = float(record.outcome[field])
    nudged = float(np.nextafter(exact, np.inf))
    tampered = dataclasses.replace(record, outcome={**record.outcome, field: nudged})
    result = replay(tampered, load_model=lambda n, v: model, policy=load_policy("301", CONFIG))
    assert [(d.field, d.stored, d.recomputed) for d in result.differences] == [
        (field, nudged, exact)
    ]
    assert not result.identical


def test_replay_lists_what_differs(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    decisions = _decide(inputs.head(1), model)
    store.save(decisions, inputs.head(1))
    record = store.get("301", decisions["decision_id"].iloc[0])
    other = dataclasses.replace(model.model, n_reasons=2)
    changed = LoadedModel(model.name, model.version, "replay", other)
    result = replay(record, load_model=lambda n, v: changed, policy=load_policy("301", CONFIG))
    fields = [d.field for d in result.differences]
    assert fields[0] == "model_hash"
    assert "reasons" in fields
    assert result.to_dict()["identical"] is False


def test_qianhai_values_are_stored_and_replayed(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    row = input_frame(inputs.head(1).assign(qh_b1_dishonest=1.0, qh_score=580.0))
    row["household_id"] = inputs["household_id"].head(1).to_numpy()
    row["report_ids"] = "pboc:R0@1;qianhai:T1@2"
    decisions = _decide(row, model)
    store.save(decisions, row)
    record = store.get("301", decisions["decision_id"].iloc[0])
    assert (record.inputs["qh_b1_dishonest"], record.inputs["qh_score"]) == (1.0, 580.0)
    assert "qh_b2_debtor" not in record.inputs  # absent stays absent (NaN when replayed)
    result = replay(record, load_model=lambda n, v: model, policy=load_policy("301", CONFIG))
    assert result.identical, result.to_dict()


def test_checked_inputs_store_what_their_frame_stores(
    inputs: pd.DataFrame, model: LoadedModel
) -> None:
    """The online path saves the checked inputs decide was given (no frame built): every
    stored row (inputs JSON included) is the one the typed frame gives, with and without
    Qianhai values, business reference absent or not."""
    from scoring_service.decisions.store import _rows
    from scoring_service.pipeline import typed_inputs

    rows = inputs.drop(columns=["household_id"]).to_dict("records")
    rows[0] |= {"qh_b1_dishonest": 1.0, "qh_score": 580.0, "business_ref": "APP-1"}
    rows[1] |= {"household_id": "H-2", "business_ref": None}
    keep = ("household_id", "business_ref", "report_ids")
    checked = typed_inputs(rows, keep=keep)
    frame = checked.frame()
    decisions = _decide(checked, model)
    assert _rows(decisions, checked) == _rows(decisions, frame)
    stored = json.loads(_rows(decisions, checked)[0]["inputs_json"])
    assert (stored["qh_b1_dishonest"], stored["qh_score"]) == (1.0, 580.0)
    assert "qh_b2_debtor" not in stored
    outcome = decide(frame, DecisionContext("301", load_policy("301", CONFIG), model))
    columns = [c for c in decisions.columns if c not in ("decision_id", "decided_at")]
    pd.testing.assert_frame_equal(decisions[columns], outcome[columns])


def test_decision_records_are_stored_as_their_frame_is(
    store: DecisionStore, inputs: pd.DataFrame, model: LoadedModel
) -> None:
    """The online path saves decide_records' rows: the stored row is the one the decisions
    frame gives (same decision, same inputs JSON, same time), and it replays identically."""
    from scoring_service.decisions.store import _rows
    from scoring_service.pipeline import decide_records, typed_inputs

    context = DecisionContext("301", load_policy("301", CONFIG), model)
    rows = inputs.head(2).to_dict("records")
    checked = typed_inputs(rows, keep=("household_id", "business_ref", "report_ids"))
    records = decide_records(checked, context)
    frame = decide(checked, context)
    frame["decision_id"] = [r["decision_id"] for r in records]  # ids are new on each call
    assert _rows(records, checked) == _rows(frame, checked)
    with pytest.raises(DecisionError, match="one row each"):
        store.save(records[:1], checked)
    assert store.save(records, checked) == 2
    record = store.get("301", records[1]["decision_id"])
    assert record.decided_at == records[1]["decided_at"].to_pydatetime()
    result = replay(record, load_model=lambda n, v: model, policy=load_policy("301", CONFIG))
    assert result.identical, result.to_dict()
