"""``nongxin model``: train → register → list → promote (gated) → show → compare → rollback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from model_registry.exceptions import PromotionRefused
from scoring_service.cli import cli, main
from tests.model_registry.helpers import households, migrated_store_template

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning:mlflow.*"),
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NONGXIN_HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "mlflow").mkdir(parents=True)
    shutil.copyfile(migrated_store_template(), tmp_path / "home" / "mlflow" / "mlflow.db")
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(REPO_ROOT / "config"))
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    frame, y = households(2500, seed=5)
    frame.assign(default_12m=y).to_parquet(tmp_path / "train.parquet")
    frame.to_parquet(tmp_path / "features.parquet")
    frame[["household_id"]].assign(default_12m=y).to_parquet(tmp_path / "outcomes.parquet")
    households(600, seed=6)[0].to_parquet(tmp_path / "recent.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["model", *args])
    if result.exception is not None and not isinstance(result.exception, PromotionRefused):
        raise result.exception
    return result


def test_model_lifecycle(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("train", "--data", "train.parquet", "--out", "m1").exit_code == 0
    assert json.loads((workdir / "m1" / "training.json").read_text())["metrics"]["test_auc"] > 0.7
    weak = ["--exclude", "income_total", "--exclude", "debt_total", "--exclude", "village_review"]
    assert run("train", "--data", "train.parquet", *weak, "--out", "m2").exit_code == 0
    joined = ["--data", "features.parquet", "--outcomes", "outcomes.parquet"]
    assert run("train", *joined, "--out", "m3").exit_code == 0
    lineage = [json.loads((workdir / m / "training.json").read_text()) for m in ("m1", "m3")]
    assert lineage[0]["training_data_sha256"] == lineage[1]["training_data_sha256"]
    for folder in ("m1", "m2", "m3"):
        assert run("register", folder, "--author", "alice").exit_code == 0
    listed = run("list").output
    assert "3" in listed
    assert "alice" in listed
    promoted = run(
        "promote", "farmer-rating", "1", "--approver", "li", "--recent", "recent.parquet"
    )
    assert "farmer-rating@champion -> version 1 (was -), by li" in promoted.output
    refused = run("promote", "farmer-rating", "2", "--approver", "li", "--recent", "recent.parquet")
    assert isinstance(refused.exception, PromotionRefused)
    assert "auc_vs_champion" in " ".join(refused.exception.failed_checks)
    with pytest.raises(SystemExit, match="2"):
        main(["model", "promote", "farmer-rating", "2", "--approver", "li", "--recent", "recent.parquet"])  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("error[PROMOTION_REFUSED]: Promotion of farmer-rating version 2")
    assert "ks_vs_champion" in err
    run("promote", "farmer-rating", "3", "--approver", "zhao", "--recent", "recent.parquet")
    shown = run("show", "farmer-rating", "--alias", "champion").output
    assert "farmer-rating version 3  aliases: champion" in shown
    assert "nongxin.champion.approved_by = zhao" in shown
    compared = run("compare", "farmer-rating", "1", "2").output
    assert "metric.test_auc" in compared
    assert "v2" in compared
    assert "champion.approved_by" in compared
    assert "evidence" not in compared
    back = run("rollback", "farmer-rating", "--approver", "zhao").output
    assert "farmer-rating@champion -> version 1 (was version 3)" in back
    lines = run("history", "farmer-rating").output.splitlines()
    assert [line.split()[2] for line in lines] == ["promote", "promote", "rollback"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--out", "x"], "error[USAGE]: Give the training table with --data"),
        (["train", "--data", "train.parquet", "--target", "nope", "--out", "x"], "'nope'"),
        (["promote", "farmer-rating", "1", "--approver", "li"], "needs --recent FILE"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit, match="2"):
        main(["model", *args])
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
