"""The pandas engine: stream a book in chunks, decide each, write it exactly once.

Memory is one chunk (plus the model): the book is read a parquet batch at a time and every
chunk's decisions go to their own part file (:mod:`scoring_service.batch.ledger`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from scoring_service.batch.book import iter_chunks
from scoring_service.batch.decider import Decide
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder

__all__ = ["ChunkFilter", "RunStats", "run_pandas"]

#: Rows of a chunk to re-rate (the event triggers); the identity when re-rating everything.
ChunkFilter = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class RunStats:
    """What one invocation did: chunks written now and before, rows decided now, seconds."""

    chunks_written: int
    chunks_skipped: int
    rows_decided: int
    seconds: float


def run_pandas(
    job: RerateJob,
    folder: RunFolder,
    decider: Decide,
    *,
    select: ChunkFilter | None = None,
    progress: bool = True,
) -> RunStats:
    """Run (or resume) ``job`` chunk by chunk; done chunks are skipped, never redone.

    Parameters
    ----------
    job : RerateJob
        Book, chunk size and bank selection.
    folder : RunFolder
        The run's folder (manifest already written).
    decider : callable
        Book rows → decision rows (:class:`~scoring_service.batch.decider.BatchDecider`).
    select : callable, optional
        Keeps the rows to re-rate (event triggers).
    progress : bool
        Show a tqdm bar (rows/s and ETA) on stderr.
    """
    start = time.perf_counter()
    done = folder.open()
    total = job.book.num_rows
    skipped_rows = min(total, job.chunk_rows * len(done))
    bar = tqdm(
        total=total,
        initial=skipped_rows,
        unit="rows",
        unit_scale=True,
        desc=f"rerate {folder.run_id}",
        disable=not progress,
        smoothing=0.1,
    )
    written = decided = 0
    with bar:
        for number, chunk in iter_chunks(job.input, job.chunk_rows, banks=job.banks, skip=done):
            t = time.perf_counter()
            rows = select(chunk) if select is not None else chunk
            decisions = decider(rows) if len(rows) else pd.DataFrame()
            folder.write_part(number, decisions, time.perf_counter() - t)
            written += 1
            decided += len(decisions)
            bar.update(min(job.chunk_rows, total - number * job.chunk_rows))
    return RunStats(written, len(done), decided, time.perf_counter() - start)
