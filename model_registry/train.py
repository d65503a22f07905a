"""Train a :class:`~model_registry.bundle.RatingModel` from a feature table and outcomes.

The statistical card is the scorecard engine with its defaults
(:class:`rating_models.Scorecard`); the expert card (optional) gets its score-to-PD
calibration fitted on the same development rows; the grade calibration and the development
profile come from the development rows rated by the finished model. A random hold-out (the
test set) gives the metrics recorded as lineage and is the default evidence of the
promotion gate.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model_registry.bundle import DevelopmentProfile, RatingModel
from model_registry.exceptions import EvidenceError
from rating_models import Scorecard
from rating_models.expert import ExpertCard
from rating_models.metrics import auc, ks
from rating_models.rating import (
    GradeScale,
    KnockoutRule,
    PDCalibration,
    ReasonCatalog,
    calibrate_grades,
)

__all__ = ["TrainingResult", "data_hash", "evaluate", "train_rating_model"]

#: columns never used as features: identifiers, personal data, dates, bookkeeping
NON_FEATURES: tuple[str, ...] = (
    "household_id",
    "bank_code",
    "village_id",
    "head_name",
    "id_type",
    "id_number",
    "phone",
    "survey_date",
    "thin_file",
    "true_pd",
)


@dataclass(frozen=True)
class TrainingResult:
    """A trained model, its hold-out metrics and the rows used.

    ``test`` holds the hold-out rows (every candidate feature and the model's inputs, no
    identifiers or personal data, plus the target column ``target``): the evidence the promotion gate reads by default. ``dropped`` names every
    column that did not become a feature, with the reason.
    """

    model: RatingModel
    metrics: dict[str, float]
    test: pd.DataFrame
    target: str
    training_data_sha256: str
    dropped: dict[str, str]


def data_hash(frame: pd.DataFrame) -> str:
    """``sha256:<hex>`` of a table's content (column names, dtypes and values, in order)."""
    digest = hashlib.sha256()
    digest.update("\x1f".join(f"{c}:{frame[c].dtype}" for c in frame.columns).encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return "sha256:" + digest.hexdigest()


def evaluate(model: RatingModel, frame: pd.DataFrame, y: Any) -> dict[str, float]:
    """AUC and KS of the model's PD on a labelled sample, with its size and bad rate."""
    target = np.asarray(y, dtype=np.float64)
    rated = model.predict(frame)
    p = rated["pd"].to_numpy(dtype=np.float64)
    return {
        "auc": auc(target, p),
        "ks": ks(target, p),
        "n": float(target.size),
        "bad_rate": float(target.mean()),
    }


def _feature_columns(
    frame: pd.DataFrame, exclude: Sequence[str]
) -> tuple[list[str], dict[str, str]]:
    """Candidate features, and the columns left out with the reason."""
    skip = set(NON_FEATURES) | set(exclude)
    keep: list[str] = []
    skipped: dict[str, str] = {}
    for name in frame.columns:
        col = frame[name]
        if name in skip:
            skipped[name] = "identifier, personal data or excluded"
        elif pd.api.types.is_datetime64_any_dtype(col.dtype):
            skipped[name] = "date column"
        elif col.isna().all():
            skipped[name] = "no values"
        else:
            keep.append(name)
    return keep, skipped


def _split(
    frame: pd.DataFrame, test_share: float, seed: int, key: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """Development and hold-out row positions.

    With a ``key`` column (``household_id``) a row is held out when the hash of its key falls
    under ``test_share``: the same household lands on the same side in every training run
    with the same seed, so two versions trained on overlapping data are compared on rows
    neither was fitted on. Without a key, a seeded random permutation.
    """
    if key is not None and key in frame.columns:
        hashed = pd.util.hash_pandas_object(
            frame[key].astype(str), index=False, hash_key=f"nongxin{seed:09d}"[:16]
        ).to_numpy()
        held = (hashed % np.uint64(1_000_000)).astype(np.float64) / 1e6 < test_share
        return np.flatnonzero(~held), np.flatnonzero(held)
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(len(frame) * (1.0 - test_share))
    return np.sort(order[:cut]), np.sort(order[cut:])


def _checked_split(
    frame: pd.DataFrame, target: np.ndarray, test_share: float, seed: int, key: str | None
) -> tuple[np.ndarray, np.ndarray]:
    if target.size != len(frame) or not np.isin(target, (0.0, 1.0)).all():
        raise EvidenceError("The outcome must be 0/1 with one value per row.", field="y")
    if not 0.0 < test_share < 1.0:
        raise EvidenceError(f"'test_share' must be in (0, 1). Got {test_share!r}.")
    tr, te = _split(frame, test_share, seed, key)
    if min(tr.size, te.size) == 0 or np.unique(target[te]).size < 2:
        raise EvidenceError(
            f"The hold-out of {te.size} rows needs both outcomes; raise 'test_share' or add data.",
            field="test_share",
        )
    return tr, te


def _calibrated(base: RatingModel, dev: pd.DataFrame, dev_y: np.ndarray) -> RatingModel:
    """Fit the expert card's PD calibration, then the grade calibration and the profile."""
    if base.expert is not None:
        calibration = PDCalibration.fit(base.expert_score(dev), dev_y)
        base = dataclasses.replace(base, expert=base.expert.with_calibration(calibration))
    rated = base.predict(dev)
    return dataclasses.replace(
        base,
        grade_calibration=calibrate_grades(dev_y, rated["pd"].to_numpy(), base.scale),
        development=DevelopmentProfile.from_rated(rated, base.scale.grades),
    )


def train_rating_model(
    frame: pd.DataFrame,
    y: Any,
    *,
    name: str,
    scale: GradeScale,
    expert: ExpertCard | None = None,
    mode: str = "statistical",
    expert_weight: float = 0.5,
    knockouts: Sequence[KnockoutRule] = (),
    reason_catalog: ReasonCatalog | None = None,
    feature_catalog_version: str | None = None,
    exclude: Sequence[str] = (),
    test_share: float = 0.3,
    seed: int = 0,
    key: str | None = "household_id",
    scorecard: Scorecard | None = None,
) -> TrainingResult:
    """Fit the statistical card (and calibrate the expert card) and assemble the model.

    Parameters
    ----------
    frame : pandas.DataFrame
        Feature table (survey joined with bureau features); identifier and personal columns
        (:data:`NON_FEATURES`) and ``exclude`` are never features.
    y : array-like of 0/1
        Outcome per row (1 = bad).
    name, scale, expert, mode, expert_weight, knockouts, reason_catalog, feature_catalog_version
        See :class:`RatingModel`.
    test_share : float
        Share of rows held out as the test set (0 < share < 1).
    seed : int
        Seed of the hold-out split.
    key : str, optional
        Column whose hash decides the hold-out (stable across versions); without it, or
        when the data lack it, a seeded random split.
    scorecard : Scorecard, optional
        The statistical estimator (default: ``Scorecard()``, the engine's defaults).
    """
    target = np.asarray(y, dtype=np.float64)
    tr, te = _checked_split(frame, target, test_share, seed, key)
    dev, dev_y = frame.iloc[tr], target[tr]
    columns, skipped = _feature_columns(dev, exclude)
    card = (scorecard or Scorecard()).fit(dev[columns], dev_y)
    spec = dataclasses.replace(
        card.spec_, name=name, feature_catalog_version=feature_catalog_version
    )
    base = RatingModel(
        name=name,
        scale=scale,
        mode=mode if expert is not None else "statistical",
        statistical=spec,
        expert=expert,
        expert_weight=expert_weight,
        knockouts=tuple(knockouts),
        reason_catalog=reason_catalog,
        feature_catalog_version=feature_catalog_version,
    )
    model = _calibrated(base, dev, dev_y)
    test = frame.iloc[te]
    metrics = {f"train_{k}": v for k, v in evaluate(model, dev, dev_y).items()}
    metrics |= {f"test_{k}": v for k, v in evaluate(model, test, target[te]).items()}
    usable = [c for c in frame.columns if c not in NON_FEATURES]  # no identifiers, no PII
    keep = list(dict.fromkeys([*model.input_columns, *usable]))
    evidence = test[keep].assign(target=target[te].astype(int))
    return TrainingResult(
        model,
        metrics,
        evidence.reset_index(drop=True),
        "target",
        data_hash(frame.assign(__outcome__=target.astype(np.int64))),
        {**skipped, **card.dropped_features_},
    )
