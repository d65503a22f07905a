"""The ``nongxin`` MLflow flavor, modelled on ``mlflow.sklearn``, without pickle.

A saved rating model is a folder of plain JSON files a reviewer can read and diff::

    MLmodel                   flavors: nongxin (+ python_function), signature, metadata
    rating_model.json         manifest: mode, weights, cut-offs, calibration, knockouts,
                              and the sha256 of every part below
    statistical_card.json     the ScorecardSpec          (when the model has one)
    expert_card.json          the ExpertCard + PD calibration
    reason_catalog.json       reason codes and texts
    development.json          development score quantiles and grade counts
    input_example.json, requirements.txt, conda.yaml, python_env.yaml

Loading checks every part against its checksum. ``python_function`` loads through
:func:`_load_pyfunc` (``loader_module="model_registry.flavor"``), so
``mlflow.pyfunc.load_model("models:/farmer-rating@champion")`` gives a model whose
``predict(DataFrame)`` returns ``score, pd, grade, grade_pd, escalate, knockout, reason_1…``.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pandas as pd

from model_registry.bundle import RatingModel
from model_registry.exceptions import ModelFormatError

__all__ = [
    "FLAVOR_NAME",
    "MANIFEST",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = "nongxin"
MANIFEST = "rating_model.json"
_PARTS = {
    "statistical": "statistical_card.json",
    "expert": "expert_card.json",
    "reason_catalog": "reason_catalog.json",
    "development": "development.json",
}


def get_default_pip_requirements() -> list[str]:
    """Pinned requirements of a loaded rating model (nongxin and its numeric stack)."""
    names = ("nongxin", "mlflow", "numpy", "pandas", "scikit-learn", "scipy", "pyyaml")
    out = []
    for name in names:
        try:
            out.append(f"{name}=={importlib_metadata.version(name)}")
        except importlib_metadata.PackageNotFoundError:  # pragma: no cover - broken install
            out.append(name)
    return out


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)


def write_parts(model: RatingModel, path: Path) -> None:
    """Write the manifest and the parts of ``model`` into the existing folder ``path``."""
    data = model.to_dict()
    files: dict[str, dict[str, str]] = {}
    for key, filename in _PARTS.items():
        part = data.pop(key)
        if part is None:
            continue
        text = _dump(part)
        (path / filename).write_text(text, encoding="utf-8")
        files[key] = {"path": filename, "sha256": _sha256(text)}
    data["files"] = files
    data["content_hash"] = model.content_hash
    (path / MANIFEST).write_text(_dump(data), encoding="utf-8")


def read_parts(path: Path) -> RatingModel:
    """Read a model written by :func:`write_parts`, checking every checksum."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        for key, entry in data.pop("files").items():
            text = (path / entry["path"]).read_text(encoding="utf-8")
            if _sha256(text) != entry["sha256"]:
                raise ModelFormatError(
                    f"{entry['path']} does not match its checksum in {MANIFEST}.",
                    file=entry["path"],
                )
            data[key] = json.loads(text)
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"Cannot read the rating model in {path}: {exc!r}.") from exc
    expected = data.pop("content_hash", None)
    model = RatingModel.from_dict(data)
    if expected is not None and expected != model.content_hash:
        raise ModelFormatError(
            f"The rating model in {path} does not match its content hash {expected}.",
            field="content_hash",
        )
    return model


