"""Which process decides which chunk, whatever process dies (SIGKILL included) at any point.

The chunks still to do (``pending``) are cut into ``W`` contiguous runs, one per process;
each process takes its next chunk from the front of its own run, then from the back of the
longest other run. Two shared arrays hold the state:

* ``bounds[2 * w]``, ``bounds[2 * w + 1]``: front and back (exclusive) of run ``w``, as
  indexes into ``pending``; a chunk inside some run is unclaimed;
* ``owner[i]``: the process that claimed ``pending[i]`` (``-1``: never claimed).

A claim writes ``owner`` first, then moves the bound, under an exclusive lock on a file
(:class:`ClaimLock`, ``flock``): the kernel drops that lock when its holder dies, so a
process killed inside a claim never blocks the others. Killed between the two writes, its
chunk is still inside a run (unclaimed: the stale ``owner`` is overwritten by the next
claimer); killed later, the chunk is outside every run with ``owner`` naming the dead process.
Once the process is known dead (reaped), :meth:`Claims.adopt` hands the adopter exactly
those of its chunks whose part does not exist: each is redone once, by the adopter, and a
part the dead process finished is never redone.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["KILL_HELPER_ENV", "ClaimLock", "Claims", "kill_hook"]

#: Test hook: ``claim:N`` makes the first helper process SIGKILL itself while holding the
#: claims lock, right after claiming its ``N``-th chunk; ``written:N`` right after writing its
#: ``N``-th part, before telling the main process. The main process must finish the run.
KILL_HELPER_ENV = "NONGXIN_RERATE_KILL_HELPER"


def kill_hook() -> tuple[str, int] | None:
    """The :data:`KILL_HELPER_ENV` hook as ``(point, n)`` (``None`` when unset or malformed)."""
    point, _, n = os.environ.get(KILL_HELPER_ENV, "").partition(":")
    if point not in ("claim", "written") or not n.isdigit():
        return None
    sys.stderr.write(
        f"warning: {KILL_HELPER_ENV}={point}:{n} is set: a helper process of this re-rating "
        "kills itself (a test hook; unset it for real runs).\n"
    )
    sys.stderr.flush()
    return point, int(n)


def die() -> None:
    """SIGKILL this process (the :data:`KILL_HELPER_ENV` hook)."""
    os.kill(os.getpid(), signal.SIGKILL)


class ClaimLock:
    """An exclusive lock every process of a run takes on one file (``fcntl.flock``).

    Each process opens the file itself, on first use: a forked child would otherwise share
    its parent's open file description, and ``flock`` does not exclude a sharer. The kernel
    releases the lock when the holder's descriptor closes, i.e. when the holder dies. Where
    ``fcntl`` is missing (Windows), a lock of the ``spawn`` context stands in (a helper
    killed while holding it would block the others there).

    Parameters
    ----------
    path : Path
        The lock file (created when missing; its content is never used).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._pid = 0
        self._fallback: Any = None
        if sys.platform == "win32":  # pragma: no cover - no flock there
            import multiprocessing

            self._fallback = multiprocessing.get_context("spawn").Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_fd": -1, "_pid": 0, "_fallback": self._fallback}

    def __enter__(self) -> None:
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.acquire()
            return
        import fcntl

        if self._pid != os.getpid():  # first use in this process (maybe a fork)
            if self._fd >= 0:
                os.close(self._fd)  # the parent's description: never hold on to it
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        """Close this process's descriptor (the lock must not be held)."""
        if self._fd >= 0 and self._pid == os.getpid():
            os.close(self._fd)
        self._fd, self._pid = -1, 0

    def __exit__(self, *exc: object) -> None:
        if self._fallback is not None:  # pragma: no cover - Windows
            self._fallback.release()
            return
        import fcntl

        fcntl.flock(self._fd, fcntl.LOCK_UN)


class Claims:
    """One process's view of the claims of a run (see the module docstring).

    Parameters
    ----------
    pending : sequence of int
        Chunk numbers still to do, in book order.
    bounds, owner : mutable sequence of int
        The shared arrays (plain lists for a run without helpers).
    lock : context manager
        Makes each claim atomic (:class:`ClaimLock` across processes).
    me : int
        This process's run (0: the main process).
    kill_at : int, optional
        Test hook: SIGKILL this process inside its ``kill_at``-th claim, lock held.
    """

    def __init__(
        self,
        pending: Sequence[int],
        bounds: Any,
        owner: Any,
        lock: Any,
        me: int,
        *,
        kill_at: int | None = None,
    ) -> None:
        self.pending, self.bounds, self.owner, self.lock, self.me = (
            pending,
            bounds,
            owner,
            lock,
            me,
        )
        self.kill_at = kill_at
        self.claimed = 0

    @staticmethod
    def shares(pending: Sequence[int], processes: int) -> list[int]:
        """Initial bounds: ``processes`` runs of (nearly) equal length."""
        cuts = [len(pending) * w // processes for w in range(processes + 1)]
        return [b for w in range(processes) for b in (cuts[w], cuts[w + 1])]

    @classmethod
    def local(cls, pending: Sequence[int]) -> Claims:
        """Claims of a run without helpers (every chunk, in order)."""
        import threading

        return cls(pending, [0, len(pending)], [-1] * len(pending), threading.Lock(), 0)

    def next(self) -> int | None:
        """The next chunk this process decides (``None``: nothing left)."""
        with self.lock:
            index = self._take()
            if index is None:
                return None
            self.claimed += 1
            if self.claimed == self.kill_at:
                die()  # the test hook: killed holding the lock, the chunk claimed
            return self.pending[index]

    def _take(self) -> int | None:
        b, me = self.bounds, self.me
        if b[2 * me] < b[2 * me + 1]:
            index = int(b[2 * me])
            self.owner[index] = me  # owner first: killed before the bound moves, still unclaimed
            b[2 * me] = index + 1
            return index
        runs = len(b) // 2
        longest = max(range(runs), key=lambda w: b[2 * w + 1] - b[2 * w])
        if b[2 * longest] >= b[2 * longest + 1]:
            return None
        index = int(b[2 * longest + 1]) - 1
        self.owner[index] = me
        b[2 * longest + 1] = index
        return index

    def adopt(self, dead: int, done: Callable[[int], bool]) -> list[int]:
        """Take over the chunks process ``dead`` claimed and did not write (call only once it
        is reaped): they become this process's, in book order."""
        b = self.bounds
        with self.lock:
            runs = [(b[2 * w], b[2 * w + 1]) for w in range(len(b) // 2)]
            mine = [
                i
                for i in range(len(self.pending))
                if self.owner[i] == dead
                and not any(front <= i < back for front, back in runs)
                and not done(self.pending[i])
            ]
            for i in mine:
                self.owner[i] = self.me
        return [self.pending[i] for i in mine]

    def claimed_by(self, process: int) -> list[int]:
        """Chunks ``process`` claimed (outside every run, ``owner`` naming it), in book order."""
        b = self.bounds
        with self.lock:
            runs = [(b[2 * w], b[2 * w + 1]) for w in range(len(b) // 2)]
            return [
                self.pending[i]
                for i in range(len(self.pending))
                if self.owner[i] == process and not any(f <= i < e for f, e in runs)
            ]

    def stop_all(self) -> None:
        """No process claims another chunk (each finishes the one it is deciding)."""
        b = self.bounds
        with self.lock:
            for w in range(len(b) // 2):
                b[2 * w] = b[2 * w + 1]
