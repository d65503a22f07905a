"""``nongxin rerate`` with the registry champion: versions stamped, and a resumed run keeps the
version it started with even after the champion alias moved."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scoring_service.cli import cli

# MLflow's own import-time and signature warnings (as in tests/model_registry)
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
    pytest.mark.filterwarnings(
        "ignore:.*Hint. Inferred schema contains integer column:UserWarning"
    ),
    pytest.mark.filterwarnings("ignore::FutureWarning:mlflow.*"),
]


@pytest.fixture(scope="module")
def book_and_model(
    small_province: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)


def test_registry_champion_is_stamped_and_pinned_on_resume(
    book_and_model: tuple[Path, Path],
    tmp_path: Path,
    nongxin_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from model_registry.bundle import RatingModel
    from model_registry.flavor import input_example
    from model_registry.lineage import Lineage
    from model_registry.registry import ModelRegistry

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    book, model_path = book_and_model
    model = RatingModel.from_dict(json.loads(model_path.read_text()))
    registry = ModelRegistry()
    example = input_example(model, pd.read_parquet(book).head(5))
    lineage = Lineage("0" * 64, "pboc-features/1", "batch-test")
    versions = [
        registry.register(
            model, name="farmer-rating", lineage=lineage, input_example=example
        ).version
        for _ in range(2)
    ]
    registry.set_alias("farmer-rating", "champion", versions[0])
    out = tmp_path / "runs"
    args = [
        "rerate",
        "--all",
        "--input",
        str(book),
        "--out",
        str(out),
        "--run-id",
        "r",
        "--no-report",
        "--quiet",
    ]
    first = CliRunner().invoke(cli, [*args, "--chunk-rows", "400"])
    assert first.exit_code == 0, first.output
    manifest = json.loads((out / "r" / "manifest.json").read_text())
    assert {m["version"] for m in manifest["models"].values()} == {versions[0]}
    registry.set_alias("farmer-rating", "champion", versions[1])
    again = CliRunner().invoke(cli, [*args, "--chunk-rows", "400"])  # resume: version pinned
    assert again.exit_code == 0, again.output
    got = pd.read_parquet(sorted((out / "r" / "decisions").glob("part-*.parquet")))
    assert set(got["model_version"]) == {versions[0]}
    assert set(got["model_name"]) == {"farmer-rating"}
