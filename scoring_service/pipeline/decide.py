"""Stage (b) of the pipeline: inputs → champion → knockouts → grade → limit → decision rows.

:func:`decide` is pure and vectorised: the same frame and the same versions give the same
decisions (ids and time aside), for one household online or a million in the batch job.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import PBOC_CATALOG_VERSION
from bureau_adapters.qianhai.feature_specs import CATALOG_VERSION as QH_CATALOG_VERSION
from credit_limit import EffectivePolicy, limit_columns
from model_registry.serving import LoadedModel
from scoring_service.exceptions import InputError
from scoring_service.pipeline.frames import Part, assemble, plain_parts
from scoring_service.pipeline.inputs import (
    QIANHAI_COLUMNS,
    SURVEY_COLUMNS,
    TypedInputs,
    hex_ids,
    typed_inputs,
)

__all__ = ["OUTCOME_COLUMNS", "DecisionContext", "catalog_versions", "decide", "decide_records"]

#: Columns that make up the decision itself (compared by replay).
OUTCOME_COLUMNS: tuple[str, ...] = (
    "score",
    "pd",
    "model_grade",
    "grade",
    "escalate",
    "knockout",
    "reasons",
    "limit",
    "binding",
    "capacity_income",
    "capacity_assets",
    "need",
    "debt_deduction",
    "village_coef",
    "cap_grade",
    "cap_product",
    "cap_regulatory",
)
_LINEAGE_COLUMNS = (
    "model_name",
    "model_version",
    "model_hash",
    "policy_bank_hash",
    "policy_federation_hash",
    "feature_catalog_version",
)


@dataclass(frozen=True)
class DecisionContext:
    """The versions a decision depends on.

    Parameters
    ----------
    bank_code : str
        The bank whose policy applies; every row must belong to it.
    policy : EffectivePolicy
        Red lines plus the bank policy (cut-offs, limits).
    model : LoadedModel
        The champion (name, version, content hash, model).
    decided_at : datetime, optional
        Decision time stamped on every row (default: now, UTC).
    feature_catalog_version : str
        The base bureau feature catalog the inputs follow (PBOC's). A row that holds a
        Qianhai feature value is stamped ``<base>+qh-features/1`` (see
        :func:`catalog_versions`); replay passes the stored stamp's base.
    """

    bank_code: str
    policy: EffectivePolicy
    model: LoadedModel
    decided_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    feature_catalog_version: str = PBOC_CATALOG_VERSION


_PASS_THROUGH = ("household_id", "business_ref", "report_ids")
#: limit-term columns of the limit engine's answer, kept as float64
_TERMS = OUTCOME_COLUMNS[9:]
_SURVEY_STR = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "str")
_SURVEY_NUMBERS = tuple(c for c, k in SURVEY_COLUMNS.items() if k in ("int", "float"))
_SURVEY_BOOL = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "bool")
#: up to this many rows, text columns are handled per value (cheaper than pandas calls)
_FEW = 16


def catalog_versions(base: str, qianhai_used: np.ndarray) -> np.ndarray:
    """The feature-catalog stamp of each row: ``base`` (e.g. ``pboc-features/1``), or
    ``base+qh-features/1`` where ``qianhai_used`` (the row holds a Qianhai feature value)."""
    base = base.split("+")[0]
    out = np.empty(len(qianhai_used), dtype=object)
    out.fill(base)
    out[np.asarray(qianhai_used, dtype=bool)] = f"{base}+{QH_CATALOG_VERSION}"
    return out


def _qianhai_used(inputs: TypedInputs) -> np.ndarray:
    """Rows with at least one Qianhai feature value (the block's last columns)."""
    block = inputs.numbers[:, inputs.numbers.shape[1] - len(QIANHAI_COLUMNS) :]
    return ~np.isnan(block).all(axis=1)


def _grades(pd_values: np.ndarray, knocked: np.ndarray, policy: EffectivePolicy) -> np.ndarray:
    grades = policy.bank.rating.grades_for_pd(pd_values).astype(object)
    grades[knocked] = str(policy.federation.grade_scale[-1])
    return grades


def _text(values: Any, *, blank_missing: bool = False) -> np.ndarray:
    """A column as an ``object`` array of ``str`` (``fillna("").astype(str)`` when
    ``blank_missing``, else ``astype(str)``), per value for a few rows."""
    if len(values) <= _FEW:
        if not isinstance(values, np.ndarray):  # e.g. a Categorical: iterating it costs 4x
            values = np.asarray(values)
        out = np.empty(len(values), dtype=object)
        out[:] = [
            ""
            if blank_missing and (v is None or (not isinstance(v, str) and pd.isna(v)))
            else str(v)
            for v in values
        ]
        return out
    series = pd.Series(values, copy=False)
    if blank_missing:
        series = series.fillna("")
    return series.astype(str).to_numpy(dtype=object)


def _reasons(codes: list[np.ndarray]) -> np.ndarray:
    """Reason codes of each row joined by ``;`` (empty codes dropped at both ends).

    Each distinct combination of codes is joined once (a big book has few of them).
    """
    n = len(codes[0]) if codes else 0
    if n <= _FEW:
        out = np.empty(n, dtype=object)
        out[:] = [";".join(col[i] for col in codes).strip(";") for i in range(n)]
        return out
    keys = np.zeros(n, dtype=np.int64)
    for col in codes:
        idx, levels = pd.factorize(col)
        keys = pd.factorize(keys * (len(levels) + 1) + idx + 1)[0].astype(np.int64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.empty(len(first), dtype=object)
    texts[:] = [";".join(col[i] for col in codes).strip(";") for i in first]
    return texts[inverse.ravel()]


def _decision_ids(n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = [os.urandom(16).hex() for _ in range(n)] if n <= _FEW else hex_ids(n)
    return out


def _limits(
    inputs: TypedInputs, grade: np.ndarray, knockout: np.ndarray, context: DecisionContext
) -> dict[str, Any]:
    """The limit engine's columns for the survey fields, bank grade, product and knockouts
    (named arrays: no frame is built on either side)."""
    strings = inputs.strings[:, 1:]  # bank_code first, then the survey's text fields
    survey: dict[str, Any] = {name: strings[:, j] for j, name in enumerate(_SURVEY_STR)}
    survey |= {name: inputs.flags[:, j] for j, name in enumerate(_SURVEY_BOOL)}
    survey |= {name: inputs.numbers[:, j] for j, name in enumerate(_SURVEY_NUMBERS)}
    survey |= {"grade": grade, "product": survey["requested_product"], "knockout": knockout}
    return limit_columns(survey, context.policy)


def decide(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | TypedInputs, context: DecisionContext
) -> pd.DataFrame:
    """Decisions of every row of ``frame`` under ``context`` (vectorised, no I/O).

    Parameters
    ----------
    frame : DataFrame, sequence of mappings or TypedInputs
        The inputs (:data:`~scoring_service.pipeline.inputs.INPUT_COLUMNS`, optionally
        :data:`~scoring_service.pipeline.inputs.QIANHAI_COLUMNS`; extra columns such as
        ``household_id`` and ``report_ids`` are passed through), as a frame, as rows
        (read directly, numbered from 0), or checked already
        (:func:`~scoring_service.pipeline.gather.gather_inputs`: not checked again).
    context : DecisionContext
        Policy, champion and time.

    Returns
    -------
    DataFrame
        On ``frame``'s index (rows: 0 … n-1): ``decision_id``, ``bank_code``, pass-through columns,
        :data:`OUTCOME_COLUMNS`, lineage (model name, version and hash, policy hashes,
        feature-catalog version per row: ``pboc-features/1``, or
        ``pboc-features/1+qh-features/1`` when the row holds a Qianhai feature value),
        ``inputs_hash`` and ``decided_at``.
    """
    inputs = _checked(frame, context)
    columns, parts = _decision_parts(inputs, context)
    n = len(inputs)
    stamp = np.full(1, pd.Timestamp(context.decided_at))  # the dtype pandas infers, once
    decided_at: Any = pd.DatetimeIndex(stamp).repeat(n).array if n else stamp[:0]
    return assemble([*columns, "decided_at"], inputs.index, [*parts, (("decided_at",), decided_at)])


def decide_records(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | TypedInputs, context: DecisionContext
) -> list[dict[str, Any]]:
    """:func:`decide`'s rows as plain Python values (the online path: a few rows, no frame
    built and read back): the same computation, each row ``{column: value}`` as
    :func:`~scoring_service.pipeline.frames.plain_columns` reads the frame (numpy scalars as
    Python ones, NaN as ``None``, ``decided_at`` a tz-aware :class:`pandas.Timestamp`)."""
    inputs = _checked(frame, context)
    columns, parts = _decision_parts(inputs, context)
    values = plain_parts(parts)
    stamp = pd.Timestamp(context.decided_at)
    by_row = zip(*(values[c] for c in columns), strict=True)
    return [dict(zip(columns, row, strict=True), decided_at=stamp) for row in by_row]


def _checked(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | TypedInputs, context: DecisionContext
) -> TypedInputs:
    inputs = frame if isinstance(frame, TypedInputs) else typed_inputs(frame, keep=_PASS_THROUGH)
    if not (inputs.strings[:, 0] == context.bank_code).all():
        raise InputError(
            f"Every row must belong to bank {context.bank_code}; the frame holds others.",
            field="bank_code",
        )
    return inputs


def _decision_parts(inputs: TypedInputs, context: DecisionContext) -> tuple[list[str], list[Part]]:
    """Every decision column but ``decided_at`` (names in order, and the typed parts)."""
    model = context.model
    # the model reads features only (no pass-through columns); its answer: named arrays
    read = model.predict_columns(inputs.frame(kept=False)).__getitem__
    knockout = _text(read("knockout"), blank_missing=True)
    knocked = knockout != ""
    pd_values = np.asarray(read("pd"), dtype=np.float64)
    grade = _grades(pd_values, knocked, context.policy)
    limits = _limits(inputs, grade, knockout, context)
    terms = limits.__getitem__
    n = len(inputs)
    reasons = [
        _text(read(f"reason_{i + 1}"), blank_missing=True) for i in range(model.model.n_reasons)
    ]
    lineage = (
        model.name,
        int(model.version),
        model.content_hash,
        context.policy.bank_hash,
        context.policy.federation_hash,
    )
    texts = {
        "decision_id": _decision_ids(n),
        "bank_code": inputs.strings[:, 0],
        "model_grade": _text(read("grade")),
        "grade": _text(grade),
        "knockout": knockout,
        "reasons": _reasons(reasons),
        "binding": _text(terms("binding")),
        **{
            name: _repeat(value, n)
            for name, value in zip(_LINEAGE_COLUMNS[:-1], lineage, strict=True)
            if isinstance(value, str)
        },
        "feature_catalog_version": catalog_versions(
            context.feature_catalog_version, _qianhai_used(inputs)
        ),
        "inputs_hash": inputs.hash().astype(object),
    }
    numbers = np.empty((n, 2 + len(_TERMS)), dtype=np.float64, order="F")
    numbers[:, 0] = np.asarray(read("score"), dtype=np.float64)
    numbers[:, 1] = pd_values
    for j, name in enumerate(_TERMS):
        numbers[:, 2 + j] = np.asarray(terms(name), dtype=np.float64)
    columns = [
        "decision_id",
        "bank_code",
        *inputs.kept,
        *OUTCOME_COLUMNS,
        *_LINEAGE_COLUMNS,
        "inputs_hash",
    ]
    parts: list[Part] = [
        (list(texts), _object_block(list(texts.values()), n)),
        *(([name], values) for name, values in inputs.kept.items()),  # their own dtypes
        (("score", "pd", *_TERMS), numbers),
        (("escalate",), np.asarray(read("escalate"), dtype=bool)),
        (
            ("limit", "model_version"),
            np.column_stack(
                [np.asarray(terms("limit"), dtype=np.int64), np.full(n, lineage[1], dtype=np.int64)]
            ),
        ),
    ]
    return columns, parts


def _repeat(value: str, n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(value)  # not np.full: that converts value by value
    return out


def _object_block(columns: list[np.ndarray], n: int) -> np.ndarray:
    block = np.empty((n, len(columns)), dtype=object, order="F")
    for j, values in enumerate(columns):
        block[:, j] = values
    return block
