"""What every process of a pandas run does: claim, read, decide and write chunks.

A process reads the chunks it claims straight from the book
(:class:`~scoring_service.batch.book.ChunkReader`) and writes each chunk's decisions to its
own part file (:mod:`scoring_service.batch.ledger`) from a writer thread, so reading and
deciding the next chunk overlaps the parquet encoding and the ``fsync`` of the last one. A
chunk that cannot be read, decided or written stops the process with a
:class:`RerateChunkError` naming it; its part is never written.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from rating_models.exceptions import NongxinError
from scoring_service.batch.book import ChunkReader
from scoring_service.batch.claims import Claims, die
from scoring_service.batch.decider import Decide
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import ServiceError

__all__ = ["ChunkFilter", "RerateChunkError", "Task", "chunk_error", "work"]

#: Rows of a chunk to re-rate (the event triggers); the identity when re-rating everything.
ChunkFilter = Callable[[pd.DataFrame], pd.DataFrame]


class RerateChunkError(ServiceError):
    """A chunk of a re-rating run could not be read, decided or written: the run stopped.

    ``fields``: ``run_id``, ``chunk``, ``process`` (``"the main process"`` or ``"helper
    process N"``), ``cause`` (the exception's class name), ``cause_code`` (its code, when it is
    a coded error) and the cause's own fields (e.g. ``field``). The chunk's part was not
    written; the parts written stay, and a restart with the same run id finishes the run.
    """

    default_code = "RERATE_CHUNK"


def chunk_error(
    run_id: str, number: int, rows: tuple[int, int], exc: Exception, process: str
) -> RerateChunkError:
    """``exc`` (raised on chunk ``number``, book rows ``rows``) as a :class:`RerateChunkError`."""
    if isinstance(exc, RerateChunkError):
        return exc
    code = exc.code if isinstance(exc, NongxinError) else None
    fields = dict(exc.fields) if isinstance(exc, NongxinError) else {}
    what = (
        f"error[{code}]: {exc}" if code else ": ".join(filter(None, (type(exc).__name__, str(exc))))
    )
    return RerateChunkError(
        f"Run {run_id!r} stopped: chunk {number} (book rows {rows[0]}-{rows[1]}) failed in "
        f"{process}: {what}. The chunk's part was not written and the parts written are "
        f"kept: fix the cause, then restart with the same run id to finish.",
        **{
            **fields,
            "run_id": run_id,
            "chunk": number,
            "process": process,
            "cause": type(exc).__name__,
            "cause_code": code,
        },
    )


@dataclass(frozen=True)
class Task:
    """What every process of a run needs (picklable: sent to spawned helpers)."""

    book: Path
    chunk_rows: int
    banks: tuple[str, ...] | None
    folder: RunFolder
    decider: Decide
    select: ChunkFilter | None
    stop_after: int | None


class _Writer:
    """One background thread writing parts in order (at most one part waiting)."""

    def __init__(
        self,
        folder: RunFolder,
        done: Callable[[int, int], None],
        fail: Callable[[int, Exception], BaseException],
    ) -> None:
        self.folder, self.done, self.fail = folder, done, fail
        self.queue: queue.Queue[tuple[int, pd.DataFrame, float] | None] = queue.Queue(1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name="rerate-writer", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.folder.write_part(*item)
                    self.done(item[0], len(item[1]))
                except Exception as exc:  # re-raised in the deciding thread
                    self.error = self.fail(item[0], exc)
                except BaseException as exc:  # re-raised as is
                    self.error = exc

    def put(self, number: int, decisions: pd.DataFrame, seconds: float) -> None:
        self.check()
        self.queue.put((number, decisions, seconds))

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.check()


@contextlib.contextmanager
def _system_memory_pool() -> Iterator[None]:
    """Arrow allocates from the C library's malloc while chunks are processed (unless
    ``ARROW_DEFAULT_MEMORY_POOL`` says otherwise): with the default mimalloc pool, memory
    handed back between chunks is faulted in again for the next one — about 2 s of system
    CPU per million rows here, against 1 s with the system pool. Afterwards the free heap is
    handed back (``malloc_trim``), so a report built next in the same process starts small."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        yield
        return
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        pa.system_memory_pool().release_unused()  # malloc_trim: the heap back to the system


def work(
    task: Task,
    claims: Claims,
    account: Callable[[int, int], None],
    *,
    parent: int = 0,
    process: str = "the main process",
    kill_written: int | None = None,
) -> None:
    """Claim, read, decide and write chunks until none is left (every process runs this).

    Parameters
    ----------
    task : Task
        The run.
    claims : Claims
        This process's claims.
    account : callable
        Called with ``(chunk, rows)`` once a chunk's part is written.
    parent : int
        A helper's main process: when it is gone, stop (a restart redoes the rest).
    process : str
        This process, for error messages.
    kill_written : int, optional
        Test hook: SIGKILL this process right after writing its ``kill_written``-th part.
    """
    with _system_memory_pool():
        _claim_and_decide(task, claims, account, parent, process, kill_written)


def _claim_and_decide(
    task: Task,
    claims: Claims,
    account: Callable[[int, int], None],
    parent: int,
    process: str,
    kill_written: int | None,
) -> None:
    reader = ChunkReader(task.book, task.chunk_rows, banks=task.banks)
    written = [0]

    def rows_of(number: int) -> tuple[int, int]:
        first = number * task.chunk_rows
        return first, min(first + task.chunk_rows, reader.num_rows) - 1

    def fail(number: int, exc: Exception) -> RerateChunkError:
        return chunk_error(task.folder.run_id, number, rows_of(number), exc, process)

    def done(number: int, rows: int) -> None:
        written[0] += 1
        if written[0] == kill_written:
            die()  # the test hook: the part is written, nobody was told
        account(number, rows)
        if written[0] == task.stop_after:
            os.kill(os.getpid(), signal.SIGSTOP)

    writer = _Writer(task.folder, done, fail)
    try:
        while (number := claims.next()) is not None:
            if parent and os.getppid() != parent:
                break  # the run's main process died: stop, a restart redoes the rest
            try:
                rows = reader.read(number)
                if task.select is not None:
                    rows = task.select(rows)
                t = time.perf_counter()
                decisions = task.decider(rows) if len(rows) else pd.DataFrame()
            except Exception as exc:
                raise fail(number, exc) from exc
            writer.put(number, decisions, time.perf_counter() - t)
    finally:
        writer.close()
