"""The helper processes of a pandas run, and how the main process survives them.

With ``workers=W`` the run is this process plus ``W - 1`` helpers (forked on Linux: the
imports and the loaded model come for free; spawned elsewhere), sharing the pending chunks
through :mod:`scoring_service.batch.claims`. Each helper reports on its own pipe (no lock
shared between helpers: a helper killed mid-report cannot block another); the main process
reads them between its own chunks and:

* **a helper dies** (SIGKILL, OOM killer, a crash): once reaped, the chunks it claimed and
  did not write are adopted by the main process and redone there, exactly once; parts it
  wrote are kept (and counted) even when it died before saying so;
* **a helper fails** (an exception on a chunk): it stops every process's claims at once and
  sends its :class:`~scoring_service.batch.worker.RerateChunkError`; the main process raises
  it at its next claim, after which every process finishes only the chunk in hand;
* **the main process dies**: each helper stops after its chunk in hand.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import sys
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from scoring_service.batch.claims import ClaimLock, Claims, kill_hook
from scoring_service.batch.worker import Task, work

__all__ = ["with_helpers"]

_log = logging.getLogger(__name__)

#: forked on Linux (imports and the loaded model for free), spawned elsewhere
_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (to cross to the main process), else a UsageError."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # any failure means: send a plain copy
        from scoring_service.exceptions import UsageError

        return UsageError(f"A helper process failed: {type(exc).__name__}: {exc}", field="workers")
    return exc


def _helper(
    task: Task, claims: Claims, conn: Connection, parent: int, kill_written: int | None
) -> None:
    """A helper process: :func:`work`, reporting each written chunk (or its error) on
    ``conn`` (only one thread sends at a time: the writer thread is joined before the
    error or exit message)."""
    try:
        work(
            task,
            claims,
            lambda n, r: conn.send(("chunk", n, r)),
            parent=parent,
            process=f"helper process {claims.me}",
            kill_written=kill_written,
        )
    except BaseException as exc:  # the main process raises it
        claims.stop_all()  # nobody starts another chunk
        with contextlib.suppress(OSError):  # the main process is gone
            conn.send(("error", _portable(exc), 0))
    finally:
        with contextlib.suppress(OSError):
            conn.send(("exit", 0, 0))
        conn.close()


class _Helpers:
    """The helper processes of a run, what they reported, and the chunks of dead ones."""

    def __init__(
        self, task: Task, pending: Sequence[int], count: int, account: Callable[[int, int], None]
    ) -> None:
        ctx: Any = multiprocessing.get_context(_START_METHOD)
        self.folder = task.folder
        self.lock = ClaimLock(task.folder.root / ".claims.lock")
        bounds = ctx.RawArray("q", Claims.shares(pending, count + 1))
        owner = ctx.RawArray("q", [-1] * len(pending))
        hook = kill_hook()
        self.account = account
        self.accounted: set[int] = set()
        self.errors: list[BaseException] = []
        self.orphans: list[int] = []
        self.redone: list[int] = []
        self.mine: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self.procs: list[Any] = []
        self.conns: list[Connection] = []
        self.said_exit: set[int] = set()
        self.reaped: set[int] = set()
        for w in range(1, count + 1):
            first = hook if w == 1 else None
            claims = Claims(
                pending,
                bounds,
                owner,
                self.lock,
                w,
                kill_at=first[1] if first and first[0] == "claim" else None,
            )
            written = first[1] if first and first[0] == "written" else None
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(
                target=_helper,
                args=(task, claims, send, os.getpid(), written),
                name=f"rerate-helper-{w}",
                daemon=True,
            )
            proc.start()
            send.close()  # the helper holds the only write end: its death closes the pipe
            self.procs.append(proc)
            self.conns.append(receive)
        self.claims = Claims(pending, bounds, owner, self.lock, 0)

    def _count(self, number: int, rows: int) -> None:
        if number not in self.accounted:
            self.accounted.add(number)
            self.account(number, rows)

    def _read(self, w: int) -> None:
        """Every message helper ``w`` has sent so far (never blocks)."""
        conn = self.conns[w - 1]
        try:
            while conn.poll():
                kind, a, b = conn.recv()
                if kind == "chunk":
                    self._count(a, b)
                elif kind == "error":
                    self.errors.append(a)
                else:
                    self.said_exit.add(w)
        except (EOFError, OSError):
            pass  # the helper is gone; what it wrote is on disk

    def poll(self, wait_seconds: float = 0.0) -> None:
        """Account what was written (here and in the helpers), collect helper errors, and
        adopt the unwritten chunks of helpers that died; wait up to ``wait_seconds`` for news
        first."""
        live = [w for w in range(1, len(self.procs) + 1) if w not in self.reaped]
        if wait_seconds and live:
            wait(
                [self.conns[w - 1] for w in live] + [self.procs[w - 1].sentinel for w in live],
                timeout=wait_seconds,
            )
        while not self.mine.empty():
            self._count(*self.mine.get())
        for w in live:
            self._read(w)
            if not self.procs[w - 1].is_alive():
                self._read(w)  # anything sent just before it exited
                self.reaped.add(w)
                if w not in self.said_exit:
                    self._adopt(w)

    def _adopt(self, w: int) -> None:
        """Helper ``w`` died without a word: count the parts it wrote, redo the others here."""
        proc = self.procs[w - 1]
        for number in self.claims.claimed_by(w):
            rows = self.folder.part_rows(number)
            if rows is not None:
                self._count(number, rows)
        adopted = self.claims.adopt(w, lambda n: self.folder.part_rows(n) is not None)
        self.orphans.extend(adopted)
        self.redone.extend(adopted)
        _log.warning(
            "re-rating run %s: helper process %d (pid %s) died (exit code %s); "
            "the main process redoes the chunks it had not written: %s",
            self.folder.run_id,
            w,
            proc.pid,
            proc.exitcode,
            adopted,
        )

    def running(self) -> bool:
        """Whether some helper is not reaped yet."""
        return len(self.reaped) < len(self.procs)

    def stop(self) -> None:
        """No more claims: every process stops after its chunk in flight."""
        self.claims.stop_all()

    def join(self) -> None:
        """Wait for every helper (each finishes its chunk in hand), accounting their parts."""
        while self.running():
            self.poll(wait_seconds=0.5)
        self.poll()  # the main process's last parts
        for proc in self.procs:
            proc.join()
        for conn in self.conns:
            conn.close()
        self.lock.close()
        with contextlib.suppress(FileNotFoundError):
            self.lock.path.unlink()  # every process of the run is gone


class _MainClaims(Claims):
    """The main process's claims: before each claim, account the chunks written meanwhile,
    raise a helper's error, and take the adopted chunks of dead helpers first; with nothing
    left to claim, wait for the helpers (one may still die and leave chunks to redo)."""

    def __init__(self, helpers: _Helpers) -> None:
        c = helpers.claims
        super().__init__(c.pending, c.bounds, c.owner, c.lock, c.me)
        self.helpers = helpers

    def next(self) -> int | None:
        h = self.helpers
        while True:
            h.poll()
            if h.errors:
                h.stop()
                raise h.errors[0]
            if h.orphans:
                return h.orphans.pop(0)
            number = super().next()
            if number is not None or not h.running():
                return number
            h.poll(wait_seconds=0.5)


def with_helpers(
    task: Task, pending: Sequence[int], count: int, account: Callable[[int, int], None]
) -> list[int]:
    """This process and ``count`` helper processes decide ``pending`` (see the module
    docstring); the chunks redone here for helpers that died."""
    helpers = _Helpers(task, pending, count, account)
    try:
        work(task, _MainClaims(helpers), lambda n, r: helpers.mine.put((n, r)))
    except BaseException:
        helpers.stop()
        raise
    finally:
        helpers.join()
    return helpers.redone
