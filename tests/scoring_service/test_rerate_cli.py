"""``nongxin rerate --province``: the book is built from cached reports, one bank re-rated,
the report compares with a provided previous-decisions table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scoring_service.cli import cli


@pytest.fixture(scope="module")
def model(small_province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)[1]


def test_province_run_of_one_bank_then_report_against_a_table(
    small_province: Path, model: Path, tmp_path: Path, nongxin_home: Path
) -> None:
    base = ["rerate", "--bank", "301", "--model", str(model), "--out", str(tmp_path), "--quiet"]
    first = CliRunner().invoke(cli, [*base, "--province", str(small_province), "--run-id", "p1"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "p1" / "book.parquet").is_file()
    got = pd.read_parquet(sorted((tmp_path / "p1" / "decisions").glob("part-*.parquet")))
    households = pd.read_parquet(small_province / "households.parquet")
    assert sorted(got["household_id"]) == sorted(
        households.loc[households["bank_code"] == "301", "household_id"]
    )
    assert "head_name" not in pd.read_parquet(tmp_path / "p1" / "book.parquet").columns
    previous = tmp_path / "previous.parquet"
    got[["household_id", "grade", "limit"]].assign(limit=got["limit"] + 10_000).to_parquet(previous)
    book = tmp_path / "p1" / "book.parquet"
    second = CliRunner().invoke(
        cli, [*base, "--input", str(book), "--run-id", "p2", "--previous", str(previous)]
    )
    assert second.exit_code == 0, second.output
    assert "report: " in second.output
    summary = pd.read_csv(tmp_path / "p2" / "report" / "summary.csv").iloc[0]
    assert summary["old_total"] - summary["new_total"] == 10_000 * len(got)
    assert (summary["upgraded"], summary["downgraded"]) == (0, 0)
