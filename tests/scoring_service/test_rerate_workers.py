"""The pandas engine's processes: how chunks are shared, and errors in a helper process."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring_service.batch import RerateJob, RunFolder, load_policies, run_job
from scoring_service.batch.champions import model_file
from scoring_service.batch.engine import _Claims
from scoring_service.exceptions import UsageError

REPO = Path(__file__).resolve().parents[2]


@given(
    pending=st.lists(st.integers(0, 500), unique=True, max_size=60).map(sorted),
    processes=st.integers(1, 4),
    turns=st.lists(st.integers(0, 3), min_size=1, max_size=200),
)
def test_every_pending_chunk_is_claimed_once_own_run_first(
    pending: list[int], processes: int, turns: list[int]
) -> None:
    bounds = _Claims.shares(pending, processes)
    lock = threading.Lock()
    claims = [_Claims(pending, bounds, lock, w) for w in range(processes)]
    own = [pending[bounds[2 * w] : bounds[2 * w + 1]] for w in range(processes)]
    got: list[list[int]] = [[] for _ in range(processes)]
    live = set(range(processes))
    for turn in turns * (len(pending) + 1):
        w = turn % processes
        if w in live:
            number = claims[w].next()
            if number is None:
                live.discard(w)
            else:
                got[w].append(number)
    for w in sorted(live):  # the rest, in process order
        while (number := claims[w].next()) is not None:
            got[w].append(number)
    assert sorted(n for g in got for n in g) == pending
    for w in range(processes):  # a process works through its own run, in order, first
        mine = [n for n in got[w] if n in own[w]]
        assert got[w][: len(mine)] == mine == sorted(mine)


@pytest.fixture(scope="module")
def book_and_model(
    small_province: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)


def test_an_error_in_any_process_fails_the_run_and_stops_the_helpers(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    banks = ["301", "302"]  # the book also holds bank 303: every chunk fails
    folder = RunFolder(tmp_path, "r")
    with pytest.raises(UsageError, match=r"The book holds bank '303' but the run has no policy"):
        run_job(
            RerateJob(book, None, 50),
            folder,
            model_file(model, banks),
            load_policies(banks, REPO / "config"),
            progress=False,
            workers=3,
        )
    assert multiprocessing.active_children() == []
    assert folder.read_manifest()["status"] == "running"
    assert folder.part_files() == []
