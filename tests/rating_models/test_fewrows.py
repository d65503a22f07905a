"""The few-rows path of ``RatingEngine.predict_columns`` (plain Python per row) against the
array engine: the same columns, dtypes and float64 words on any row, every mode, knockouts
firing or not, every grade; the array engine wherever the path does not cover the frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_registry.bundle import RatingModel
from rating_models.binning.bins import Bin, FeatureBins, categorical_bins, numeric_bins
from rating_models.exceptions import InvalidDataError
from rating_models.rating import engine as engine_module
from rating_models.rating.engine import RatingEngine
from rating_models.rating.grades import GradeCalibration, GradeScale
from rating_models.rating.knockouts import KnockoutRule
from rating_models.rating.pipeline import RatingSetup
from rating_models.rating.reasons import ReasonCatalog, ReasonText
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec
from tests.rating_models.test_fastpath_invariance import EXPERT

N_NUMERIC = 10
EDGES = [[0.5 * (j + 1), 3.3 + j, 10.0 / (j + 1) + 7.1] for j in range(N_NUMERIC)]
POINTS = np.random.default_rng(3).normal(0.0, 25.0, (N_NUMERIC, 7))
POINTS[2] = POINTS[2, 0]  # a feature whose every bin scores its best: no shortfall
STAT = ScorecardSpec(
    (
        *(
            FeatureScore(
                numeric_bins(f"x{j}", sorted(EDGES[j]), specials=[[-1.0], [-1.0, 99.0]]),
                tuple(float(p) for p in POINTS[j]),
            )
            for j in range(N_NUMERIC)
        ),
        FeatureScore(categorical_bins("crop", [["rice"], ["corn", "tea"]]), (9.87, 1.2345, -0.3)),
        FeatureScore(
            FeatureBins(
                "soil",
                "categorical",
                (Bin("categories", values=("red",)), Bin("missing"), Bin("other")),
            ),
            (3.5, -2.25, 0.75),
        ),
    ),
    intercept_points=487.123,
    scaling=Scaling(pdo=20, base_points=500, base_odds=30),
    name="fewrows",
)
SCALE = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.2, 1.0))
CALIBRATION = GradeCalibration(
    scale=SCALE, grade_pd=(0.005, 0.02, 0.05, 0.12, 0.4), n=(1,) * 5, bads=(0,) * 5
)
RULES = (
    KnockoutRule("K01", "overdue", "x1", ">", 9),
    KnockoutRule("K02", "low", "x3", "<=", 0.5, missing="fire"),
    KnockoutRule("K03", "band", "age", "outside", (18, 65), missing="fire"),
    KnockoutRule("K04", "flag", "bad", "is_true"),
    KnockoutRule("K05", "high", "x4", ">=", 12.0),
    KnockoutRule("K06", "few", "x5", "<", -5),
)
CATALOG = ReasonCatalog(  # x0 and x1 share a code: it counts once, at its larger shortfall
    "t",
    (
        ReasonText("R01", "甲", "a", ("x0", "x1")),
        ReasonText("K01", "逾期", "overdue", knockout="overdue"),
    ),
)

value = st.one_of(
    st.floats(-50, 50, allow_nan=False),
    st.sampled_from(
        [np.nan, -1.0, 99.0, np.inf, -np.inf, -0.0, *sorted({e for es in EDGES for e in es})]
    ),
)
row = st.fixed_dictionaries(
    {
        **{f"x{j}": value for j in range(N_NUMERIC)},
        "crop": st.sampled_from(["rice", "corn", "tea", "barley", "", None, np.nan, 3]),
        "soil": st.sampled_from(["red", "black", None]),
        "age": st.sampled_from([np.nan, 17.0, 18.0, 40.0, 65.0, 65.5]),
        "bad": st.sampled_from([0.0, 1.0, np.nan, -0.0]),
    }
)


def columns_of(engine: RatingEngine) -> list[str]:
    extra = ["grade_pd"] if engine._grade_pd is not None else []
    reasons = [f"reason_{i + 1}" for i in range(engine.setup.n_reasons)]
    return ["score", "pd", "grade", *extra, "escalate", "knockout", *reasons]


def same(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    """The same keys, dtypes and values, bit for bit."""
    assert list(fast) == list(slow)
    for name, a in fast.items():
        b = slow[name]
        assert isinstance(a, np.ndarray), name
        assert isinstance(b, np.ndarray), name
        assert a.dtype == b.dtype, name
        assert a.shape == b.shape, name
        if a.dtype == object:
            assert a.tolist() == b.tolist(), name
        else:
            assert a.tobytes() == b.tobytes(), (name, a, b)


def both(engine: RatingEngine, frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """``predict_columns`` as it runs, and through the array engine alone."""
    columns = columns_of(engine)
    fast = engine.predict_columns(frame, columns)
    with mock.patch.object(engine_module, "FEW", 0):
        slow = engine.predict_columns(frame, columns)
    return fast, slow


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, min_size=1, max_size=8),
    mode=st.sampled_from(["statistical", "expert", "blend", "agree_or_escalate", "minimum"]),
    validated=st.booleans(),
    calibrated=st.booleans(),
    n_reasons=st.integers(1, 5),
    catalog=st.booleans(),
)
def test_few_rows_equal_the_array_engine(
    rows: list[dict[str, Any]],
    mode: str,
    validated: bool,
    calibrated: bool,
    n_reasons: int,
    catalog: bool,
) -> None:
    setup = RatingSetup(
        SCALE,
        mode=mode,
        knockouts=RULES,
        statistical_validated=validated,
        grade_calibration=CALIBRATION if calibrated else None,
        n_reasons=n_reasons,
    )
    engine = RatingEngine(setup, statistical=STAT, catalog=CATALOG if catalog else None)
    assert engine._few is not None
    frame = pd.DataFrame(rows, index=pd.RangeIndex(7, 7 + len(rows)))
    frame["crop"] = frame["crop"].astype(object)
    frame["soil"] = frame["soil"].astype(object)
    rows_read = engine._few.rows(frame, engine._positions_in(frame.columns))
    assert rows_read is not None  # the path covers these frames: it is what is compared
    assert engine._few.predict(rows_read, calibrated) is not None
    fast, slow = both(engine, frame)
    same(fast, slow)


def test_every_grade_and_knockout_is_reached() -> None:
    """A spread of rows reaches every grade, and knockouts firing alone and together."""
    engine = RatingEngine(RatingSetup(SCALE, knockouts=RULES), statistical=STAT)
    rng = np.random.default_rng(0)
    data = {f"x{j}": rng.choice([np.nan, -1.0, *EDGES[j], 0.0, 30.0], 400) for j in range(10)}
    data |= {
        "crop": rng.choice(np.array(["rice", "corn", "barley", None], dtype=object), 400),
        "soil": rng.choice(np.array(["red", "black", None], dtype=object), 400),
        "age": rng.choice([np.nan, 17.0, 30.0, 40.0], 400),
        "bad": rng.choice([0.0, 0.0, 0.0, 1.0], 400),
    }
    frame = pd.DataFrame(data)
    grades, knockouts = set(), set()
    for start in range(0, 400, 5):
        fast, slow = both(engine, frame.iloc[start : start + 1 + start % 8])
        same(fast, slow)
        grades.update(fast["grade"].tolist())
        knockouts.update(fast["knockout"].tolist())
    assert grades == set(SCALE.grades)
    assert "" in knockouts
    assert any(";" in k for k in knockouts)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.astype({"x0": "Float64"}),  # an extension column
        lambda f: f.astype({"x1": object}),  # numbers as objects
        lambda f: f.astype({"x2": np.int64, "bad": bool}),  # integers and flags: read here
        lambda f: f.assign(crop=pd.Categorical(f["crop"])),  # a categorical column
        lambda f: f.assign(soil=1.0),  # a number where text is expected
    ],
)
def test_other_column_types_give_the_same_values(change: Any) -> None:
    engine = RatingEngine(RatingSetup(SCALE, mode="blend", knockouts=RULES), statistical=STAT)
    rows = [
        {**{f"x{j}": float(j) for j in range(10)}, "crop": "tea", "soil": "red", "age": 30.0},
        {**{f"x{j}": 2.0 * j for j in range(10)}, "crop": "rice", "soil": "x", "age": 70.0},
    ]
    frame = change(pd.DataFrame(rows).assign(bad=0.0))
    for part in (frame.iloc[:1], frame):
        same(*both(engine, part))


def test_engines_the_path_does_not_cover_keep_the_array_engine() -> None:
    rule = KnockoutRule("K09", "crop_listed", "crop", "in", ["tea"])
    engine = RatingEngine(RatingSetup(SCALE, knockouts=(rule,)), statistical=STAT)
    assert engine._few is None
    both_cards = RatingEngine(RatingSetup(SCALE, mode="blend"), statistical=STAT, expert=EXPERT)
    assert both_cards._few is None


def test_missing_column_raises_the_same_error() -> None:
    engine = RatingEngine(RatingSetup(SCALE, knockouts=RULES), statistical=STAT)
    frame = pd.DataFrame([{f"x{j}": 1.0 for j in range(10)} | {"crop": "tea", "age": 30.0}])
    with pytest.raises(InvalidDataError, match=r"lack the card's feature column.*soil"):
        engine.predict_columns(frame, columns_of(engine))


def test_positions_are_remembered_by_the_labels_storage() -> None:
    """Frames with their own ``Index`` objects over one labels array (what the online
    pipeline builds per request) look the positions up once."""
    engine = RatingEngine(RatingSetup(SCALE, knockouts=RULES), statistical=STAT)
    row = {f"x{j}": 1.0 for j in range(10)} | {"crop": "tea", "soil": "red", "age": 30.0}
    shared = pd.Index([*row, "bad"])
    frames = [
        pd.DataFrame([[*row.values(), 0.0]], columns=shared.copy(deep=False)) for _ in range(3)
    ]
    assert frames[0].columns is not frames[1].columns
    assert frames[0].columns._values is frames[1].columns._values
    with mock.patch.object(
        engine_module, "column_positions", wraps=engine_module.column_positions
    ) as look_up:
        for frame in frames:
            same(*both(engine, frame))
        assert look_up.call_count == 1
        reordered = frames[0][list(reversed(frames[0].columns))]  # new labels: looked up again
        same(*both(engine, reordered))
        assert look_up.call_count == 2


# -- the champion on the frames the online pipeline builds --------------------------------


@pytest.fixture(scope="module")
def champion(small_province: Path) -> RatingModel:
    from scoring_service.api.testing import train_champion

    config = Path(__file__).resolve().parents[2] / "config"
    model: RatingModel = train_champion(small_province, config).model
    return model


def test_the_champion_rates_typed_frames_as_the_array_engine(
    champion: RatingModel, small_province: Path
) -> None:
    from scoring_service.api.testing import province_frame
    from scoring_service.pipeline.inputs import typed_inputs

    engine = champion.engine
    assert engine._few is not None
    province = province_frame(small_province)
    knocked = 0
    for start in range(0, len(province), 3):
        part = province.iloc[start : start + 1 + start % 4]
        frame = typed_inputs(part).frame()  # the typed frame decide rates
        fast, slow = both(engine, frame)
        same(fast, slow)
        knocked += int((fast["knockout"] != "").sum())
    assert knocked > 0
