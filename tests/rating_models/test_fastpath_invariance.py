"""A household's rating does not depend on its batch: alone, in a few rows or in big chunks.

Scores add the intercept and each feature's points in card order, column by column, so the
score and PD of a row scored alone are bit-identical to the same row inside a big frame (what
replay relies on when it recomputes a stored decision exactly).
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model_registry.bundle import RatingModel
from rating_models.binning.bins import categorical_bins, numeric_bins
from rating_models.expert import ExpertCard
from rating_models.rating import engine as engine_module
from rating_models.rating.grades import GradeScale
from rating_models.rating.knockouts import KnockoutRule
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

N_NUMERIC = 16  # more than 8 features: a blocked row-sum would reorder the additions
EDGES = [[0.5 * (j + 1), 3.3 + j, 10.0 / (j + 1) + 7.1] for j in range(N_NUMERIC)]
POINTS = np.random.default_rng(7).normal(0.0, 25.0, (N_NUMERIC, 6))  # no round numbers
STAT = ScorecardSpec(
    (
        *(
            FeatureScore(
                numeric_bins(f"x{j}", sorted(EDGES[j]), specials=[[-1.0]]),
                tuple(float(p) for p in POINTS[j]),
            )
            for j in range(N_NUMERIC)
        ),
        FeatureScore(categorical_bins("crop", [["rice"], ["corn", "tea"]]), (9.87, 1.2345, -0.3)),
    ),
    intercept_points=487.123,
    scaling=Scaling(pdo=20, base_points=500, base_odds=30),
    name="invariance",
)
EXPERT = ExpertCard.from_dict(
    {
        "schema_version": 1,
        "name": "mini",
        "version": "1",
        "zh": "示例",
        "total": 10,
        "pd_calibration": {"intercept": 1.3, "slope": -0.37, "source": "test"},
        "blocks": [
            {
                "id": "basics",
                "zh": "基本",
                "en": "Basics",
                "points": 10,
                "range": [5, 15],
                "indicators": [
                    {
                        "id": "x0",
                        "zh": "甲",
                        "en": "A",
                        "input": {"column": "x0"},
                        "bands": [
                            {"below": 2, "points": 3},
                            {"below": 8, "points": 6},
                            {"points": 1},
                        ],
                        "missing": 0,
                    },
                    {
                        "id": "crop",
                        "zh": "作物",
                        "en": "Crop",
                        "input": {"column": "crop"},
                        "categories": [{"values": ["rice"], "points": 4}],
                        "other": 0.5,
                        "missing": 0,
                    },
                ],
            }
        ],
    }
)
MODEL = RatingModel(
    name="invariance",
    scale=GradeScale(max_pd=(0.01, 0.03, 0.08, 0.2, 1.0)),
    mode="blend",
    statistical=STAT,
    expert=EXPERT,
    expert_weight=0.35,
    knockouts=(KnockoutRule("K01", "overdue", "x1", ">", 9.0),),
)

value = st.one_of(
    st.floats(-50, 50, allow_nan=False),
    st.sampled_from([np.nan, -1.0, *sorted({e for edges in EDGES for e in edges})]),
)
row = st.tuples(
    st.lists(value, min_size=N_NUMERIC, max_size=N_NUMERIC),
    st.sampled_from(["rice", "corn", "tea", "barley", None]),
)


def _frame(rows: list[tuple[list[float], str | None]]) -> pd.DataFrame:
    data: dict[str, object] = {
        f"x{j}": np.asarray([r[0][j] for r in rows], dtype=np.float64) for j in range(N_NUMERIC)
    }
    data["crop"] = np.asarray([r[1] for r in rows], dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(1000, 1000 + len(rows)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=140), pick=st.data())
def test_a_row_rates_the_same_alone_and_inside_any_frame(
    rows: list[tuple[list[float], str | None]], pick: st.DataObject
) -> None:
    frame = _frame(rows)
    together = MODEL.predict(frame)
    with mock.patch.object(engine_module, "CHUNK_ROWS", 7):  # many chunks, uneven last one
        chunked = MODEL.predict(frame)
    pd.testing.assert_frame_equal(chunked, together, check_exact=True)
    few = pick.draw(st.integers(1, len(rows)))  # a few rows taken from the frame, as a frame
    pd.testing.assert_frame_equal(
        MODEL.predict(frame.iloc[:few]), together.iloc[:few], check_exact=True
    )
    alone = pd.concat([MODEL.predict(frame.iloc[[i]]) for i in range(len(rows))])
    pd.testing.assert_frame_equal(alone, together, check_exact=True)
    # bit for bit, not merely equal: the same float64 words
    assert alone["score"].to_numpy().tobytes() == together["score"].to_numpy().tobytes()
    assert alone["pd"].to_numpy().tobytes() == together["pd"].to_numpy().tobytes()
    i = pick.draw(st.integers(0, len(rows) - 1))
    np.testing.assert_array_equal(STAT.score(frame.iloc[[i]]), STAT.score(frame)[[i]])


def test_scores_are_added_in_card_order() -> None:
    frame = _frame([([0.7 * j for j in range(N_NUMERIC)], "tea")] * 3)
    points = STAT.points(frame).to_numpy()
    expected = STAT.intercept_points
    for p in points[0]:
        expected += p
    assert MODEL.predict(frame)["score"].tolist() == [expected] * 3