def input_example(model: RatingModel, frame: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """The first ``rows`` rows of the model's input columns, in the model's column order.

    The signature inferred from it keeps the training dtypes (MLflow refuses to cast int64 to
    float64 on input, so integer columns stay ``long``).
    """
    missing = [c for c in model.input_columns if c not in frame.columns]
    if missing:
        raise ModelFormatError(
            f"The example frame lacks the model's input columns {missing}.", columns=missing
        )
    return frame[model.input_columns].head(rows).reset_index(drop=True)


def _pyfunc_add_to_model() -> Any:
    """``mlflow.pyfunc.add_to_model``; importing ``mlflow.pyfunc`` warns about its own
    chat-agent type hints (``Any type hint is inferred as AnyType``), silenced here only."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*Any type hint is inferred as AnyType", category=UserWarning
        )
        from mlflow.pyfunc import add_to_model

    return add_to_model


def _col_type(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "long"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "string"


def signature_of(model: RatingModel, example: pd.DataFrame) -> Any:
    """The model signature: input columns with the example's types, the fixed output columns.

    Built from dtypes rather than inferred, so it is the same on every machine and never
    falls back to an untyped schema.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema([ColSpec(_col_type(example[c].dtype), c) for c in model.input_columns])
    kinds = {"score": "double", "pd": "double", "grade_pd": "double", "escalate": "boolean"}
    outputs = Schema([ColSpec(kinds.get(c, "string"), c) for c in model.output_columns])
    return ModelSignature(inputs=inputs, outputs=outputs)


def save_model(
    rating_model: RatingModel,
    path: str | os.PathLike[str],
    *,
    input_example: pd.DataFrame,
    mlflow_model: Any = None,
    signature: Any = None,
    metadata: dict[str, Any] | None = None,
    pip_requirements: list[str] | None = None,
) -> None:
    """Save ``rating_model`` as an MLflow model folder (flavors ``nongxin`` and pyfunc).

    Parameters
    ----------
    rating_model : RatingModel
        The model to save.
    path : path-like
        Target folder; must not exist yet (nothing is created if an argument is invalid).
    input_example : pandas.DataFrame
        A few rows of the model's input columns (:func:`input_example`); mandatory.
    mlflow_model : mlflow.models.Model, optional
        Passed by :func:`log_model` through ``Model.log``.
    signature : mlflow.models.ModelSignature, optional
        Default: :func:`signature_of` the model and ``input_example``.
    metadata : dict, optional
        Free-form metadata written to ``MLmodel`` (training lineage).
    pip_requirements : list of str, optional
        Default :func:`get_default_pip_requirements`.
    """
    from mlflow.models import Model

    target = _check_save_args(rating_model, path, input_example)
    target.mkdir(parents=True)
    mlflow_model = mlflow_model if mlflow_model is not None else Model()
    example = input_example[rating_model.input_columns]
    mlflow_model.signature = signature or signature_of(rating_model, example)
    (target / "input_example.json").write_text(
        example.to_json(orient="split", index=False), encoding="utf-8"
    )
    mlflow_model.saved_input_example_info = {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
    }
    if metadata is not None:
        mlflow_model.metadata = metadata
    write_parts(rating_model, target)
    _pyfunc_add_to_model()(
        mlflow_model,
        loader_module="model_registry.flavor",
        data=MANIFEST,
        conda_env="conda.yaml",
        python_env="python_env.yaml",
    )
    mlflow_model.add_flavor(
        FLAVOR_NAME,
        data=MANIFEST,
        schema_version=rating_model.schema_version,
        content_hash=rating_model.content_hash,
        nongxin_version=importlib_metadata.version("nongxin"),
    )
    mlflow_model.save(str(target / "MLmodel"))
    _write_environment(target, pip_requirements or get_default_pip_requirements())


def _check_save_args(
    rating_model: Any, path: str | os.PathLike[str], input_example: pd.DataFrame
) -> Path:
    """Refuse bad arguments before anything is written; the target folder."""
    if not isinstance(rating_model, RatingModel):
        raise ModelFormatError(
            f"save_model needs a RatingModel. Got {type(rating_model).__name__}."
        )
    missing = [c for c in rating_model.input_columns if c not in input_example.columns]
    if input_example.empty or missing:
        raise ModelFormatError(
            f"The input example must be non-empty and hold every input column; missing {missing}.",
            columns=missing,
        )
    target = Path(path)
    if target.exists():
        raise ModelFormatError(f"{target} already exists; save into a new folder.", path=str(path))
    return target


def _write_environment(target: Path, requirements: list[str]) -> None:
    """``requirements.txt``, ``conda.yaml`` and ``python_env.yaml``, as every flavor writes."""
    import yaml
    from mlflow.utils.environment import _mlflow_conda_env, _PythonEnv

    (target / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    conda = _mlflow_conda_env(additional_pip_deps=requirements)
    (target / "conda.yaml").write_text(yaml.safe_dump(conda), encoding="utf-8")
    _PythonEnv.current().to_yaml(str(target / "python_env.yaml"))


def log_model(rating_model: RatingModel, name: str = "model", **kwargs: Any) -> Any:
    """Log ``rating_model`` to the active run (``Model.log`` with this flavor).

    ``kwargs`` go to ``Model.log`` and :func:`save_model` (``input_example`` is mandatory;
    ``registered_model_name`` registers a version — without nongxin's lineage tags, so prefer
    :meth:`model_registry.registry.ModelRegistry.register`).
    """
    import sys

    from mlflow.models import Model

    return Model.log(
        artifact_path=None,
        name=name,
        flavor=sys.modules[__name__],
        rating_model=rating_model,
        **kwargs,
    )


def load_model(model_uri: str, dst_path: str | None = None) -> RatingModel:
    """Load the native :class:`RatingModel` from a local folder or any MLflow model URI."""
    from mlflow.tracking.artifact_utils import _download_artifact_from_uri
    from mlflow.utils.model_utils import _get_flavor_configuration

    local = Path(_download_artifact_from_uri(artifact_uri=model_uri, output_path=dst_path))
    conf = _get_flavor_configuration(model_path=str(local), flavor_name=FLAVOR_NAME)
    return read_parts(local / Path(conf["data"]).parent)


class RatingModelWrapper:
    """The pyfunc face of a :class:`RatingModel` (what ``mlflow.pyfunc`` calls)."""

    def __init__(self, model: RatingModel) -> None:
        self.model = model

    def get_raw_model(self) -> RatingModel:
        """The native model."""
        return self.model

    def predict(self, data: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """``score, pd, grade, …, reason_1…`` of every row."""
        return self.model.predict(data)


def _load_pyfunc(path: str) -> RatingModelWrapper:
    """Called by ``mlflow.pyfunc.load_model`` with the path of the flavor's data file."""
    return RatingModelWrapper(read_parts(Path(path).parent))
