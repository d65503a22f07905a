"""Group commit of decisions: concurrent saves share commits, each waits for its own."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from bureau_adapters.compliance.db import create_engine
from credit_limit import load_policy
from model_registry.serving import LoadedModel
from scoring_service.api.testing import province_frame, train_champion
from scoring_service.decisions import DecisionStore
from scoring_service.decisions.commit import GroupCommit
from scoring_service.pipeline import DecisionContext, decide, input_frame

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_callers_queued_behind_a_commit_share_the_next_one() -> None:
    batches: list[list[Any]] = []
    first_started, release = threading.Event(), threading.Event()

    def write(rows: list[dict[str, Any]]) -> None:
        if not batches:
            first_started.set()
            release.wait(5)
        batches.append([r["n"] for r in rows])

    commit = GroupCommit(write)
    with ThreadPoolExecutor(6) as pool:
        leader = pool.submit(commit, [{"n": 0}])
        assert first_started.wait(5)
        followers = [pool.submit(commit, [{"n": i}]) for i in range(1, 6)]
        while len(commit._queue) < 5:  # every follower waits behind the first commit
            threading.Event().wait(0.01)
        assert not any(f.done() for f in followers)
        release.set()
        for future in (leader, *followers):
            future.result(5)
    assert batches[0] == [0]
    assert sorted(batches[1]) == [1, 2, 3, 4, 5]
    assert len(batches) == 2


def test_a_failing_row_fails_its_own_caller_only() -> None:
    written: list[int] = []

    def write(rows: list[dict[str, Any]]) -> None:
        if any(r["n"] < 0 for r in rows):
            raise ValueError("bad row")
        written.extend(r["n"] for r in rows)

    commit = GroupCommit(write)
    commit._busy = True  # hold the queue as a commit in progress would
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(commit, [{"n": n}]) for n in (1, -1, 2)]
        while len(commit._queue) < 3:
            threading.Event().wait(0.01)
        with commit._cond:
            commit._busy = False
            commit._cond.notify_all()
        outcomes = [f.exception(5) for f in futures]
    assert [type(e) for e in outcomes] == [type(None), ValueError, type(None)]
    assert sorted(written) == [1, 2]


@pytest.fixture(scope="module")
def rows(small_province: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = province_frame(small_province)
    frame = frame[frame["bank_code"] == "301"].head(12).reset_index(drop=True)
    model = LoadedModel("f", 1, "champion", train_champion(small_province, CONFIG).model)
    typed = input_frame(frame)
    return decide(typed, DecisionContext("301", load_policy("301", CONFIG), model)), typed


def test_concurrent_saves_are_all_stored_and_a_duplicate_only_fails_itself(
    tmp_path: Path, rows: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    decisions, inputs = rows
    engine = create_engine(f"sqlite:///{tmp_path / 'd.db'}")
    store = DecisionStore(engine)
    store.save(decisions.iloc[[0]], inputs.iloc[[0]])

    def save(i: int) -> int:
        return store.save(decisions.iloc[[i]], inputs.iloc[[i]])

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(save, i) for i in range(len(decisions))]  # row 0 is a duplicate
        outcomes = [f.exception(30) for f in futures]
    assert isinstance(outcomes[0], sa.exc.IntegrityError)
    assert outcomes[1:] == [None] * (len(decisions) - 1)
    assert store.count("301") == len(decisions)
    engine.dispose()


class _Interrupted(BaseException):
    """Not an ``Exception``: what a KeyboardInterrupt or SystemExit looks like to the writer."""


def test_an_interrupted_commit_fails_every_caller_of_its_batch() -> None:
    """A write interrupted by a non-``Exception`` must not let a queued caller return as if
    its row were stored (it was in the leader's batch, never written)."""
    batches: list[list[Any]] = []
    first_started, release = threading.Event(), threading.Event()

    def write(rows: list[dict[str, Any]]) -> None:
        batches.append([r["n"] for r in rows])
        if len(batches) == 1:
            first_started.set()
            release.wait(5)
        elif rows:  # writing nothing succeeds, as a real INSERT of no rows would
            raise _Interrupted

    commit = GroupCommit(write)
    outcomes: dict[int, str] = {}

    def save(n: int) -> None:
        try:
            commit([{"n": n}])
            outcomes[n] = "stored"
        except _Interrupted:
            outcomes[n] = "interrupted"

    threads = [threading.Thread(target=save, args=(0,))]
    threads[0].start()
    assert first_started.wait(5)
    threads += [threading.Thread(target=save, args=(n,)) for n in (1, 2)]
    for t in threads[1:]:
        t.start()
    while len(commit._queue) < 2:
        threading.Event().wait(0.01)
    release.set()
    for t in threads:
        t.join(10)
    assert outcomes == {0: "stored", 1: "interrupted", 2: "interrupted"}
    assert batches == [[0], [1, 2]]
