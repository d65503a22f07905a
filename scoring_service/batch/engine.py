"""The pandas engine: decide a book chunk by chunk, each chunk written exactly once.

Memory is a couple of chunks per process (plus the model): every process reads the chunks it
decides straight from the book (:class:`~scoring_service.batch.book.ChunkReader`) and writes
each chunk's decisions to its own part file (:mod:`scoring_service.batch.ledger`) from a
writer thread, so reading and deciding the next chunk overlaps the parquet encoding and the
``fsync`` of the last one.

With ``workers=W`` the run is this process plus ``W - 1`` helper processes (forked on Linux,
spawned elsewhere). The chunks still
to do are cut into ``W`` contiguous runs, one per process, and each process takes its next
chunk from the front of its own run (one parquet stream, each row decoded once); a process
whose run is empty takes chunks from the back of the longest other run, so no core idles
while chunks remain. Claims live in shared memory; a chunk is done when its part exists, so a
kill at any point (of any process) loses at most the chunks in flight, which a restart
redoes.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from tqdm import tqdm

from scoring_service.batch.book import ChunkReader
from scoring_service.batch.decider import Decide
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import UsageError

__all__ = ["STOP_AFTER_ENV", "ChunkFilter", "RunStats", "decide_chunk", "run_pandas"]

#: Rows of a chunk to re-rate (the event triggers); the identity when re-rating everything.
ChunkFilter = Callable[[pd.DataFrame], pd.DataFrame]

#: How helpers start: forked on Linux (the imports and the loaded model come for free; the
#: helper only reads, decides and writes, with its own reader and writer thread), spawned
#: elsewhere.
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"

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
        number.
    """
    start = time.perf_counter()
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

    task = _Task(job.input, job.chunk_rows, job.banks, folder, decider, select, _stop_after())
    with bar:
        helpers = min(workers, len(pending)) - 1
        if helpers <= 0:
            _work(task, _Claims.local(pending), account)
        else:
            _with_helpers(task, pending, helpers, account)
    missing = sorted(set(pending) - folder.open())
    if missing:
        raise UsageError(
            f"Run {folder.run_id!r}: chunks {missing[:5]} were not written (a process died); "
            "restart it with the same run id to finish them.",
            field="run_id",
            chunks=missing[:20],
        )
    return RunStats(counts[0], len(done), counts[1], time.perf_counter() - start)


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


@dataclass(frozen=True)
class _Task:
    """What every process of a run needs (picklable: sent to the helpers)."""

    book: Path
    chunk_rows: int
    banks: tuple[str, ...] | None
    folder: RunFolder
    decider: Decide
    select: ChunkFilter | None
    stop_after: int | None


