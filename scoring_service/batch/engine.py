"""The pandas engine: decide a book chunk by chunk, each chunk written exactly once.

Memory is a couple of chunks per process (plus the model): every process reads the chunks it
decides straight from the book and writes each chunk's decisions to its own part file from a
writer thread (:mod:`scoring_service.batch.worker`).

With ``workers=W`` the run is this process plus ``W - 1`` helper processes
(:mod:`scoring_service.batch.helpers`) sharing the pending chunks through
:mod:`scoring_service.batch.claims`: each process works through its own contiguous run of
chunks, then takes from the back of the longest other one, so no core idles while chunks
remain. A chunk is done when its part exists, so a kill at any point loses at most the
chunks in flight: a helper's are redone by this process in the same invocation, this
process's by a restart with the same run id. The run is held while it runs
(:meth:`~scoring_service.batch.ledger.RunFolder.exclusive`, shared with the forked helpers),
so a restart waits for the helpers of a killed invocation to finish their chunk in hand
rather than write the same chunk beside them. A chunk that fails stops the run promptly
with a :class:`~scoring_service.batch.worker.RerateChunkError` naming it.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from scoring_service.batch.claims import KILL_HELPER_ENV, Claims
from scoring_service.batch.decider import Decide
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder
from scoring_service.batch.worker import ChunkFilter, RerateChunkError, Task, work
from scoring_service.exceptions import UsageError

__all__ = [
    "KILL_HELPER_ENV",
    "STOP_AFTER_ENV",
    "ChunkFilter",
    "RerateChunkError",
    "RunStats",
    "decide_chunk",
    "run_pandas",
]

#: Test hook: with ``N`` set, a process stops itself (SIGSTOP) right after writing its
#: ``N``-th part of an invocation, so a test can SIGKILL it at a known point.
STOP_AFTER_ENV = "NONGXIN_RERATE_STOP_AFTER"


@dataclass(frozen=True)
class RunStats:
    """What one invocation did: chunks written now and before, rows decided now, seconds."""

    chunks_written: int
    chunks_skipped: int
    rows_decided: int
    seconds: float
    #: chunks this process redid for helper processes that died
    redone: tuple[int, ...] = ()


def _stop_after() -> int | None:
    value = os.environ.get(STOP_AFTER_ENV, "")
    if not value.isdigit():
        return None
    # a test hook: say so loudly, a run stopped by it waits for a SIGKILL or SIGCONT
    sys.stderr.write(
        f"warning: {STOP_AFTER_ENV}={value} is set: this re-rating stops itself (SIGSTOP) "
        f"after part {value} (a test hook; unset it for real runs).\n"
    )
    sys.stderr.flush()
    return int(value)


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
        Keeps the rows to re-rate (event triggers); picklable when ``workers > 1``.
    progress : bool
        Show a tqdm bar (rows/s and ETA) on stderr.
    workers : int
        Processes deciding chunks: this one plus ``workers - 1`` helpers (see the module
        docstring). Each part is written atomically, so exactly-once holds whatever the
        number, and whichever helper dies.

    Raises
    ------
    RerateChunkError
        A chunk could not be read, decided or written (in any process): the run stops after
        the chunks in hand, naming it; a restart with the same run id finishes the run.
    UsageError
        Chunks were left undone (this process's helpers stopped without finishing them), or
        another invocation still holds the run (:meth:`RunFolder.exclusive`).
    """
    start = time.perf_counter()
    with folder.exclusive():
        written, skipped, rows, redone = _run(job, folder, decider, select, progress, workers)
    return RunStats(written, skipped, rows, time.perf_counter() - start, redone)


def _run(
    job: RerateJob,
    folder: RunFolder,
    decider: Decide,
    select: ChunkFilter | None,
    progress: bool,
    workers: int,
) -> tuple[int, int, int, tuple[int, ...]]:
    """:func:`run_pandas` with the run held: chunks written, skipped, rows, chunks redone."""
    done = folder.open()
    total = job.book.num_rows
    n_chunks = job.book.n_chunks(job.chunk_rows)
    pending = [n for n in range(n_chunks) if n not in done]
    bar = tqdm(
        total=total,
        initial=total - sum(_chunk_size(job, n, total) for n in pending),
        unit="rows",
        unit_scale=True,
        desc=f"rerate {folder.run_id}",
        disable=not progress,
        smoothing=0.1,
    )
    counts = [0, 0]  # chunks written, rows decided

    def account(number: int, rows: int) -> None:
        counts[0] += 1
        counts[1] += rows
        bar.update(_chunk_size(job, number, total))

    task = Task(job.input, job.chunk_rows, job.banks, folder, decider, select, _stop_after())
    redone: list[int] = []
    with bar:
        helpers = min(workers, len(pending)) - 1
        if helpers <= 0:
            work(task, Claims.local(pending), account)
        else:
            from scoring_service.batch.helpers import with_helpers

            redone = with_helpers(task, pending, helpers, account)
    missing = sorted(set(pending) - folder.open())
    if missing:
        raise UsageError(
            f"Run {folder.run_id!r}: chunks {missing[:5]} were not written (a process died); "
            "restart it with the same run id to finish them.",
            field="run_id",
            chunks=missing[:20],
        )
    return counts[0], len(done), counts[1], tuple(redone)


def _chunk_size(job: RerateJob, number: int, total: int) -> int:
    return min(job.chunk_rows, total - number * job.chunk_rows)


def decide_chunk(
    folder: RunFolder, number: int, rows: pd.DataFrame, decider: Decide
) -> tuple[int, int]:
    """Decide one chunk and write its part atomically; ``(chunk number, rows decided)``."""
    t = time.perf_counter()
    decisions = decider(rows) if len(rows) else pd.DataFrame()
    folder.write_part(number, decisions, time.perf_counter() - t)
    return number, len(decisions)
