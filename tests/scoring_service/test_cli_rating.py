"""``nongxin rating fit`` and ``nongxin rating score`` end to end on files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rating_models import ScorecardSpec
from scoring_service.cli import cli, main
from tests.rating_models.test_scorecard_helpers import credit_like


@pytest.fixture
def training_csv(tmp_path: Path, rng: np.random.Generator) -> Path:
    X, y = credit_like(rng, 2500)
    X.insert(0, "household_id", [f"H{i:08d}" for i in range(len(X))])
    X["default_12m"] = np.where(y == 1, "bad", "good")
    path = tmp_path / "train.csv"
    X.to_csv(path, index=False)
    return path


def test_fit_then_score(tmp_path: Path, training_csv: Path) -> None:
    runner = CliRunner()
    spec_path = tmp_path / "card.json"
    result = runner.invoke(
        cli,
        [
            "rating",
            "fit",
            "--data",
            str(training_csv),
            "--target",
            "default_12m",
            "--bad-label",
            "bad",
            "--out",
            str(spec_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "excluded household_id: identifier-like text" in result.stderr
    spec = ScorecardSpec.from_json(spec_path.read_text(encoding="utf-8"))
    assert spec.name == "card"
    assert "household_id" not in spec.feature_names

    out = tmp_path / "scored.parquet"
    result = runner.invoke(
        cli,
        [
            "rating",
            "score",
            "--spec",
            str(spec_path),
            "--data",
            str(training_csv),
            "--out",
            str(out),
            "--no-rate",
        ],
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    original = pd.read_csv(training_csv)
    assert list(scored.columns) == [*original.columns, "score", "pd"]
    np.testing.assert_array_equal(scored["score"].to_numpy(), spec.score(original))
    np.testing.assert_allclose(scored["pd"], spec.pd(original))


def test_config_sets_parameters(tmp_path: Path, training_csv: Path) -> None:
    config = tmp_path / "fit.yaml"
    config.write_text(
        "name: farmer-app\nfeature_catalog_version: pboc-features/1\n"
        "binning: {max_bins: 3, special_values: {inq: [-1]}}\n"
        "scorecard: {points_decimals: 0, min_iv: 0.0}\n",
        encoding="utf-8",
    )
    spec_path = tmp_path / "card.json"
    result = CliRunner().invoke(
        cli,
        [
            "rating",
            "fit",
            "--data",
            str(training_csv),
            "--target",
            "default_12m",
            "--bad-label",
            "bad",
            "--config",
            str(config),
            "--out",
            str(spec_path),
        ],
    )
    assert result.exit_code == 0, result.output
    spec = ScorecardSpec.from_json(spec_path.read_text(encoding="utf-8"))
    assert (spec.name, spec.feature_catalog_version) == ("farmer-app", "pboc-features/1")
    for f in spec.features:
        assert sum(b.kind in ("interval", "categories") for b in f.bins.bins) <= 3
        assert all(p == round(p) for p in f.points)


@pytest.mark.parametrize(
    ("extra", "config", "message"),
    [
        (
            [],
            None,
            "error[USAGE]: The target 'default_12m' has values ['bad', 'good']; give the bad one with --bad-label.",
        ),
        (
            ["--bad-label", "bad"],
            "binning: {max_bins: 1}\n",
            "error[RM_PARAM]: The 'max_bins' parameter of WOEBinning must be an int in the range [2, 50]. Got 1.",
        ),
        (["--bad-label", "bad"], "colour: blue\n", "error[USAGE]:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    training_csv: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    config: str | None,
    message: str,
) -> None:
    args = [
        "rating",
        "fit",
        "--data",
        str(training_csv),
        "--target",
        "default_12m",
        "--out",
        str(tmp_path / "x.json"),
        *extra,
    ]
    if config is not None:
        (tmp_path / "c.yaml").write_text(config, encoding="utf-8")
        args += ["--config", str(tmp_path / "c.yaml")]
    with pytest.raises(SystemExit, match="2"):
        main(args)
    assert message in capsys.readouterr().err


def test_fit_shows_a_bar_on_a_terminal_and_stays_quiet_otherwise(
    tmp_path: Path, training_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    from scoring_service.cli import rating as rating_cli

    args = ["rating", "fit", "--data", str(training_csv), "--target", "default_12m"]
    args += ["--bad-label", "bad", "--out", str(tmp_path / "card.json")]
    # not a terminal (CliRunner's stderr): stage lines, no bar
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "binning 5 variables" in result.stderr
    assert "it/s" not in result.stderr
    assert "step/s" not in result.stderr
    assert "%|" not in result.stderr
    # --quiet: nothing at all
    result = CliRunner().invoke(cli, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    X = pd.read_csv(training_csv).drop(columns=["household_id", "default_12m"])
    y = (pd.read_csv(training_csv)["default_12m"] == "bad").astype(int).to_numpy()
    for quiet, shown in ((False, True), (True, False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        rating_cli._fit_with_bar(rating_cli._build({}), X, y, show=not quiet)
        monkeypatch.undo()
        text = terminal.getvalue()
        steps = f"{X.shape[1] + 2}/{X.shape[1] + 2}"
        assert ("logistic regression" in text and steps in text) is shown
        assert (text == "") is not shown