class _Claims:
    """Which process decides which chunk: ``W`` contiguous runs of the pending chunks.

    ``bounds[2 * w]`` and ``bounds[2 * w + 1]`` are the front and back (exclusive) of run
    ``w`` as indexes into ``pending``; a process takes from the front of its own run, then
    from the back of the longest other one. ``bounds`` is a shared array when there are
    helper processes; its lock makes each claim atomic.
    """

    def __init__(self, pending: Sequence[int], bounds: Any, lock: Any, me: int) -> None:
        self.pending, self.bounds, self.lock, self.me = pending, bounds, lock, me

    @staticmethod
    def shares(pending: Sequence[int], processes: int) -> list[int]:
        """Initial bounds: ``processes`` runs of (nearly) equal length."""
        cuts = [len(pending) * w // processes for w in range(processes + 1)]
        return [b for w in range(processes) for b in (cuts[w], cuts[w + 1])]

    @classmethod
    def local(cls, pending: Sequence[int]) -> _Claims:
        """Claims of a run without helpers (every chunk, in order)."""
        return cls(pending, [0, len(pending)], threading.Lock(), 0)

    def next(self) -> int | None:
        """The next chunk this process decides (``None``: nothing left)."""
        b, me = self.bounds, self.me
        with self.lock:
            if b[2 * me] < b[2 * me + 1]:
                b[2 * me] += 1
                return self.pending[b[2 * me] - 1]
            runs = len(b) // 2
            longest = max(range(runs), key=lambda w: b[2 * w + 1] - b[2 * w])
            if b[2 * longest] >= b[2 * longest + 1]:
                return None
            b[2 * longest + 1] -= 1
            return self.pending[b[2 * longest + 1]]


class _Writer:
    """One background thread writing parts in order (at most one part waiting)."""

    def __init__(self, folder: RunFolder, done: Callable[[int, int], None]) -> None:
        self.folder, self.done = folder, done
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
                except BaseException as exc:  # re-raised in the deciding thread
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


def _work(
    task: _Task, claims: _Claims, account: Callable[[int, int], None], *, parent: int = 0
) -> None:
    """Claim, read, decide and write chunks until none is left (every process runs this)."""
    with _system_memory_pool():
        _claim_and_decide(task, claims, account, parent)


def _claim_and_decide(
    task: _Task, claims: _Claims, account: Callable[[int, int], None], parent: int
) -> None:
    reader = ChunkReader(task.book, task.chunk_rows, banks=task.banks)
    written = [0]

    def done(number: int, rows: int) -> None:
        account(number, rows)
        written[0] += 1
        if written[0] == task.stop_after:
            os.kill(os.getpid(), signal.SIGSTOP)

    writer = _Writer(task.folder, done)
    try:
        while (number := claims.next()) is not None:
            if parent and os.getppid() != parent:
                break  # the run's main process died: stop, a restart redoes the rest
            rows = reader.read(number)
            if task.select is not None:
                rows = task.select(rows)
            t = time.perf_counter()
            decisions = task.decider(rows) if len(rows) else pd.DataFrame()
            writer.put(number, decisions, time.perf_counter() - t)
    finally:
        writer.close()


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (to cross to the main process), else a UsageError."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # any failure means: send a plain copy
        from scoring_service.exceptions import UsageError

        return UsageError(f"A helper process failed: {type(exc).__name__}: {exc}", field="workers")
    return exc


def _helper(task: _Task, claims: _Claims, results: Any, parent: int) -> None:
    """A helper process: :func:`_work`, reporting each written chunk (or its error)."""
    try:
        _work(task, claims, lambda n, r: results.put(("chunk", n, r)), parent=parent)
    except BaseException as exc:  # the main process raises it
        results.put(("error", _portable(exc), 0))
    finally:
        results.put(("exit", 0, 0))


class _Helpers:
    """The helper processes of a run, and the reports they send the main process."""

    def __init__(
        self,
        task: _Task,
        pending: Sequence[int],
        count: int,
        account: Callable[[int, int], None],
    ) -> None:
        ctx: Any = multiprocessing.get_context(_START_METHOD)
        self.bounds = ctx.Array("q", _Claims.shares(pending, count + 1), lock=True)
        self.results = ctx.Queue()
        self.account = account
        self.errors: list[BaseException] = []
        self.exited = 0
        self.mine: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        lock = self.bounds.get_lock()
        self.procs = [
            ctx.Process(
                target=_helper,
                args=(task, _Claims(pending, self.bounds, lock, w + 1), self.results, os.getpid()),
                name=f"rerate-helper-{w + 1}",
                daemon=True,
            )
            for w in range(count)
        ]
        for proc in self.procs:
            proc.start()
        self.claims = _Claims(pending, self.bounds, lock, 0)

    def drain(self, wait: float = 0.0) -> None:
        """Account the chunks written since the last call (this process's and the helpers')."""
        while not self.mine.empty():
            self.account(*self.mine.get())
        try:
            while True:
                kind, a, b = self.results.get(timeout=wait) if wait else self.results.get_nowait()
                wait = 0.0
                if kind == "chunk":
                    self.account(a, b)
                elif kind == "error":
                    self.errors.append(a)
                else:
                    self.exited += 1
        except queue.Empty:
            pass

    def stop(self) -> None:
        """No more claims: every process stops after its chunk in flight."""
        with self.bounds.get_lock():
            for w in range(len(self.bounds) // 2):
                self.bounds[2 * w] = self.bounds[2 * w + 1]

    def join(self) -> None:
        """Wait for every helper, accounting their last chunks; raise a helper's error."""
        while self.exited < len(self.procs):
            self.drain(wait=0.5)
            if self.exited < len(self.procs) and not any(p.is_alive() for p in self.procs):
                self.drain()
                break
        for proc in self.procs:
            proc.join()
        if self.errors:
            raise self.errors[0]


class _DrainingClaims(_Claims):
    """The main process's claims: each claim first accounts the chunks written meanwhile."""

    def __init__(self, helpers: _Helpers) -> None:
        c = helpers.claims
        super().__init__(c.pending, c.bounds, c.lock, c.me)
        self.helpers = helpers

    def next(self) -> int | None:
        self.helpers.drain()
        return super().next()


def _with_helpers(
    task: _Task, pending: Sequence[int], count: int, account: Callable[[int, int], None]
) -> None:
    """This process and ``count`` helper processes share ``pending`` (see :class:`_Claims`)."""
    helpers = _Helpers(task, pending, count, account)
    try:
        _work(task, _DrainingClaims(helpers), lambda n, r: helpers.mine.put((n, r)))
    except BaseException:
        helpers.stop()
        raise
    finally:
        helpers.join()
