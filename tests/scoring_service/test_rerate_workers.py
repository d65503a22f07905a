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
from scoring_service.batch.claims import Claims
from scoring_service.batch.engine import RerateChunkError

REPO = Path(__file__).resolve().parents[2]


@given(
    pending=st.lists(st.integers(0, 500), unique=True, max_size=60).map(sorted),
    processes=st.integers(1, 4),
    turns=st.lists(st.integers(0, 3), min_size=1, max_size=200),
)
def test_every_pending_chunk_is_claimed_once_own_run_first(
    pending: list[int], processes: int, turns: list[int]
) -> None:
    bounds = Claims.shares(pending, processes)
    lock = threading.Lock()
    owner = [-1] * len(pending)
    claims = [Claims(pending, bounds, owner, lock, w) for w in range(processes)]
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


@given(
    pending=st.lists(st.integers(0, 500), unique=True, min_size=1, max_size=40).map(sorted),
    processes=st.integers(2, 4),
    victim=st.integers(1, 3),
    claims_before_death=st.integers(0, 12),
    in_flight=st.integers(0, 3),
    torn=st.booleans(),
    turns=st.lists(st.integers(0, 3), min_size=1, max_size=100),
    adopt_at=st.integers(0, 100),
)
def test_a_dead_process_chunks_are_each_done_once(
    pending: list[int],
    processes: int,
    victim: int,
    claims_before_death: int,
    in_flight: int,
    torn: bool,
    turns: list[int],
    adopt_at: int,
) -> None:
    """A helper dies after some claims with its last ``in_flight`` chunks unwritten (and,
    ``torn``, inside a claim: owner written, bound not moved); the main process adopts its
    chunks once the death is known, at any point of the others' work: every chunk is written
    exactly once, by the dead helper before it died, by the adopter, or by a live claimer."""
    victim = 1 + (victim - 1) % (processes - 1)
    bounds = Claims.shares(pending, processes)
    owner = [-1] * len(pending)
    lock = threading.Lock()
    claims = [Claims(pending, bounds, owner, lock, w) for w in range(processes)]
    written: list[int] = []  # parts on disk, in writing order
    victim_claims: list[int] = []
    while len(victim_claims) < claims_before_death and (n := claims[victim].next()) is not None:
        victim_claims.append(n)
    cut = max(0, len(victim_claims) - in_flight)
    written += victim_claims[:cut]  # the rest were in flight: lost with the process
    if torn and bounds[2 * victim] < bounds[2 * victim + 1]:
        owner[bounds[2 * victim]] = victim  # killed between the two writes of a claim
    live = [w for w in range(processes) if w != victim]
    adopted: list[int] | None = None
    steps = [t % processes for t in turns] * (len(pending) + 2)
    for step, w in enumerate(steps):
        if adopted is None and step >= adopt_at:
            adopted = claims[0].adopt(victim, set(written).__contains__)
            written += adopted  # the adopter redoes them
        if w in live and (n := claims[w].next()) is not None:
            written.append(n)
    if adopted is None:
        written += claims[0].adopt(victim, set(written).__contains__)
    for w in live:
        while (n := claims[w].next()) is not None:
            written.append(n)
    assert sorted(written) == pending  # each chunk once: none lost, none twice
    assert claims[0].adopt(victim, set(written).__contains__) == []  # adopted only once


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
    with pytest.raises(
        RerateChunkError,
        match=r"chunk \d+ \(book rows \d+-\d+\) failed in (the main|helper) process.*: "
        r"error\[USAGE\]: The book holds bank '303' but the run has no policy",
    ) as caught:
        run_job(
            RerateJob(book, None, 50),
            folder,
            model_file(model, banks),
            load_policies(banks, REPO / "config"),
            progress=False,
            workers=3,
        )
    assert caught.value.code == "RERATE_CHUNK"
    assert caught.value.fields["cause_code"] == "USAGE"
    assert caught.value.fields["field"] == "bank_code"
    assert multiprocessing.active_children() == []
    assert folder.read_manifest()["status"] == "running"
    assert folder.part_files() == []
