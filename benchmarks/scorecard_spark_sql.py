"""Spark SQL check of ``ScorecardSpec.to_sql("spark")`` in a local SparkSession.

Too slow to start for the test suite (about 20-30 s on the shared machine), so it runs here:
a card fitted on the benchmark data (with a special value and missing values) is scored by
Spark SQL and by ``spec.score`` on the same rows; every row must be equal.

    .venv/bin/python benchmarks/scorecard_spark_sql.py --rows 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scorecard_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    from pyspark.sql import SparkSession

    from rating_models import Scorecard, WOEBinning

    data = scorecard_data.generate(args.rows)
    y = data.pop("y").to_numpy()
    data.pop("true_pd")
    data.loc[data.index[::37], "num_01"] = -1.0  # a "no permission" special code
    card = Scorecard(WOEBinning(special_values={"num_01": [-1]}), min_iv=0.0).fit(data, y)
    spec = card.spec_
    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    try:
        frame = data[spec.feature_names].assign(row_id=np.arange(len(data)))
        spark.createDataFrame(frame).createOrReplaceTempView("households")
        rows = spark.sql(
            f"SELECT row_id, {spec.to_sql('spark')} AS score FROM households ORDER BY row_id"
        ).collect()
    finally:
        spark.stop()
    sql = np.asarray([r["score"] for r in rows], dtype=np.float64)
    python = spec.score(data)
    differ = int(np.sum(sql != python))
    print(
        f"{len(python):,} rows, {len(spec.features)} features: {differ} rows differ "
        f"(max abs diff {np.max(np.abs(sql - python)):.3g}); Spark session + query "
        f"{time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
