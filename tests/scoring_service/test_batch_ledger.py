"""The pandas engine's ledger: whatever chunk a run dies on, the resumed output is exactly once.

A unit test of the engine + ledger layer with a stand-in per-frame function (no model).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring_service.batch.book import iter_chunks
from scoring_service.batch.decider import Decide
from scoring_service.batch.engine import RerateChunkError, run_pandas
from scoring_service.batch.job import RerateJob
from scoring_service.batch.ledger import RunFolder, latest_complete_run
from scoring_service.batch.testing import fake_book
from scoring_service.exceptions import UsageError


class Crash(Exception):
    """Stands in for the process dying mid-run."""


def _decider(crash_at: int | None) -> Decide:
    calls = {"n": 0}

    def decide(frame: pd.DataFrame) -> pd.DataFrame:
        if crash_at is not None and calls["n"] == crash_at:
            raise Crash
        calls["n"] += 1
        return frame[["household_id", "bank_code"]].assign(grade="A")

    return decide


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.integers(1, 60), chunk=st.integers(1, 25), crash=st.integers(0, 10), bank=st.booleans()
)
def test_resume_after_a_crash_at_any_chunk_is_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, rows: int, chunk: int, crash: int, bank: bool
) -> None:
    tmp = tmp_path_factory.mktemp("ledger")
    book = fake_book(tmp / "book.parquet", rows)
    job = RerateJob(book, ("301",) if bank else None, chunk)
    folder = RunFolder(tmp / "runs", "r")
    with contextlib.suppress(RerateChunkError):  # the Crash, naming its chunk
        run_pandas(job, folder, _decider(crash), progress=False)
    stats = run_pandas(job, folder, _decider(None), progress=False)
    got = folder.read_decisions()
    expected = pd.read_parquet(book)
    if bank:
        expected = expected[expected["bank_code"] == "301"]
    assert sorted(got["household_id"]) == sorted(expected["household_id"])
    assert got["household_id"].is_unique
    assert stats.chunks_written + stats.chunks_skipped == -(-rows // chunk)


def test_chunks_are_fixed_slices_of_the_book_whatever_the_bank_selection(tmp_path: Path) -> None:
    book = fake_book(tmp_path / "book.parquet", 20)
    every = {n: list(c["household_id"]) for n, c in iter_chunks(book, 6)}
    only = {n: list(c["household_id"]) for n, c in iter_chunks(book, 6, banks=["301"])}
    assert list(every) == list(only) == [0, 1, 2, 3]
    assert every[1] == [f"H{i:08d}" for i in range(6, 12)]
    assert only[1] == ["H00000006", "H00000009"]


def test_latest_complete_run_ignores_running_ones(tmp_path: Path) -> None:
    for run_id, status, at in (
        ("a", "complete", "1"),
        ("b", "complete", "2"),
        ("c", "running", "3"),
    ):
        RunFolder(tmp_path, run_id).write_manifest({"status": status, "finished_at": at})
    assert latest_complete_run(tmp_path) == "b"
    assert latest_complete_run(tmp_path, exclude="b") == "a"


def test_unknown_run_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"No re-rating run 'nope' in"):
        RunFolder(tmp_path, "nope").read_manifest()


def test_a_part_whose_ledger_line_was_lost_gets_it_back(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path, "r")
    frame = pd.DataFrame({"household_id": ["H1", "H2"], "grade": ["A", "B"]})
    assert folder.open() == set()
    for chunk in range(3):
        folder.write_part(chunk, frame.iloc[: chunk % 2 + 1], 0.1)
    lines = folder.ledger_path.read_text().splitlines()
    # killed after the rename of part 2 and during the append of its line
    folder.ledger_path.write_text("\n".join(lines[:2]) + "\n" + lines[2][:9])
    assert folder.ledger_chunks() == [0, 1]
    assert folder.open() == {0, 1, 2}
    assert folder.ledger_chunks() == [0, 1, 2]
    last = json.loads(folder.ledger_path.read_text().splitlines()[-1])
    assert last == {"chunk": 2, "rows": 1, "seconds": None, "recovered": True}
    folder.open()
    assert folder.ledger_chunks() == [0, 1, 2]  # once


def test_a_run_held_by_another_invocation_is_waited_for_then_refused(tmp_path: Path) -> None:
    import fcntl
    import os
    import threading
    import time

    folder = RunFolder(tmp_path, "r")
    folder.open()
    other = os.open(folder.root / ".run.lock", os.O_RDWR | os.O_CREAT)  # another hold
    fcntl.flock(other, fcntl.LOCK_EX)
    with (
        pytest.raises(UsageError, match=r"Run 'r' is being run by another process .* after 0.3 s"),
        folder.exclusive(wait=0.3),
    ):
        pass
    threading.Timer(0.3, os.close, args=(other,)).start()  # it ends
    start = time.monotonic()
    with folder.exclusive(wait=10):
        assert time.monotonic() - start >= 0.25  # waited for it
