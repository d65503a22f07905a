"""The pandas engine: stream a book in chunks, decide each, write it exactly once.

Memory is one chunk (plus the model): the book is read a parquet batch at a time and every
chunk's decisions go to their own part file (:mod:`scoring_service.batch.ledger`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from scoring_service.batch.book import iter_chunks
from scoring_service.batch.decider import Decide
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder

__all__ = ["ChunkFilter", "RunStats", "decide_chunk", "run_pandas"]

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
    workers: int = 1,
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
    workers : int
        Processes deciding chunks (1: in this process). Each worker writes its chunk's part
        atomically, so exactly-once holds whatever the number; memory is ``workers + 1``
        chunks.
    """
    start = time.perf_counter()
    done = folder.open()
    total = job.book.num_rows
    bar = tqdm(
        total=total,
        initial=min(total, job.chunk_rows * len(done)),
        unit="rows",
        unit_scale=True,
        desc=f"rerate {folder.run_id}",
        disable=not progress,
        smoothing=0.1,
    )
    chunks = (
        (number, select(chunk) if select is not None else chunk)
        for number, chunk in iter_chunks(job.input, job.chunk_rows, banks=job.banks, skip=done)
    )
    counts = [0, 0]  # chunks written, rows decided

    def account(number: int, rows: int) -> None:
        counts[0] += 1
        counts[1] += rows
        bar.update(min(job.chunk_rows, total - number * job.chunk_rows))

    with bar:
        if workers == 1:
            for number, rows in chunks:
                account(*decide_chunk(folder, number, rows, decider))
        else:
            _in_pool(chunks, folder, decider, workers, account)
    return RunStats(counts[0], len(done), counts[1], time.perf_counter() - start)


def decide_chunk(
    folder: RunFolder, number: int, rows: pd.DataFrame, decider: Decide
) -> tuple[int, int]:
    """Decide one chunk and write its part atomically; ``(chunk number, rows decided)``."""
    t = time.perf_counter()
    decisions = decider(rows) if len(rows) else pd.DataFrame()
    folder.write_part(number, decisions, time.perf_counter() - t)
    return number, len(decisions)


def _in_pool(
    chunks: Iterator[tuple[int, pd.DataFrame]],
    folder: RunFolder,
    decider: Decide,
    workers: int,
    account: Callable[[int, int], None],
) -> None:
    """At most ``workers`` chunks in flight, each decided and written by a worker process."""
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: set[Future[tuple[int, int]]] = set()
        for number, rows in chunks:
            if len(pending) >= workers:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    account(*future.result())
            pending.add(pool.submit(decide_chunk, folder, number, rows, decider))
        for future in wait(pending).done:
            account(*future.result())
