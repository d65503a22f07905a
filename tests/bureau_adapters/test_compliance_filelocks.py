"""The SQLite lock file's byte locks: POSIX record locks belong to the process, so a second
``FileLocks`` on the same file being collected must not release a held lock, and two threads
of one process must queue for the same byte (``lockf`` alone lets the second one through)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from bureau_adapters.compliance.locks import _BYTES, _FILES, FileLocks

NUMBER = 12_345


def _other_process_gets(path: Path, offset: int) -> bool:
    """Whether another process can take the byte at once (without waiting)."""
    code = textwrap.dedent(
        f"""
        import fcntl, os, sys
        fd = os.open({str(path)!r}, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, {offset})
        except OSError:
            sys.exit(1)
        sys.exit(0)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode in (0, 1)
    return done.returncode == 0


def test_a_held_lock_survives_another_filelocks_of_the_same_file_being_collected(
    tmp_path: Path,
) -> None:
    path = tmp_path / "db.sqlite.querylock"
    holder = FileLocks(path)
    other = FileLocks(path)
    with other.hold(NUMBER + 1):  # the other one has used the file too
        pass
    with holder.hold(NUMBER):
        del other
        gc.collect()
        assert not _other_process_gets(path, NUMBER % _BYTES)
    assert _other_process_gets(path, NUMBER % _BYTES)


def test_two_threads_of_one_process_queue_for_the_same_byte(tmp_path: Path) -> None:
    locks = FileLocks(tmp_path / "db.sqlite.querylock")
    events: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with locks.hold(NUMBER):
            events.append("first in")
            first_in.set()
            time.sleep(0.3)
            events.append("first out")

    def second() -> None:
        first_in.wait(30)
        with locks.hold(NUMBER + _BYTES):  # another key on the same byte
            events.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert events == ["first in", "first out", "second in"]


def test_the_descriptor_is_closed_once_no_filelocks_uses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite.querylock"
    locks = FileLocks(path)
    key = locks._key
    with locks.hold(NUMBER):
        assert key in _FILES
    del locks
    gc.collect()
    assert key not in _FILES
