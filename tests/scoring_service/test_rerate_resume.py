"""``nongxin rerate``: a run SIGKILLed mid-way and restarted has every household exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scoring_service.cli import cli, main
from scoring_service.pipeline import OUTCOME_COLUMNS

REPO = Path(__file__).resolve().parents[2]
NONGXIN = Path(sys.executable).with_name("nongxin")


@pytest.fixture(scope="module")
def book_and_model(
    small_province: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)


def _args(book: Path, model: Path, out: Path, run_id: str, chunk: int) -> list[str]:
    return [
        "rerate", "--all", "--input", str(book), "--model", str(model), "--out", str(out),
        "--run-id", run_id, "--chunk-rows", str(chunk), "--no-report", "--quiet",
    ]  # fmt: skip


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "NONGXIN_HOME": str(home), "NONGXIN_CONFIG_DIR": str(REPO / "config")}


def _stop_then_kill(cmd: list[str], env: dict[str, str], after: int) -> None:
    """Run ``cmd`` until it stops itself after writing ``after`` parts (the engine's test
    hook), then SIGKILL it: the kill point is fixed, whatever the machine's load."""
    from scoring_service.batch.engine import STOP_AFTER_ENV

    proc = subprocess.Popen(
        cmd, env={**env, STOP_AFTER_ENV: str(after)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _, status = os.waitpid(proc.pid, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            pytest.fail(f"the run ended before it was killed: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()  # type: ignore[union-attr]


def test_sigkilled_run_resumes_with_every_household_exactly_once(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    out = tmp_path / "runs"
    cmd = [str(NONGXIN), *_args(book, model, out, "annual", 20)]
    env = _env(tmp_path / "home")
    decisions = out / "annual" / "decisions"
    _stop_then_kill(cmd, env, 3)
    done_before = sorted(p.name for p in decisions.glob("part-*"))
    assert done_before == [f"part-{i:06d}.parquet" for i in range(3)]  # 400 households, 20 chunks
    assert len((out / "annual" / "ledger.jsonl").read_text().splitlines()) == 3
    (decisions / ".part-000019.parquet.99999.tmp").write_bytes(b"half a parquet file")
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    assert not list(decisions.glob("*.tmp"))
    assert json.loads((out / "annual" / "manifest.json").read_text())["status"] == "complete"
    got = pd.read_parquet(sorted(decisions.glob("part-*.parquet")))
    households = pd.read_parquet(book, columns=["household_id"])["household_id"]
    assert got["household_id"].is_unique
    assert sorted(got["household_id"]) == sorted(households)
    assert got["decided_at"].nunique() == 1  # one decision time per run, resumed or not
    whole = _uninterrupted(book, model, tmp_path / "whole")
    cols = ["household_id", *OUTCOME_COLUMNS, "inputs_hash", "model_hash"]
    pd.testing.assert_frame_equal(
        got[cols].sort_values("household_id", ignore_index=True),
        whole[cols].sort_values("household_id", ignore_index=True),
    )


def test_a_sigkilled_helper_leaves_every_household_exactly_once(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    """Two processes; the helper SIGKILLs itself inside its first claim, holding the claims
    lock (the engine's test hook): the main process is not blocked, redoes the helper's
    unwritten chunk and finishes the run, with the decisions of an uninterrupted run."""
    from scoring_service.batch.claims import KILL_HELPER_ENV

    book, model = book_and_model
    out = tmp_path / "runs"
    cmd = [str(NONGXIN), *_args(book, model, out, "two", 20), "--workers", "2"]
    env = {**_env(tmp_path / "home"), KILL_HELPER_ENV: "claim:1"}
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(
        r"re-rating run two: helper process 1 \(pid \d+\) died \(exit code -9\); the main "
        r"process redoes the chunks it had not written: \[10\]",
        run.stderr,
    )  # 400 households, 20 chunks of 20: the helper's run is chunks 10-19
    ledger = (out / "two" / "ledger.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["chunk"] for line in ledger) == list(range(20))  # each once
    assert json.loads((out / "two" / "manifest.json").read_text())["status"] == "complete"
    got = pd.read_parquet(sorted((out / "two" / "decisions").glob("part-*.parquet")))
    assert got["household_id"].is_unique
    assert got["decided_at"].nunique() == 1
    whole = _uninterrupted(book, model, tmp_path / "whole")
    cols = ["household_id", *OUTCOME_COLUMNS, "inputs_hash", "model_hash"]
    pd.testing.assert_frame_equal(
        got[cols].sort_values("household_id", ignore_index=True),
        whole[cols].sort_values("household_id", ignore_index=True),
    )


def _uninterrupted(book: Path, model: Path, out: Path) -> pd.DataFrame:
    result = CliRunner().invoke(cli, _args(book, model, out, "once", 100))
    assert result.exit_code == 0, result.output
    return pd.read_parquet(sorted((out / "once" / "decisions").glob("part-*.parquet")))


def test_restart_with_other_chunking_is_refused(
    book_and_model: tuple[Path, Path],
    tmp_path: Path,
    nongxin_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book, model = book_and_model
    first = CliRunner().invoke(cli, _args(book, model, tmp_path, "r", 200))
    assert first.exit_code == 0, first.output
    with pytest.raises(SystemExit, match="2"):
        main(_args(book, model, tmp_path, "r", 100))
    assert "error[USAGE]: Run 'r' was started with another chunk_rows" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--bank", "301"], "Give --bank CODE (repeatable) or --all, not both."),
        (["--run-id", "../x"], "The run id must be 1-64 letters"),
        (["--chunk-rows", "0"], "'chunk_rows' of a re-rating job must be an int in"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    book_and_model: tuple[Path, Path],
    tmp_path: Path,
    nongxin_home: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    book, model = book_and_model
    args = _args(book, model, tmp_path, "r", 100)
    with pytest.raises(SystemExit, match="2"):
        main([*args, *extra])
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_two_worker_processes_decide_as_one(
    book_and_model: tuple[Path, Path], tmp_path: Path, nongxin_home: Path
) -> None:
    book, model = book_and_model
    args = _args(book, model, tmp_path, "two", 50)
    result = CliRunner().invoke(cli, [*args, "--workers", "2"])
    assert result.exit_code == 0, result.output
    two = pd.read_parquet(sorted((tmp_path / "two" / "decisions").glob("part-*.parquet")))
    one = _uninterrupted(book, model, tmp_path / "one")
    assert len(list((tmp_path / "two" / "decisions").glob("part-*.parquet"))) == 8
    cols = ["household_id", *OUTCOME_COLUMNS, "inputs_hash"]
    pd.testing.assert_frame_equal(two[cols], one[cols])  # same rows, same (book) order
