"""The nongxin flavor and the RatingModel bundle: plain JSON parts, checksums, signature."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_registry.bundle import RatingModel
from model_registry.exceptions import ModelFormatError, RegistryError
from model_registry.flavor import (
    FLAVOR_NAME,
    MANIFEST,
    get_default_pip_requirements,
    input_example,
    load_model,
    save_model,
)
from model_registry.lineage import Lineage
from model_registry.train import data_hash


@pytest.fixture
def saved(tmp_path: Path, trained: Any) -> Path:
    path = tmp_path / "model"
    model = trained.good.model
    save_model(model, path, input_example=input_example(model, trained.frame))
    return path


def test_saved_folder_is_plain_json_with_both_flavors(saved: Path, trained: Any) -> None:
    import yaml

    files = sorted(p.name for p in saved.iterdir())
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib"))]
    assert {MANIFEST, "statistical_card.json", "reason_catalog.json", "development.json"} <= set(
        files
    )
    mlmodel = yaml.safe_load((saved / "MLmodel").read_text())
    assert mlmodel["flavors"][FLAVOR_NAME]["content_hash"] == trained.good.model.content_hash
    assert mlmodel["flavors"]["python_function"]["loader_module"] == "model_registry.flavor"
    inputs = [c["name"] for c in json.loads(mlmodel["signature"]["inputs"])]
    outputs = [c["name"] for c in json.loads(mlmodel["signature"]["outputs"])]
    assert inputs == trained.good.model.input_columns
    assert outputs[:3] == ["score", "pd", "grade"]
    assert (saved / "input_example.json").is_file()
    assert any(r.startswith("nongxin==") for r in get_default_pip_requirements())


def test_native_and_pyfunc_predictions_equal_in_memory(saved: Path, trained: Any) -> None:
    import mlflow.pyfunc

    data = trained.frame[trained.good.model.input_columns]
    expected = trained.good.model.predict(data)
    assert load_model(str(saved)) == trained.good.model
    pd.testing.assert_frame_equal(mlflow.pyfunc.load_model(str(saved)).predict(data), expected)
    assert set(expected["grade"]) <= set("ABCDE")
    assert expected["reason_1"].str.len().gt(0).any()


def test_tampered_part_is_refused(saved: Path) -> None:
    part = saved / "statistical_card.json"
    data = json.loads(part.read_text())
    data["intercept_points"] += 1.0
    part.write_text(json.dumps(data, indent=2, sort_keys=True))
    with pytest.raises(
        ModelFormatError, match=r"statistical_card\.json does not match its checksum"
    ):
        load_model(str(saved))


def test_invalid_arguments_leave_nothing_behind(tmp_path: Path, trained: Any) -> None:
    model = trained.good.model
    path = tmp_path / "never"
    with pytest.raises(ModelFormatError, match="missing"):
        save_model(model, path, input_example=trained.frame[["noise"]].head(3))
    with pytest.raises(ModelFormatError, match="needs a RatingModel"):
        save_model(model.statistical, path, input_example=trained.frame)
    assert not path.exists()


def test_bundle_round_trip_with_expert_card_and_blend(trained: Any) -> None:
    from rating_models.expert import ExpertCard
    from rating_models.rating import PDCalibration

    card = ExpertCard.from_dict(
        {
            "schema_version": 1,
            "name": "mini",
            "version": "1",
            "zh": "示例",
            "total": 10,
            "blocks": [
                {
                    "id": "basic",
                    "zh": "基本情况",
                    "en": "Basics",
                    "points": 10,
                    "range": [5, 15],
                    "indicators": [
                        {
                            "id": "review",
                            "zh": "村委评议",
                            "en": "Village review",
                            "input": {"column": "village_review"},
                            "categories": [
                                {"values": ["very_good"], "points": 10},
                                {"values": ["good"], "points": 6},
                            ],
                            "other": 0,
                            "missing": 0,
                        }
                    ],
                }
            ],
        }
    ).with_calibration(PDCalibration(intercept=-1.0, slope=-0.2))
    model = dataclasses.replace(trained.good.model, expert=card, mode="blend", expert_weight=0.4)
    again = RatingModel.from_dict(json.loads(model.to_json()))
    assert again == model
    assert again.content_hash == model.content_hash
    pd.testing.assert_frame_equal(again.predict(trained.frame), model.predict(trained.frame))
    assert "village_review" in model.input_columns


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"schema_version": "nongxin.rating-model/0"}, "schema_version"),
        ({"statistical": None}, "needs a statistical card"),
        ({"mode": "average"}, "'mode' parameter"),
    ],
)
def test_malformed_bundles_are_refused(trained: Any, change: dict[str, Any], match: str) -> None:
    data = {**trained.good.model.to_dict(), **change}
    with pytest.raises(ModelFormatError, match=match):
        RatingModel.from_dict(data)


def test_lineage_refuses_empty_fields_and_hash_is_content_based(trained: Any) -> None:
    with pytest.raises(RegistryError, match=r"\['author'\] must not be empty"):
        Lineage("sha256:x", "pboc-features/1", " ")
    frame = trained.frame
    assert data_hash(frame) == data_hash(frame.copy())
    assert data_hash(frame) != data_hash(frame.assign(noise=frame["noise"] + 1e-9))
    assert trained.good.training_data_sha256 == data_hash(frame.assign(__outcome__=trained.y))
    assert trained.good.training_data_sha256 != data_hash(frame.assign(__outcome__=1 - trained.y))


def test_log_model_in_a_run_loads_back(
    registry: Any, trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from model_registry.flavor import log_model

    model = trained.good.model
    location = (registry.settings.mlflow_dir / "artifacts").as_uri()
    experiment = registry.client.create_experiment("log-model", artifact_location=location)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    with mlflow.start_run(experiment_id=experiment):
        info = log_model(model, name="model", input_example=input_example(model, trained.frame))
    assert load_model(info.model_uri) == model
    assert list((registry.settings.mlflow_dir / "artifacts").iterdir())  # nothing in ./mlruns


@settings(max_examples=15, deadline=None)
@given(
    cuts=st.lists(st.floats(0.001, 0.5), min_size=4, max_size=4, unique=True).map(sorted),
    n_reasons=st.integers(1, 6),
    version=st.one_of(st.none(), st.text("abc-/1", min_size=1, max_size=12)),
)
def test_any_bundle_round_trips_through_its_files(
    trained: Any, tmp_path_factory: pytest.TempPathFactory, cuts: list[float], n_reasons: int,
    version: str | None,
) -> None:  # fmt: skip
    from model_registry.flavor import read_parts, write_parts
    from rating_models.rating import GradeScale

    model = dataclasses.replace(
        trained.good.model,
        scale=GradeScale(max_pd=(*cuts, 1.0)),
        n_reasons=n_reasons,
        feature_catalog_version=version,
    )
    folder = tmp_path_factory.mktemp("parts")
    write_parts(model, folder)
    again = read_parts(folder)
    assert again == model
    assert again.content_hash == model.content_hash
    assert again.output_columns[-1] == f"reason_{n_reasons}"
