"""Run (or resume) one re-rating job on its engine and mark it complete."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow.parquet as pq

from credit_limit import EffectivePolicy
from model_registry.serving import LoadedModel
from scoring_service.batch.decider import BatchDecider
from scoring_service.batch.engine import ChunkFilter, run_pandas
from scoring_service.batch.job import RerateJob, finish_run, start_run
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import UsageError

__all__ = ["output_rows", "run_job"]


def output_rows(folder: RunFolder) -> int:
    """Rows in a run's decision parts (from the parquet footers, nothing else read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.part_files())


def run_job(
    job: RerateJob,
    folder: RunFolder,
    models: Mapping[str, LoadedModel],
    policies: Mapping[str, EffectivePolicy],
    *,
    progress: bool = True,
    workers: int = 1,
    spark: Any = None,
) -> dict[str, Any]:
    """Start or resume ``job`` in ``folder``; the completed run's manifest.

    Parameters
    ----------
    job : RerateJob
        The book, chunking, banks, engine and trigger.
    folder : RunFolder
        The run's folder (a restart with the same run id resumes).
    models, policies : mapping
        Champion and effective policy by bank.
    progress : bool
        Progress bar on stderr (pandas engine).
    workers : int
        Worker processes of the pandas engine (1: none).
    spark : SparkSession, optional
        The session of the Spark engine (default: a ``local[2]`` one).
    """
    decided_at = start_run(job, folder, models, policies)
    decider = BatchDecider(models, policies, decided_at)
    select: ChunkFilter | None = None
    if job.changed_since is not None:
        from scoring_service.batch.triggers import changed_rows

        select = changed_rows(RunFolder(folder.root.parent, job.changed_since))
    if job.engine == "pandas":
        stats = run_pandas(job, folder, decider, select=select, progress=progress, workers=workers)
        seconds = stats.seconds
    else:
        if select is not None:
            raise UsageError(
                "Event triggers run on the pandas engine (a daily job is small); "
                "drop --engine spark or the trigger option.",
                field="engine",
            )
        from scoring_service.batch.spark import run_spark

        seconds = run_spark(job, folder, decider, spark=spark)
    return finish_run(folder, output_rows(folder), seconds)
