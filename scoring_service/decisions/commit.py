"""Group commit: the decisions of concurrent requests share one durable commit.

A durable commit waits for the disk (SQLite in WAL mode with ``synchronous=FULL``: one fsync
of the log, about 4 ms on the development machine; PostgreSQL: one WAL flush). One commit per
request holds the database's write lock for that long each time, so at a few hundred
requests per second the lock, not the CPU, sets the latency. Here the first caller to find no
commit in progress becomes the leader: it inserts its rows and those of every caller queued
behind it in one transaction and commits once; the others wait. Every caller returns only
after its own rows are committed, so "stored before the answer is sent" still holds and
durability is unchanged (nothing is acknowledged before the disk has it).

If a grouped transaction fails, nothing of it is written and the leader retries each caller's
rows in a transaction of their own, so a bad row fails its own request only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GroupCommit"]

#: Writes a list of rows in one transaction (raises on failure, writing nothing).
Write = Callable[[list[dict[str, Any]]], None]


@dataclass
class _Ticket:
    rows: Sequence[dict[str, Any]]
    done: bool = False
    error: BaseException | None = None


@dataclass
class GroupCommit:
    """Commit the rows of concurrent :meth:`write` calls together (leader/follower).

    Parameters
    ----------
    write : callable
        Writes rows in one transaction and commits it.
    """

    write: Write
    _queue: list[_Ticket] = field(default_factory=list)
    _busy: bool = False
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, rows: Sequence[dict[str, Any]]) -> None:
        """Write ``rows`` durably (alone or with others'); raise if they were not written."""
        ticket = _Ticket(rows)
        with self._cond:
            self._queue.append(ticket)
            while not ticket.done and self._busy:
                self._cond.wait()
            if ticket.done:
                if ticket.error is not None:
                    raise ticket.error
                return
            self._busy = True
            batch, self._queue = self._queue, []
        try:
            self._commit(batch)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
        if ticket.error is not None:
            raise ticket.error

    def _commit(self, batch: list[_Ticket]) -> None:
        try:
            try:
                self.write([row for ticket in batch for row in ticket.rows])
            except Exception as exc:
                if len(batch) == 1:
                    batch[0].error = exc
                else:  # find the culprit(s): each caller's rows on their own
                    for ticket in batch:
                        try:
                            self.write(list(ticket.rows))
                        except Exception as own:
                            ticket.error = own
        except BaseException as exc:  # interrupted: no caller of the batch may think it saved
            for ticket in batch:
                if ticket.error is None:
                    ticket.error = exc
            raise
        finally:
            with self._cond:
                for ticket in batch:
                    ticket.done = True
