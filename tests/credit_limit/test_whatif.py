"""What-if: a proposed policy beside the current one, on a portfolio, changing nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from credit_limit.config import EffectivePolicy
from credit_limit.examples import worked_example_e
from credit_limit.exceptions import LimitInputError
from credit_limit.policy import BankPolicy
from credit_limit.whatif import whatif
from scoring_service.cli import cli, main

RandomFrame = Callable[[np.random.Generator, int], pd.DataFrame]


def proposal(policy: EffectivePolicy, **changes: object) -> EffectivePolicy:
    data = {**policy.bank.to_dict(), **changes}
    return EffectivePolicy.resolve(policy.federation, BankPolicy.from_dict(data))


def test_hand_checked_table(sample_policies: dict[str, EffectivePolicy]) -> None:
    """Two households: example (e) at PD 2% (limit 100k) and the same at grade E (limit 0)."""
    current = sample_policies["301"]
    frame = pd.concat(
        [worked_example_e(), worked_example_e().assign(grade="E")], ignore_index=True
    ).assign(pd=[0.02, 0.2])
    tighter = proposal(current, k_income={"A": 3.0, "B": 1.5, "C": 1.5, "D": 1.0})
    table = whatif(frame, current, tighter)
    # current: 100k; proposed: min(80k x 1.5, 150k) - 50k = 70k
    assert table.loc["total_limit"].tolist() == [100_000, 70_000, -30_000]
    assert table.loc["limit_grade_B", "proposed"] == 70_000
    assert table.loc["households_grade_E", "current"] == 1
    assert table.loc["share_limit_zero"].tolist() == [0.5, 0.5, 0.0]
    # EL = PD x LGD x limit x utilisation = 0.02 x 0.45 x 100k x 0.3
    assert table.loc["expected_loss", "current"] == pytest.approx(270.0)
    assert table.loc["expected_loss", "proposed"] == pytest.approx(0.02 * 0.45 * 70_000 * 0.3)


def test_regrade_uses_each_policys_cutoffs(sample_policies: dict[str, EffectivePolicy]) -> None:
    current = sample_policies["301"]
    stricter = proposal(
        current,
        rating={
            **current.bank.rating.to_dict(),
            "cutoffs": {"A": 0.01, "B": 0.015, "C": 0.05, "D": 0.10},
        },
    )
    frame = worked_example_e().assign(pd=0.02)  # B under 301 (<= 2.5%), C under the proposal
    table = whatif(frame, current, stricter, regrade=True)
    assert table.loc["households_grade_B"].tolist() == [1, 0, -1]
    assert table.loc["households_grade_C"].tolist() == [0, 1, 1]


def test_pd_is_required(sample_policies: dict[str, EffectivePolicy]) -> None:
    with pytest.raises(LimitInputError, match="lacks column 'pd'"):
        whatif(worked_example_e(), sample_policies["301"], sample_policies["301"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_whatif(
    tmp_path: Path,
    config_dir: Path,
    random_frame: RandomFrame,
    sample_policies: dict[str, EffectivePolicy],
    fmt: str,
) -> None:
    portfolio = random_frame(np.random.default_rng(3), 500).assign(bank_code="301")
    path = tmp_path / f"book.{fmt}"
    portfolio.to_csv(path, index=False) if fmt == "csv" else portfolio.to_parquet(path)
    proposed = sample_policies["301"].bank.to_dict() | {
        "version": "2026.09",
        "rounding": {"unit": 1000},
    }
    policy_path = tmp_path / "new.yaml"
    policy_path.write_text(yaml.safe_dump(proposed, allow_unicode=True), encoding="utf-8")
    before = {p: p.read_bytes() for p in sorted(config_dir.rglob("*.yaml"))}
    args = [
        "policy",
        "whatif",
        "--bank",
        "301",
        "--policy",
        str(policy_path),
        "--portfolio",
        str(path),
        "--config",
        str(config_dir),
    ]
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "total_limit" in text.output
    assert "expected_loss" in text.output
    result = CliRunner().invoke(cli, [*args, "--json"])
    metrics = json.loads(result.output)["metrics"]
    # a finer rounding unit can only raise limits
    assert metrics["total_limit"]["proposed"] >= metrics["total_limit"]["current"] > 0
    assert metrics["households"]["current"] == 500
    assert {p: p.read_bytes() for p in sorted(config_dir.rglob("*.yaml"))} == before


def test_cli_whatif_refuses_a_policy_outside_the_lines(
    tmp_path: Path,
    config_dir: Path,
    sample_policies: dict[str, EffectivePolicy],
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = tmp_path / "book.csv"
    worked_example_e().assign(pd=0.02).to_csv(book, index=False)
    bad = sample_policies["301"].bank.to_dict() | {"k_income": {"A": 4, "B": 2, "C": 1, "D": 1}}
    policy_path = tmp_path / "new.yaml"
    policy_path.write_text(yaml.safe_dump(bad, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SystemExit, match="2"):
        main(
            [
                "policy",
                "whatif",
                "--bank",
                "301",
                "--policy",
                str(policy_path),
                "--portfolio",
                str(book),
                "--config",
                str(config_dir),
            ]
        )
    err = capsys.readouterr().err
    assert err.startswith("error[POLICY_INVALID]: 1 policy violation(s):")
    assert "new.yaml: k_income.A = 4 exceeds federation maximum income multiple 3" in err
