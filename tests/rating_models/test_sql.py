"""ScorecardSpec.to_sql: the SQL score equals spec.score on every row (real PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from rating_models import InvalidParameterError, Scorecard, ScorecardSpec, WOEBinning
from rating_models.scorecard.sql import DIALECTS
from tests.rating_models.test_scorecard_helpers import credit_like, frame_for, specs

psycopg = pytest.importorskip("psycopg")

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def pg() -> Iterator[Any]:
    url = os.environ.get("NONGXIN_TEST_POSTGRES_URL", DEFAULT_URL).replace("+psycopg", "")
    try:
        conn = psycopg.connect(url, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at NONGXIN_TEST_POSTGRES_URL: {exc}".splitlines()[0])
    schema = f"rm_sql_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE SCHEMA "{schema}"')
    conn.execute(f'SET search_path TO "{schema}"')
    try:
        yield conn
    finally:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()


def _sql_scores(conn: Any, spec: ScorecardSpec, data: pd.DataFrame) -> np.ndarray:
    quote = DIALECTS["postgresql"].quote
    table = f"t_{uuid.uuid4().hex[:10]}"
    columns = ", ".join(
        f"{quote(f.name)} {'DOUBLE PRECISION' if f.bins.kind == 'numeric' else 'TEXT'}"
        for f in spec.features
    )
    conn.execute(f"CREATE TABLE {table} (row_id INTEGER, {columns})")
    rows = [
        (i, *(_cell(data[f.name].iloc[i], f.bins.kind, i) for f in spec.features))
        for i in range(len(data))
    ]
    marks = ", ".join(["%s"] * (len(spec.features) + 1))
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        cur.execute(f"SELECT {spec.to_sql('postgresql')} FROM {table} ORDER BY row_id")
        return np.asarray([r[0] for r in cur.fetchall()], dtype=np.float64)


def _cell(value: Any, kind: str, i: int) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        # missing arrives as NULL and, every third row, as a float NaN
        return float("nan") if kind == "numeric" and i % 3 == 0 else None
    return float(value) if kind == "numeric" else str(value)


@pytest.mark.integration
@pytest.mark.postgres
def test_fitted_card_scores_the_same_in_postgres(pg: Any, rng: np.random.Generator) -> None:
    X, y = credit_like(rng, 3000)
    X = X.rename(columns={"region": 'region "name"'})
    # a quote and backslashes (PostgreSQL standard strings keep backslashes as written)
    X['region "name"'] = X['region "name"'].replace({"north": "north's", "east": r"ea\'st\n"})
    card = Scorecard(WOEBinning(special_values={"inq": [-1]}, n_jobs=1), min_iv=0.0).fit(X, y)
    spec = card.spec_
    sample = X.iloc[:400].reset_index(drop=True)
    np.testing.assert_array_equal(_sql_scores(pg, spec, sample), spec.score(sample))


@pytest.mark.integration
@pytest.mark.postgres
@given(specs())
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_sql_score_equals_python_score(pg: Any, spec: ScorecardSpec) -> None:
    data = frame_for(spec, np.random.default_rng(7), 60)
    np.testing.assert_array_equal(_sql_scores(pg, spec, data), spec.score(data))


def test_spark_rendering_quotes_and_tests_nan() -> None:
    X, y = credit_like(np.random.default_rng(3), 1500)
    spec = Scorecard(WOEBinning(special_values={"inq": [-1]}, n_jobs=1), min_iv=0.0).fit(X, y).spec_
    sql = spec.to_sql("spark")
    assert "`inq` IS NULL OR isnan(`inq`)" in sql
    assert "WHEN `inq` IN (CAST('-1.0' AS DOUBLE))" in sql
    assert sql.count("CASE") == len(spec.features)


def test_text_literals_are_escaped_per_dialect() -> None:
    X, y = credit_like(np.random.default_rng(3), 1500)
    X["region"] = X["region"].replace({"north": "no'rth", "south": r"so\uth\'"})
    groups = [[v] for v in sorted(X["region"].unique())]
    binning = WOEBinning(breaks={"region": groups}, n_jobs=1)
    spec = Scorecard(binning, min_iv=0.0, max_corr=None).fit(X, y).spec_
    spark, pg = spec.to_sql("spark"), spec.to_sql("postgresql")
    # Spark SQL: backslash is the escape character, so both \ and ' are escaped with it
    assert r"IN ('no\'rth')" in spark
    assert r"IN ('so\\uth\\\'')" in spark
    # PostgreSQL: standard strings, quotes doubled, backslashes as written
    assert "IN ('no''rth')" in pg
    assert r"IN ('so\uth\''')" in pg


def test_unknown_dialect_is_refused() -> None:
    spec = ScorecardSpec(())
    with pytest.raises(
        InvalidParameterError, match="The 'dialect' parameter of to_sql must be one of"
    ):
        spec.to_sql("oracle")
