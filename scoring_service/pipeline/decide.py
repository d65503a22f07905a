"""Stage (b) of the pipeline: inputs → champion → knockouts → grade → limit → decision rows.

:func:`decide` is pure and vectorised: the same frame and the same versions give the same
decisions (ids and time aside), for one household online or a million in the batch job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import PBOC_CATALOG_VERSION
from credit_limit import EffectivePolicy, compute_limits
from model_registry.serving import LoadedModel
from scoring_service.exceptions import InputError
from scoring_service.pipeline.inputs import hex_ids, input_frame, inputs_hash

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
    """Reason codes of each row joined by ``;`` (empty codes dropped)."""
    cols = [rated[f"reason_{i + 1}"].fillna("").astype(str).to_numpy() for i in range(n)]
    joined = cols[0]
    for col in cols[1:]:
        joined = np.char.add(np.char.add(joined.astype(str), ";"), col.astype(str))
    return np.char.strip(np.asarray(joined, dtype=str), ";")


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
    limits = compute_limits(
        inputs.assign(grade=grade, product=inputs["requested_product"], knockout=knockout),
        context.policy,
    )
    out = pd.DataFrame(index=frame.index)
    out["decision_id"] = hex_ids(len(frame))
    out["bank_code"] = inputs["bank_code"]
    for name in ("household_id", "business_ref", "report_ids"):
        if name in frame.columns:
            out[name] = frame[name].to_numpy()
    out["score"] = rated["score"].to_numpy(dtype=np.float64)
    out["pd"] = pd_values
    out["model_grade"] = rated["grade"].astype(str).to_numpy()
    out["grade"] = grade.astype(str)
    out["escalate"] = rated["escalate"].to_numpy(dtype=bool)
    out["knockout"] = knockout
    out["reasons"] = _reasons(rated, model.model.n_reasons)
    out["limit"] = limits["limit"].to_numpy(dtype=np.int64)
    out["binding"] = limits["binding"].astype(str).to_numpy()
    for name in OUTCOME_COLUMNS[9:]:
        out[name] = limits[name].to_numpy(dtype=np.float64)
    lineage = (
        model.name,
        int(model.version),
        model.content_hash,
        context.policy.bank_hash,
        context.policy.federation_hash,
        context.feature_catalog_version,
    )
    for name, value in zip(_LINEAGE_COLUMNS, lineage, strict=True):
        out[name] = value
    out["inputs_hash"] = inputs_hash(inputs)
    out["decided_at"] = pd.Timestamp(context.decided_at)
    return out
