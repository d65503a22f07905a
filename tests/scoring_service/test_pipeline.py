"""The pipeline's decide stage: deterministic, vectorised, same answer online and in batch."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_limit import load_policy
from model_registry.serving import LoadedModel
from rating_models.rating import STANDARD_KNOCKOUTS
from scoring_service.api.testing import province_frame, train_champion
from scoring_service.exceptions import InputError
from scoring_service.pipeline import (
    BUREAU_COLUMNS,
    INPUT_COLUMNS,
    OUTCOME_COLUMNS,
    QIANHAI_COLUMNS,
    DecisionContext,
    decide,
    input_frame,
    inputs_hash,
)

CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture(scope="module")
def book(small_province: Path) -> pd.DataFrame:
    """Bank 301's households: survey + PBOC features (the batch job's precomputed frame)."""
    frame = province_frame(small_province)
    return frame[frame["bank_code"] == "301"].reset_index(drop=True)


@pytest.fixture(scope="module")
def context(small_province: Path) -> DecisionContext:
    model = train_champion(small_province, CONFIG).model
    return DecisionContext(
        "301", load_policy("301", CONFIG), LoadedModel("farmer-rating", 3, "champion", model)
    )


def _outcome(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(OUTCOME_COLUMNS)].reset_index(drop=True)


def test_same_inputs_and_versions_give_the_same_decisions(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    first, second = decide(book, context), decide(book, context)
    pd.testing.assert_frame_equal(_outcome(first), _outcome(second))
    assert (first["inputs_hash"] == second["inputs_hash"]).all()
    assert first["decision_id"].is_unique
    assert not set(first["decision_id"]) & set(second["decision_id"])


def test_one_row_online_equals_the_batch_row(book: pd.DataFrame, context: DecisionContext) -> None:
    batch = decide(book, context)
    for i in (0, 7, len(book) - 1):
        online = decide(book.iloc[[i]], context)
        pd.testing.assert_frame_equal(_outcome(online), _outcome(batch.iloc[[i]]))


def test_row_order_does_not_change_a_decision(book: pd.DataFrame, context: DecisionContext) -> None:
    order = np.random.default_rng(3).permutation(len(book))
    shuffled = decide(book.iloc[order], context).sort_index()
    pd.testing.assert_frame_equal(_outcome(shuffled), _outcome(decide(book, context)))


def test_decisions_carry_lineage_and_respect_the_policy(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    out = decide(book, context)
    policy = context.policy
    assert (out["model_version"] == 3).all()
    assert (out["model_hash"] == context.model.content_hash).all()
    assert (out["policy_bank_hash"] == policy.bank_hash).all()
    assert (out["feature_catalog_version"] == "pboc-features/1").all()
    assert (out["limit"] % policy.bank.rounding.unit == 0).all()
    assert (out["limit"] <= out["cap_regulatory"]).all()
    knocked = out["knockout"] != ""
    assert (out.loc[knocked, "grade"] == "E").all()
    assert (out.loc[knocked, "limit"] == 0).all()
    regraded = policy.bank.rating.grades_for_pd(out.loc[~knocked, "pd"].to_numpy())
    assert (out.loc[~knocked, "grade"].to_numpy() == regraded).all()


def test_knockout_forces_grade_e_and_zero_limit(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    row = book.iloc[[0]].assign(head_age=80)  # federation knockout age_outside_18_65
    out = decide(row, context).iloc[0]
    assert out["knockout"] == "K05"
    assert out["grade"] == "E"
    assert out["limit"] == 0
    assert out["binding"] == "knockout"
    assert out["reasons"].startswith("K05")


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("land_mu", "lots", "'land_mu' must be a number"),
        ("head_age", None, "'head_age' is missing"),
        ("head_age", 40.5, "'head_age' must be a whole number"),
        ("bad_habits", "no", "'bad_habits' must be true or false"),
    ],
)
def test_malformed_inputs_name_the_field(
    book: pd.DataFrame, column: str, value: object, match: str
) -> None:
    row = book.iloc[[0]].astype({column: object})
    row[column] = [value]
    with pytest.raises(InputError, match=match) as info:
        input_frame(row)
    assert info.value.fields["field"] == column


def test_rows_of_another_bank_are_refused(book: pd.DataFrame, context: DecisionContext) -> None:
    with pytest.raises(InputError, match="must belong to bank 301"):
        decide(book.head(3).assign(bank_code="302"), context)


def test_missing_columns_are_listed(book: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="Input columns missing") as info:
        input_frame(book.drop(columns=["land_mu", "card_util"]))
    assert info.value.fields["columns"] == ["land_mu", "card_util"]


@settings(max_examples=10, deadline=None)
@given(income=st.floats(0, 1e7), i=st.integers(0, 50))
def test_inputs_hash_changes_with_inputs_and_ignores_int_or_float(
    book: pd.DataFrame, income: float, i: int
) -> None:
    row = input_frame(book.iloc[[i % len(book)]])
    same = row.astype({"head_age": np.float64})
    assert inputs_hash(row)[0] == inputs_hash(same)[0]
    changed = row.assign(income_wage=income)
    if income != row["income_wage"].iloc[0]:
        assert inputs_hash(changed)[0] != inputs_hash(row)[0]


def test_input_frame_has_the_declared_columns_in_order(book: pd.DataFrame) -> None:
    frame = input_frame(book)
    assert list(frame.columns) == [*INPUT_COLUMNS, *QIANHAI_COLUMNS]
    assert all(frame[c].dtype == np.float64 for c in (*BUREAU_COLUMNS, *QIANHAI_COLUMNS))


def test_qianhai_features_are_optional_typed_numbers(book: pd.DataFrame) -> None:
    assert "qh_b1_dishonest" in QIANHAI_COLUMNS
    assert "qh_score" in QIANHAI_COLUMNS
    assert input_frame(book.head(2))[list(QIANHAI_COLUMNS)].isna().all().all()
    rows = [
        {**book.iloc[0].to_dict(), "qh_b1_dishonest": True, "qh_score": 612, "qh_b2_debtor": None}
    ]
    typed = input_frame(rows).iloc[0]
    assert (typed["qh_b1_dishonest"], typed["qh_score"]) == (1.0, 612.0)
    assert np.isnan(typed["qh_b2_debtor"])
    assert np.isnan(typed["qh_fraud_score"])


def test_a_qianhai_feature_that_is_not_a_number_is_named(book: pd.DataFrame) -> None:
    rows = [{**book.iloc[0].to_dict(), "qh_risk_a_cnt": "many"}]
    with pytest.raises(InputError, match="Qianhai feature 'qh_risk_a_cnt' must be a number"):
        input_frame(rows)


def test_inputs_hash_of_a_row_without_qianhai_values_is_unchanged(book: pd.DataFrame) -> None:
    typed = input_frame(book.head(3))
    before = inputs_hash(typed[list(INPUT_COLUMNS)])  # as hashed before Qianhai inputs existed
    assert (inputs_hash(typed) == before).all()
    hit = typed.assign(qh_b1_dishonest=[1.0, np.nan, 0.0])
    after = inputs_hash(hit)
    assert after[1] == before[1]
    assert after[0] != before[0]
    assert after[2] != before[2]
    assert after[0] != after[2]
    assert after[0].split("-")[0] != before[0].split("-")[0]  # the digest names the columns


def test_qianhai_dishonest_debtor_reaches_the_knockout(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    model = context.model
    rules = (*model.model.knockouts, STANDARD_KNOCKOUTS["dishonest_judgment_debtor"])
    with_k06 = LoadedModel(
        model.name, model.version, "champion", replace(model.model, knockouts=rules)
    )
    k06 = DecisionContext(context.bank_code, context.policy, with_k06)
    rows = book.head(3).assign(qh_b1_dishonest=[1.0, 0.0, np.nan])
    out = decide(rows, k06)
    assert out["knockout"].str.contains("K06").tolist() == [True, False, False]
    assert out["grade"].iloc[0] == "E"
    assert out["limit"].iloc[0] == 0
    without = decide(book.head(3), k06)  # not queried: NaN, the rule does not fire
    assert not without["knockout"].str.contains("K06").any()


def test_catalog_stamp_names_qianhai_on_the_rows_that_hold_its_features(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    both = "pboc-features/1+qh-features/1"
    rows = book.head(3).assign(qh_b1_dishonest=[1.0, 0.0, np.nan])
    assert decide(rows, context)["feature_catalog_version"].tolist() == [
        both,
        both,
        "pboc-features/1",
    ]
    many = book.head(40).assign(qh_score=[np.nan, 600.0] * 20)  # the vectorised path
    expected = ["pboc-features/1", both] * 20
    assert decide(many, context)["feature_catalog_version"].tolist() == expected
    # a context given a stored stamp (replay) stamps from the inputs, not from the context
    stored = replace(context, feature_catalog_version=both)
    assert (
        decide(book.head(2), stored)["feature_catalog_version"].tolist() == ["pboc-features/1"] * 2
    )


def test_inputs_hash_is_the_same_row_by_row_and_for_a_block(book: pd.DataFrame) -> None:
    """A few rows are folded in Python, many with numpy: both give the same hashes."""
    typed = input_frame(book.head(40)).assign(qh_score=[np.nan, 600.0] * 20)
    block = inputs_hash(typed)
    rows = np.concatenate([inputs_hash(typed.iloc[[i]]) for i in range(len(typed))])
    assert (block == rows).all()
    assert len(set(block)) == len(typed)


def test_input_frame_reads_rows_and_frames_alike(book: pd.DataFrame) -> None:
    head = book.head(3).reset_index(drop=True)
    from_rows = input_frame(head.to_dict("records"), keep=["household_id"])
    pd.testing.assert_frame_equal(from_rows, input_frame(head, keep=["household_id"]))
    pd.testing.assert_frame_equal(input_frame(from_rows), from_rows.drop(columns="household_id"))


def test_assembled_frames_equal_the_public_constructor() -> None:
    from scoring_service.pipeline.frames import _fallback, assemble

    index = pd.Index([7, 9])
    when = pd.DatetimeIndex(["2026-01-01", "2026-01-02"], tz="UTC").array
    parts = [
        (["b", "d"], np.array([[1.0, 2.0], [3.0, np.nan]])),
        (["a"], np.array(["x", "y"], dtype=object)),
        (["c", "e"], np.array([[1, 2], [3, 4]], dtype=np.int64)),
        (["t"], when),
    ]
    columns = ["a", "b", "c", "d", "e", "t"]
    pd.testing.assert_frame_equal(
        assemble(columns, index, parts), _fallback(columns, index, parts), check_exact=True
    )
    with pytest.raises(ValueError, match="the parts give"):
        assemble(["a", "z"], index, parts[1:2])
    with pytest.raises(ValueError, match="the parts give"):  # a bad layout is never remembered
        assemble(["a", "z"], index, parts[1:2])
    # frames of one (remembered) layout share nothing a caller can change
    first, second = assemble(columns, index, parts), assemble(columns, index, parts)
    first.insert(0, "new", [0, 0])
    first.columns.name = "renamed"
    first = first.drop(columns=["b"])
    pd.testing.assert_frame_equal(second, _fallback(columns, index, parts), check_exact=True)
    assert second.columns.name is None


def test_column_positions_are_remembered_across_assembled_frames() -> None:
    from scoring_service.pipeline.frames import _positions, assemble, numeric_block

    columns, names = ["a", "b", "c"], ("c", "a", "absent")

    def frame(first: float) -> pd.DataFrame:
        values = np.array([[first, first + 1, first + 2]])
        return assemble(columns, pd.RangeIndex(1), [(columns, values)])

    one, two = frame(1.0), frame(4.0)
    assert one.columns is not two.columns  # each frame its own labels object
    assert _positions(one.columns, names) is _positions(two.columns, names)  # one lookup
    np.testing.assert_array_equal(numeric_block(two, names)[0], [[6.0, 4.0, np.nan]])
    other = pd.DataFrame({"c": [1.0], "a": [2.0]})  # other labels: looked up afresh
    np.testing.assert_array_equal(numeric_block(other, names)[0], [[1.0, 2.0, np.nan]])


def test_typed_inputs_and_decisions_share_nothing_with_the_callers_frame(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    rows = book.head(3).assign(household_id=["h1", "h2", "h3"]).reset_index(drop=True)
    typed = input_frame(rows, keep=("household_id",))
    decided = decide(rows, context)
    rows.loc[0, "household_id"] = "CHANGED"
    assert typed["household_id"].tolist() == ["h1", "h2", "h3"]
    assert decided["household_id"].tolist() == ["h1", "h2", "h3"]
    typed.columns.name = "renamed here"
    again = input_frame(rows, keep=("household_id",))
    assert again.columns.name is None  # the cached labels are not handed out


def test_a_repeated_input_column_is_named(book: pd.DataFrame) -> None:
    rows = book.head(2)
    doubled = pd.concat([rows, rows[["land_mu"]]], axis=1)
    with pytest.raises(InputError, match="repeated") as info:
        input_frame(doubled)
    assert info.value.fields["field"] == "land_mu"


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 5), st.floats(allow_nan=True)),
        max_size=6,
    )
)
def test_pass_through_columns_of_rows_are_typed_as_pandas_types_them(values: list) -> None:
    """Rows' pass-through values (text and nulls straight, anything else via pandas) come
    out as a frame of the rows would hold them."""
    from scoring_service.pipeline.inputs import _passed

    got, expected = _passed(values), pd.Series(values).to_numpy()
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    pd.testing.assert_series_equal(pd.Series(got), pd.Series(expected))


def test_plain_columns_read_small_frames_block_by_block_like_column_by_column(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    """A one-row decisions frame (the online answer) read block by block gives each value
    as the column-by-column read does: numpy scalars as Python ones, NaN as None, the
    tz-aware decision time as a Timestamp."""
    from scoring_service.pipeline.frames import _FEW_PLAIN, column_reader, plain, plain_columns

    decisions = decide(book.head(_FEW_PLAIN + 2), context)
    decisions["capacity_assets"] = decisions["capacity_assets"].where(decisions.index != 1)
    read = column_reader(decisions)
    whole = plain_columns(decisions, decisions.columns)  # more rows: column by column
    assert whole == {name: [plain(v) for v in read(name).tolist()] for name in decisions}
    for i in range(3):
        one = plain_columns(decisions.iloc[[i]], decisions.columns)
        assert one == {name: [values[i]] for name, values in whole.items()}
    assert whole["capacity_assets"][1] is None
    assert isinstance(whole["decided_at"][0], pd.Timestamp)
    assert type(whole["limit"][0]) is int
    assert type(whole["escalate"][0]) is bool


def test_decision_records_are_the_decision_frames_rows(
    book: pd.DataFrame, context: DecisionContext
) -> None:
    """The online path's rows (no frame) hold exactly what the frame of the same decisions
    holds, read as plain values: one row and a few, with a NaN limit term and Qianhai
    values on one row."""
    from scoring_service.pipeline import decide_records, typed_inputs
    from scoring_service.pipeline.frames import plain_columns

    rows = book.head(5).to_dict("records")
    rows[2] |= {"qh_b1_dishonest": 1.0, "qh_score": 580.0, "household_id": "H-2"}
    checked = typed_inputs(rows, keep=("household_id", "business_ref", "report_ids"))
    for some in (checked, typed_inputs(rows[:1])):
        frame = decide(some, context)
        records = decide_records(some, context)
        read = plain_columns(frame, frame.columns)
        expected = [dict(zip(read, row, strict=True)) for row in zip(*read.values(), strict=True)]
        assert len(records) == len(expected)
        for got, want in zip(records, expected, strict=True):
            assert list(got) == list(want)  # the frame's column order
            assert got["decision_id"] != want["decision_id"]  # new ids each call
            assert {k: v for k, v in got.items() if k != "decision_id"} == {
                k: v for k, v in want.items() if k != "decision_id"
            }
            assert isinstance(got["decided_at"], pd.Timestamp)


def test_plain_parts_read_what_plain_columns_read_of_the_assembled_frame() -> None:
    from scoring_service.pipeline.frames import assemble, plain_columns, plain_parts

    index = pd.RangeIndex(2)
    parts = [
        (["b", "d"], np.array([[1.5, 2.0], [3.0, np.nan]])),
        (["a"], np.array(["x", None], dtype=object)),
        (["c", "e"], np.array([[1, 2], [3, 4]], dtype=np.int64)),
        (["f"], np.array([True, False])),
        (["g"], np.array([np.float32(0.5), np.int64(3)], dtype=object)),
    ]
    columns = ["a", "b", "c", "d", "e", "f", "g"]
    got = plain_parts(parts)
    assert got == plain_columns(assemble(columns, index, parts), columns)
    assert got["d"] == [2.0, None]
    assert [type(v) for v in got["g"]] == [float, int]
