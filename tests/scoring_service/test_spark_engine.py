"""The Spark engine (``mapInPandas`` over the same decider) decides exactly as the pandas one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scoring_service.batch import RerateJob, RunFolder, load_policies, run_job
from scoring_service.batch.champions import model_file

REPO = Path(__file__).resolve().parents[2]
BANKS = ["301", "302", "303"]

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One ``local[2]`` session for the test session; executors run this interpreter."""
    from scoring_service.batch.spark import spark_session

    session = spark_session("local[2]", batch_rows=1000)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def book_and_model(
    small_province: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)


def test_spark_and_pandas_engines_make_identical_decisions(
    spark: Any, book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    models = model_file(model, BANKS)
    policies = load_policies(BANKS, REPO / "config")
    runs = {}
    for engine in ("pandas", "spark"):
        folder = RunFolder(tmp_path, engine)
        manifest = run_job(
            RerateJob(book, None, 150, engine),
            folder,
            models,
            policies,
            progress=False,
            spark=spark,
        )
        assert manifest["rows"] == 400
        runs[engine] = folder.read_decisions()
    cols = [c for c in runs["pandas"].columns if c not in ("decision_id", "decided_at")]
    assert cols == [c for c in runs["spark"].columns if c not in ("decision_id", "decided_at")]
    pandas_rows, spark_rows = (
        runs[e][cols].sort_values("household_id", ignore_index=True) for e in ("pandas", "spark")
    )
    pd.testing.assert_frame_equal(spark_rows, pandas_rows, check_exact=True)
    assert runs["spark"]["decision_id"].is_unique
