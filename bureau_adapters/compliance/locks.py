"""Cross-process serialisation of first queries: one billable query per subject and product.

Two workers (or two hosts) that rate the same household at the same bank at the same moment
would both miss the report store and both send a billable query. :func:`query_lock` holds a
lock per ``(bank, bureau, product, subject key)`` around "look in the store again → fetch →
store", so the second one waits and then reuses the first one's answer:

* **PostgreSQL** — a transaction-scoped advisory lock (``pg_advisory_xact_lock``) on the
  connection whose transaction also stores the answer and its audit row; it is released by
  that commit (or rollback), so it can never be left behind;
* **SQLite on a file** — a POSIX byte-range lock (``fcntl.lockf``) on one byte of
  ``<database>.querylock`` chosen by the key. It serialises the processes sharing the
  database file like SQLite's own write lock does, but per key, so other writers (decisions,
  audit rows of other subjects) are not held up while a bureau answers;
* **in-memory SQLite and other databases** — one process only: the gate's thread lock is
  enough (other back ends: no cross-process lock; documented).

>>> lock_number("301", "pboc", None, "k" * 64) == lock_number("301", "pboc", None, "k" * 64)
True
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["FileLocks", "lock_number", "query_lock"]

_BYTES = 1 << 20  # byte offsets of the lock file: a collision only serialises two keys


def lock_number(bank_code: str, bureau: str, product: str | None, subject_key: str) -> int:
    """A signed 64-bit number naming the lock of one subject, product and bank."""
    text = "\x1f".join((bank_code, bureau, product or "", subject_key)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big", signed=True)


class FileLocks:
    """Byte-range locks on one file, shared by the threads of a process (thread lock first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def _descriptor(self) -> int:
        with self._guard:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                weakref.finalize(self, os.close, self._fd)  # closed with its gate
            return self._fd

    @contextmanager
    def hold(self, number: int) -> Iterator[None]:
        """Hold the lock of ``number`` (blocks while another process holds it)."""
        fd = self._descriptor()
        offset = number % _BYTES
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, offset)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


def sqlite_lock_file(engine: Engine) -> Path | None:
    """``<database>.querylock`` of a SQLite file database, else ``None``."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(f"{url.database}.querylock")


@contextmanager
def query_lock(
    connection: sa.Connection, files: FileLocks | None, number: int
) -> Iterator[sa.Connection]:
    """Begin a transaction on ``connection`` that holds the cross-process lock ``number``
    until it has committed (or rolled back): whoever waits sees its rows."""
    if files is not None:  # SQLite file: the lock is taken before BEGIN, released after COMMIT
        with files.hold(number), connection.begin():
            yield connection
        return
    with connection.begin():
        if connection.dialect.name == "postgresql":  # released by this transaction's end
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(number)))
        yield connection
