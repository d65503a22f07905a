"""Register → alias → load by alias → predict, embedded and against a real mlflow server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model_registry.flavor import input_example
from model_registry.lineage import LINEAGE_TAGS, Lineage
from model_registry.registry import ModelRegistry


def _register(registry: ModelRegistry, result: Any, frame: pd.DataFrame, name: str) -> int:
    lineage = Lineage(
        result.training_data_sha256,
        result.model.feature_catalog_version,
        "test-author",
        {k: v for k, v in result.metrics.items() if k.startswith("test_")},
    )
    info = registry.register(
        result.model,
        name=name,
        lineage=lineage,
        input_example=input_example(result.model, frame),
        evidence=result.test,
    )
    assert set(LINEAGE_TAGS) <= set(info.tags)
    assert info.tags["nongxin.model_sha256"] == result.model.content_hash
    return info.version


def _round_trip(registry: ModelRegistry, trained: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow.pyfunc

    version = _register(registry, trained.good, trained.frame, "farmer-rating")
    registry.set_alias("farmer-rating", "champion", version)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    loaded = mlflow.pyfunc.load_model("models:/farmer-rating@champion")
    data = trained.frame[trained.good.model.input_columns]
    expected = trained.good.model.predict(data)
    pd.testing.assert_frame_equal(loaded.predict(data), expected)
    native = registry.load("farmer-rating", registry.resolve("farmer-rating", "champion").version)
    assert native == trained.good.model
    assert native.content_hash == trained.good.model.content_hash


def test_round_trip_embedded(
    registry: ModelRegistry, trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _round_trip(registry, trained, monkeypatch)
    db = Path(registry.settings.mlflow_dir) / "mlflow.db"
    assert registry.tracking_uri == f"sqlite:///{db}"
    assert (registry.settings.mlflow_dir / "artifacts").is_dir()


@pytest.mark.integration
def test_round_trip_mlflow_server(
    mlflow_server: str, trained: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    monkeypatch.setenv("NONGXIN_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    registry = ModelRegistry()
    assert registry.tracking_uri == mlflow_server
    assert not registry.embedded
    _round_trip(registry, trained, monkeypatch)
    assert registry.evidence("farmer-rating", 1).shape == trained.good.test.shape


def test_predict_columns_are_predict_frame_columns(trained: Any) -> None:
    """The array form the online path reads holds exactly the frame's columns and values."""
    model = trained.good.model
    data = trained.frame[model.input_columns]
    frame = model.predict(data)
    columns = model.predict_columns(data)
    assert list(columns) == list(frame.columns) == model.output_columns
    pd.testing.assert_frame_equal(pd.DataFrame(columns, index=data.index), frame)
    one = model.predict_columns(data.iloc[[7]])
    pd.testing.assert_frame_equal(
        pd.DataFrame(one, index=data.index[[7]]), frame.iloc[[7]], check_index_type=False
    )
