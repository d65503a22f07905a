"""Stage (b) of the pipeline: inputs → champion → knockouts → grade → limit → decision rows.

:func:`decide` is pure and vectorised: the same frame and the same versions give the same
decisions (ids and time aside), for one household online or a million in the batch job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import PBOC_CATALOG_VERSION
from credit_limit import EffectivePolicy, compute_limits
from model_registry.serving import LoadedModel
from scoring_service.exceptions import InputError
from scoring_service.pipeline.inputs import SURVEY_COLUMNS, hex_ids, input_frame, inputs_hash

__all__ = ["OUTCOME_COLUMNS", "DecisionContext", "decide"]

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
        Bureau feature catalog the inputs follow.
    """

    bank_code: str
    policy: EffectivePolicy
    model: LoadedModel
    decided_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    feature_catalog_version: str = PBOC_CATALOG_VERSION


def _grades(pd_values: np.ndarray, knocked: np.ndarray, policy: EffectivePolicy) -> np.ndarray:
    grades = policy.bank.rating.grades_for_pd(pd_values).astype(object)
    grades[knocked] = str(policy.federation.grade_scale[-1])
    return grades


def _reasons(rated: pd.DataFrame, n: int) -> np.ndarray:
    """Reason codes of each row joined by ``;`` (empty codes dropped).

    Each distinct combination of codes is joined once (a big book has few of them).
    """
    cols = [
        rated[f"reason_{i + 1}"].fillna("").astype(str).to_numpy(dtype=object) for i in range(n)
    ]
    keys = np.zeros(len(rated), dtype=np.int64)
    for col in cols:
        idx, levels = pd.factorize(col)
        keys = pd.factorize(keys * (len(levels) + 1) + idx + 1)[0].astype(np.int64)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.empty(len(first), dtype=object)
    texts[:] = [";".join(col[i] for col in cols).strip(";") for i in first]
    return texts[inverse.ravel()]


def decide(frame: pd.DataFrame, context: DecisionContext) -> pd.DataFrame:
    """Decisions of every row of ``frame`` under ``context`` (vectorised, no I/O).

    Parameters
    ----------
    frame : DataFrame
        The inputs (:data:`~scoring_service.pipeline.inputs.INPUT_COLUMNS`; extra columns
        such as ``household_id`` and ``report_ids`` are passed through).
    context : DecisionContext
        Policy, champion and time.

    Returns
    -------
    DataFrame
        On ``frame``'s index: ``decision_id``, ``bank_code``, pass-through columns,
        :data:`OUTCOME_COLUMNS`, lineage (model name, version and hash, policy hashes,
        feature-catalog version), ``inputs_hash`` and ``decided_at``.
    """
    inputs = input_frame(frame)
    if not (inputs["bank_code"] == context.bank_code).all():
        raise InputError(
            f"Every row must belong to bank {context.bank_code}; the frame holds others.",
            field="bank_code",
        )
    model = context.model
    rated = model.predict(inputs)
    knockout = rated["knockout"].fillna("").astype(str).to_numpy()
    knocked = knockout != ""
    pd_values = rated["pd"].to_numpy(dtype=np.float64)
    grade = _grades(pd_values, knocked, context.policy)
    survey = inputs[list(SURVEY_COLUMNS)]  # the limit engine reads survey columns only
    limits = compute_limits(
        survey.assign(grade=grade, product=survey["requested_product"], knockout=knockout),
        context.policy,
    )
    n = len(frame)
    cols: dict[str, Any] = {"decision_id": hex_ids(n), "bank_code": inputs["bank_code"].to_numpy()}
    for name in ("household_id", "business_ref", "report_ids"):
        if name in frame.columns:
            cols[name] = frame[name].to_numpy()
    cols |= {
        "score": rated["score"].to_numpy(dtype=np.float64),
        "pd": pd_values,
        "model_grade": rated["grade"].astype(str).to_numpy(),
        "grade": grade.astype(str),
        "escalate": rated["escalate"].to_numpy(dtype=bool),
        "knockout": knockout,
        "reasons": _reasons(rated, model.model.n_reasons),
        "limit": limits["limit"].to_numpy(dtype=np.int64),
        "binding": limits["binding"].astype(str).to_numpy(),
    }
    cols |= {name: limits[name].to_numpy(dtype=np.float64) for name in OUTCOME_COLUMNS[9:]}
    lineage = (
        model.name,
        int(model.version),
        model.content_hash,
        context.policy.bank_hash,
        context.policy.federation_hash,
        context.feature_catalog_version,
    )
    for name, value in zip(_LINEAGE_COLUMNS, lineage, strict=True):
        cols[name] = np.empty(n, dtype=object if isinstance(value, str) else np.int64)
        cols[name].fill(value)
    cols["inputs_hash"] = inputs_hash(inputs)
    stamp = np.full(1, pd.Timestamp(context.decided_at))  # the dtype pandas infers, once
    cols["decided_at"] = pd.DatetimeIndex(stamp).repeat(n) if n else stamp[:0]
    out = pd.DataFrame(cols, index=frame.index)
    return out
