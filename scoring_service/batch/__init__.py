"""Batch re-rating: a whole book through the shared pipeline, resumable and explained.

::

    book.py      chunk I/O: the book (parquet), built from a province, streamed in chunks
    ledger.py    run folder, manifest, atomic part files: exactly-once after any kill
    job.py       RerateJob and the run identity a restart must match
    decider.py   BatchDecider: the per-frame function (pipeline.decide per bank) both engines run
    engine.py    the pandas engine (chunks, tqdm progress, flat memory)
    worker.py    what each of its processes does: claim, read, decide, write (RerateChunkError)
    claims.py    which process decides which chunk, surviving any process's SIGKILL
    helpers.py   its helper processes: dead ones' chunks redone, a failure stops the run
    spark.py     the Spark engine (mapInPandas over the same BatchDecider)
    triggers.py  event triggers: only households whose inputs changed since a run
    report.py    the explained-change report (migration, limits, PSI, manual review)
    runner.py    run_job: start or resume a job on its engine

Errors are :mod:`scoring_service.exceptions` ones (``UsageError`` for bad job input), and
:class:`~scoring_service.batch.worker.RerateChunkError` (a ``ServiceError``, code
``RERATE_CHUNK``) for a chunk that failed, naming it and its cause.
"""

from scoring_service.batch.book import build_book, iter_chunks
from scoring_service.batch.decider import BatchDecider, load_policies
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder, latest_complete_run
from scoring_service.batch.runner import run_job
from scoring_service.batch.worker import RerateChunkError

__all__ = [
    "BatchDecider",
    "RerateChunkError",
    "RerateJob",
    "RunFolder",
    "build_book",
    "iter_chunks",
    "latest_complete_run",
    "load_policies",
    "run_job",
]
