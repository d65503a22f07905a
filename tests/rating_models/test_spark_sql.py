"""ScorecardSpec.to_sql("spark"): the Spark SQL score equals spec.score on every row.

Runs on a local Spark session. ``spark_session`` calls ``getOrCreate``, so in a worker that
already runs the Spark engine tests (same ``xdist_group``) the session is reused, not started
again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from rating_models import Scorecard, ScorecardSpec, WOEBinning
from tests.rating_models.test_scorecard_helpers import credit_like

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

# categories with a quote, a backslash, a backslash before a quote and an escape-like pair
REGIONS = {
    "north": "north's",
    "south": "south\\east",
    "east": "ea\\'st",
    "west": "we\\nst",
    "central": "cen''tral\\\\",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from scoring_service.batch.spark import spark_session

    session = spark_session("local[2]", batch_rows=1000)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _card() -> tuple[ScorecardSpec, pd.DataFrame]:
    X, y = credit_like(np.random.default_rng(11), 2000)
    X["region"] = X["region"].map(REGIONS)
    binning = WOEBinning(
        special_values={"inq": [-1]},
        breaks={"region": [[v] for v in REGIONS.values()]},  # every tricky literal its own bin
        n_jobs=1,
    )
    spec = Scorecard(binning, min_iv=0.0, max_corr=None).fit(X, y).spec_
    sample = X.iloc[:300].reset_index(drop=True)
    sample.loc[::17, "region"] = None  # missing category
    sample.loc[5::23, "region"] = "unseen\\'"  # unseen category with the same characters
    return spec, sample


def _spark_scores(spark: Any, spec: ScorecardSpec, data: pd.DataFrame) -> np.ndarray:
    from pyspark.sql.types import DoubleType, IntegerType, StringType, StructField, StructType

    names = [f.name for f in spec.features]
    kinds = {f.name: f.bins.kind for f in spec.features}
    schema = StructType(
        [StructField("row_id", IntegerType(), False)]
        + [
            StructField(n, DoubleType() if kinds[n] == "numeric" else StringType(), True)
            for n in names
        ]
    )
    rows = [(i, *(_cell(data[n].iloc[i], kinds[n], i) for n in names)) for i in range(len(data))]
    spark.createDataFrame(rows, schema).createOrReplaceTempView("cards_input")
    sql = f"SELECT row_id, {spec.to_sql('spark')} AS score FROM cards_input ORDER BY row_id"
    return np.asarray([r["score"] for r in spark.sql(sql).collect()], dtype=np.float64)


def _cell(value: Any, kind: str, i: int) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        # missing arrives as NULL and, every third row, as a float NaN
        return float("nan") if kind == "numeric" and i % 3 == 0 else None
    return float(value) if kind == "numeric" else str(value)


def test_spark_sql_score_equals_python_score(spark: Any) -> None:
    spec, sample = _card()
    region = next(f for f in spec.features if f.name == "region")
    assert len(set(region.points)) >= 5  # the tricky literals carry different points
    assert sample["util"].isna().any()
    assert (sample["inq"] == -1).any()
    np.testing.assert_array_equal(_spark_scores(spark, spec, sample), spec.score(sample))
