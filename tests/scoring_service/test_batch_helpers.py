"""The pandas engine's helper processes dying or failing: the run never hangs, loses no chunk
and writes none twice.

Real forked helper processes on a small fake book with a stand-in per-frame function (no
model): a helper SIGKILLs itself at a fixed point through the engine's test hook
(``NONGXIN_RERATE_KILL_HELPER``), or its decider raises on a fixed chunk.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from scoring_service.batch.claims import KILL_HELPER_ENV
from scoring_service.batch.engine import RerateChunkError, run_pandas
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder
from scoring_service.batch.testing import fake_book

ROWS, CHUNK = 80, 2  # 40 chunks: the main process's run is 0-19, the helper's 20-39


class Crash(Exception):
    """A decider failing on one chunk."""


class StandIn:
    """Grade "A" for everyone; the main process takes ``main_pause`` s per chunk (so the
    helper works through the front of its own run), a helper ``helper_pause`` s; raises on
    the chunk holding ``fail_on`` (a household id) in a helper process."""

    def __init__(
        self,
        main_pause: float,
        fail_on: str | None = None,
        helper_pause: float = 0.0,
        main_waits_for: threading.Event | None = None,
    ) -> None:
        self.main, self.pause, self.fail_on = os.getpid(), main_pause, fail_on
        self.helper_pause = helper_pause
        self.main_waits_for = main_waits_for

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        in_main = os.getpid() == self.main
        if not in_main and self.fail_on is not None and self.fail_on in set(frame["household_id"]):
            raise Crash(f"no grade for {self.fail_on}")
        if in_main and self.main_waits_for is not None:
            self.main_waits_for.wait(timeout=30)
        time.sleep(self.pause if in_main else self.helper_pause)
        return frame[["household_id", "bank_code"]].assign(grade="A")


def _assert_exactly_once(folder: RunFolder, book: Path) -> None:
    got = folder.read_decisions()
    assert got["household_id"].is_unique
    assert sorted(got["household_id"]) == sorted(pd.read_parquet(book)["household_id"])
    assert sorted(folder.ledger_chunks()) == list(range(ROWS // CHUNK))  # no part written twice
    assert not list(folder.decisions.glob("*.tmp"))


@pytest.mark.parametrize(
    ("hook", "surely_redone", "not_redone"),
    [
        # killed inside its 3rd claim, holding the claims lock: chunk 22 claimed, never written
        ("claim:3", {22}, set()),
        # killed right after writing its 2nd part (chunk 21), before telling anyone
        ("written:2", set(), {20, 21}),
    ],
)
def test_a_sigkilled_helper_chunks_are_redone_once_by_the_main_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hook: str,
    surely_redone: set[int],
    not_redone: set[int],
) -> None:
    book = fake_book(tmp_path / "book.parquet", ROWS)
    folder = RunFolder(tmp_path / "runs", "r")
    monkeypatch.setenv(KILL_HELPER_ENV, hook)
    start = time.perf_counter()
    stats = run_pandas(
        RerateJob(book, None, CHUNK), folder, StandIn(0.02), progress=False, workers=2
    )
    assert time.perf_counter() - start < 30  # never waits on the dead helper
    assert surely_redone <= set(stats.redone)
    assert not set(stats.redone) & not_redone
    assert set(stats.redone) <= set(range(20, 40))  # only the helper's chunks
    assert stats.chunks_written == ROWS // CHUNK  # the unreported part counted too
    assert stats.rows_decided == ROWS
    _assert_exactly_once(folder, book)
    assert multiprocessing.active_children() == []
    assert not (folder.root / ".claims.lock").exists()


def test_a_helper_sigkilled_from_outside_mid_chunk(tmp_path: Path) -> None:
    """The test kills the helper (as the OOM killer would) once its first part is on disk,
    while it decides its next chunk: the main process redoes that chunk, nothing twice."""
    book = fake_book(tmp_path / "book.parquet", ROWS)
    folder = RunFolder(tmp_path / "runs", "r")
    killed: list[int] = []

    me = psutil.Process()

    def helpers() -> list[psutil.Process]:
        # forked from this process, so the same command line: not an exec'd child such as
        # multiprocessing's resource tracker or the JVM of another test's Spark session
        found = []
        for child in me.children():
            with contextlib.suppress(psutil.Error):
                if child.cmdline() == me.cmdline():
                    found.append(child)
        return found

    done = threading.Event()  # the main process decides nothing before the kill, so the
    # helper always has chunks of its own left, whatever the machine's load

    def kill_the_helper() -> None:
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline and not killed:
                if list(folder.decisions.glob("part-00002*")) and (helper := helpers()):  # 20-29
                    time.sleep(0.05)  # well inside its next chunk (claimed at once, 0.3 s long)
                    helper[0].send_signal(signal.SIGKILL)
                    killed.append(helper[0].pid)
                time.sleep(0.005)
        finally:
            done.set()

    killer = threading.Thread(target=kill_the_helper)
    killer.start()
    decider = StandIn(0.02, helper_pause=0.3, main_waits_for=done)
    stats = run_pandas(RerateJob(book, None, CHUNK), folder, decider, progress=False, workers=2)
    killer.join()
    assert killed  # the kill landed mid-run (the helper needs 0.3 s a chunk)
    assert stats.redone  # the chunk it was deciding
    assert set(stats.redone) <= set(range(21, 40))
    _assert_exactly_once(folder, book)


def test_a_failing_helper_stops_the_run_at_once_naming_its_chunk(tmp_path: Path) -> None:
    book = fake_book(tmp_path / "book.parquet", ROWS)
    folder = RunFolder(tmp_path / "runs", "r")
    job = RerateJob(book, None, CHUNK)
    # the helper's first chunk (20, rows 40-41) fails; the main process needs 0.3 s a chunk
    with pytest.raises(
        RerateChunkError,
        match=r"^Run 'r' stopped: chunk 20 \(book rows 40-41\) failed in helper process 1: "
        r"Crash: no grade for H00000040\. The chunk's part was not written",
    ) as caught:
        run_pandas(job, folder, StandIn(0.3, fail_on="H00000040"), progress=False, workers=2)
    assert caught.value.code == "RERATE_CHUNK"
    assert caught.value.fields["chunk"] == 20
    assert caught.value.fields["cause"] == "Crash"
    written = sorted(folder.open())
    # stopped within the main process's chunk in hand, not after the other 39 chunks
    assert len(written) <= 3
    assert 20 not in written
    assert sorted(folder.ledger_chunks()) == written  # the ledger says what is done
    assert multiprocessing.active_children() == []
    stats = run_pandas(job, folder, StandIn(0.0), progress=False, workers=2)  # the resume
    assert stats.chunks_skipped == len(written)
    _assert_exactly_once(folder, book)


def _run_then_hang(book: Path, folder: RunFolder) -> None:
    run_pandas(
        RerateJob(book, None, CHUNK), folder, StandIn(0.05, helper_pause=0.5), progress=False,
        workers=2,
    )  # fmt: skip


def test_a_restart_waits_for_the_helpers_of_a_killed_run(tmp_path: Path) -> None:
    """The main process is SIGKILLed while its helper decides a chunk (0.5 s); restarted at
    once, the run waits for that helper (which stops after its chunk in hand) instead of
    deciding the same chunk beside it: one ledger line per chunk, every household once."""
    book = fake_book(tmp_path / "book.parquet", ROWS)
    folder = RunFolder(tmp_path / "runs", "r")
    first = multiprocessing.get_context("fork").Process(target=_run_then_hang, args=(book, folder))
    first.start()
    deadline = time.monotonic() + 20
    while len(list(folder.decisions.glob("part-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    first.join()
    stats = run_pandas(RerateJob(book, None, CHUNK), folder, StandIn(0.0), progress=False)
    assert stats.chunks_skipped >= 3
    _assert_exactly_once(folder, book)
