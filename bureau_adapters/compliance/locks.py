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

_BYTES = 1 << 20
#: Built once; released by the end of the transaction that took it.
_PG_LOCK = sa.select(
    sa.func.pg_advisory_xact_lock(sa.bindparam("number", type_=sa.BigInteger))
)  # byte offsets of the lock file: a collision only serialises two keys


def lock_number(bank_code: str, bureau: str, product: str | None, subject_key: str) -> int:
    """A signed 64-bit number naming the lock of one subject, product and bank."""
    text = "\x1f".join((bank_code, bureau, product or "", subject_key)).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big", signed=True)


class _LockFile:
    """The one descriptor of a lock file in this process, and who uses which byte.

    POSIX record locks belong to the process, not to a descriptor or a thread: closing *any*
    descriptor of the file drops every lock the process holds on it, and a second ``lockf``
    by another thread on a byte the process already holds succeeds at once. So each lock file
    is opened once per process, closed only when no :class:`FileLocks` uses it and no byte is
    held, and the threads of the process queue on a thread lock per byte before ``lockf``.
    """

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.users = 0
        self.bytes: dict[int, tuple[threading.Lock, int]] = {}  # byte -> (queue, waiting+held)


_FILES: dict[str, _LockFile] = {}
_FILES_GUARD = threading.Lock()


def _attach(key: str, path: Path) -> None:
    with _FILES_GUARD:
        found = _FILES.get(key)
        if found is None:
            found = _FILES[key] = _LockFile(path)
        found.users += 1


def _detach(key: str) -> None:
    with _FILES_GUARD:
        found = _FILES[key]
        found.users -= 1
        if found.users == 0 and not found.bytes:
            del _FILES[key]
            os.close(found.fd)


class FileLocks:
    """Byte-range locks on one file, for every thread of the process (see :class:`_LockFile`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key = os.path.realpath(path)
        _attach(self._key, path)
        weakref.finalize(self, _detach, self._key)

    @contextmanager
    def hold(self, number: int) -> Iterator[None]:
        """Hold the lock of ``number`` (blocks while another thread or process holds it)."""
        offset = number % _BYTES
        with _FILES_GUARD:
            file = _FILES[self._key]
            queue, users = file.bytes.get(offset, (threading.Lock(), 0))
            file.bytes[offset] = (queue, users + 1)
        try:
            with queue:  # one holder per byte in this process, then the other processes
                fcntl.lockf(file.fd, fcntl.LOCK_EX, 1, offset)
                try:
                    yield
                finally:
                    fcntl.lockf(file.fd, fcntl.LOCK_UN, 1, offset)
        finally:
            with _FILES_GUARD:
                queue, users = file.bytes[offset]
                if users == 1:
                    del file.bytes[offset]
                else:
                    file.bytes[offset] = (queue, users - 1)


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
            connection.execute(_PG_LOCK, {"number": number})
        yield connection
