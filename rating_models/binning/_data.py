"""Input checks shared by the estimators: X as a DataFrame of named columns, y as 0/1."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d, validate_data

from rating_models.exceptions import InvalidDataError

__all__ = ["as_frame", "binary_target", "feature_kind", "resolve_n_jobs"]


def as_frame(estimator: BaseEstimator, X: Any, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame with string column names; records or checks the feature names."""
    if not isinstance(X, pd.DataFrame) and len(getattr(X, "shape", (0, 0))) == 1:
        raise InvalidDataError(
            "Expected a 2-D table (rows x features), got a 1-D array. Reshape your data with "
            "array.reshape(-1, 1) for one feature or array.reshape(1, -1) for one row."
        )
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except ValueError as exc:
        raise InvalidDataError(str(exc), estimator=type(estimator).__name__) from exc
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        try:
            arr = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=1)
        except ValueError as exc:
            raise InvalidDataError(str(exc), estimator=type(estimator).__name__) from exc
        names = getattr(estimator, "feature_names_in_", None)
        columns = list(names) if names is not None else [f"x{i}" for i in range(arr.shape[1])]
        frame = pd.DataFrame(arr, columns=columns, copy=False)
    if frame.shape[0] == 0:
        raise InvalidDataError(
            f"Found array with 0 sample(s) while {type(estimator).__name__} needs at least 1.",
        )
    if frame.shape[1] == 0:
        raise InvalidDataError("Found array with 0 feature(s); at least 1 is required.")
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.set_axis([str(c) for c in frame.columns], axis=1)
    return frame


def binary_target(y: Any, n_rows: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    """``y`` as 0/1 floats (1 = the second class in sorted order, the "bad") and the classes."""
    if y is None:
        raise InvalidDataError("The estimator requires y to be passed, but the target y is None.")
    arr = column_or_1d(y, warn=True)
    try:
        if arr.dtype.kind == "f":
            assert_all_finite(arr, input_name="y")
        check_classification_targets(arr)
        y_type = type_of_target(arr, input_name="y", raise_unknown=True)
    except ValueError as exc:
        raise InvalidDataError(str(exc), field="y") from exc
    if y_type != "binary":
        raise InvalidDataError(
            "Only binary classification is supported (a good and a bad class). "
            f"The type of the target is {y_type}.",
            field="y",
        )
    if arr.shape[0] != n_rows:
        raise InvalidDataError(f"X has {n_rows} rows but y has {arr.shape[0]}.", field="y")
    if pd.isna(arr).any():
        raise InvalidDataError("The target y has missing values.", field="y")
    classes, codes = np.unique(arr, return_inverse=True)
    if classes.size != 2:
        raise InvalidDataError(
            f"The target must have exactly 2 classes (good, bad); got {classes.size} class(es).",
            field="y",
            n_classes=int(classes.size),
        )
    return codes.astype(np.float64), classes


def feature_kind(column: pd.Series, forced_categorical: bool) -> str:
    """``"numeric"`` or ``"categorical"`` from the dtype; bools are numeric 0/1."""
    dtype = column.dtype
    if forced_categorical:
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_complex_dtype(dtype):
            raise InvalidDataError(f"Complex data not supported (column {column.name!r}).")
        return "numeric"
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    if dtype is np.dtype(object):
        return "categorical"
    raise InvalidDataError(
        f"Column {column.name!r} has dtype {dtype}, which is neither numeric nor categorical.",
        column=str(column.name),
    )


def resolve_n_jobs(n_jobs: int | None, n_tasks: int) -> int:
    """Worker threads: None -> 1, -1 -> all cores; never more than the tasks."""
    if n_jobs is None:
        return 1
    cores = os.cpu_count() or 1
    wanted = cores if n_jobs == -1 else n_jobs
    return max(1, min(wanted, n_tasks))
