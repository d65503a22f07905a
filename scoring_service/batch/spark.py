"""The Spark engine: the same :class:`~scoring_service.batch.decider.BatchDecider` through
``mapInPandas`` on a DataFrame read from the book's parquet.

Spark owns the parallelism and the output commit: it writes the decisions to a temporary
folder with its own commit protocol, which is then renamed to ``decisions/``. A killed
Spark run leaves no ``decisions/`` part of its own; restarted with the same run id it runs
again in full (Spark's unit of retry is the task, ours is the run). The ``spark`` extra
installs pyspark; ``docs/spark.md`` says how to submit to YARN or Kubernetes.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from scoring_service.batch.book import book_columns, iter_chunks
from scoring_service.batch.decider import BatchDecider
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import UsageError

__all__ = ["decisions_schema", "run_spark", "spark_session"]

_SAMPLE_ROWS = 64


def spark_session(master: str | None = None, *, batch_rows: int = 100_000) -> Any:
    """A SparkSession for re-rating: UTC, Arrow batches of ``batch_rows``, no UI.

    ``master`` defaults to ``NONGXIN_SPARK_MASTER``, else ``local[2]``; an empty value
    leaves the master to ``spark-submit``. Executors run this interpreter
    (``PYSPARK_PYTHON``) unless the environment says otherwise (on a cluster: the packed
    venv, see ``docs/spark.md``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - the extra is installed in the suite
        raise UsageError(
            "The Spark engine needs pyspark: pip install 'nongxin[spark]'.", field="engine"
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master is None:
        master = os.environ.get("NONGXIN_SPARK_MASTER", "local[2]")
    builder = SparkSession.builder.master(master) if master else SparkSession.builder
    return (
        builder.appName("nongxin-rerate")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )


def decisions_schema(job: RerateJob, decider: BatchDecider) -> Any:
    """The Spark schema of the decisions (from deciding the book's first rows)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    for _, chunk in iter_chunks(job.input, _SAMPLE_ROWS, banks=job.banks):
        if len(chunk):
            sample = decider(chunk)
            return from_arrow_schema(pa.Schema.from_pandas(sample, preserve_index=False))
    raise UsageError(f"The book {job.input} has no row of the banks to re-rate.", field="input")


def _batches(decider: BatchDecider) -> Any:
    def decide_batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            if len(frame):
                yield decider(frame)

    return decide_batches


def run_spark(
    job: RerateJob, folder: RunFolder, decider: BatchDecider, *, spark: Any = None
) -> float:
    """Decide the whole book on Spark into ``folder.decisions``; wall seconds."""
    from pyspark.sql import functions as F

    start = time.perf_counter()
    session = spark if spark is not None else spark_session(batch_rows=job.chunk_rows)
    schema = decisions_schema(job, decider)
    frame = session.read.parquet(str(job.input))
    frame = frame.select(*book_columns(frame.columns))  # only what a decision reads
    if job.banks is not None:
        frame = frame.where(F.col("bank_code").isin(list(job.banks)))
    staging = folder.root / "decisions.spark"
    frame.mapInPandas(_batches(decider), schema).write.mode("overwrite").parquet(str(staging))
    shutil.rmtree(folder.decisions, ignore_errors=True)
    staging.rename(folder.decisions)
    return time.perf_counter() - start
