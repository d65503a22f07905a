"""``RatingModel``: the unit the registry versions — everything that turns a household into a grade.

A rating model bundles a statistical :class:`~rating_models.scorecard.ScorecardSpec` and/or an
:class:`~rating_models.expert.ExpertCard` (with its PD calibration), the combination mode and
expert weight, the grade cut-offs (:class:`~rating_models.rating.GradeScale`), the grade
calibration, the knockouts, the reason-code catalog, the feature-catalog version and a
development profile (score quantiles and grade counts on the development sample, the base of
the PSI checks of the promotion gate). It is a frozen value with ``to_dict``/``from_dict``; the
MLflow flavor writes its parts as plain JSON files (:mod:`model_registry.flavor`).

``predict`` runs the model's compiled :class:`~rating_models.rating.engine.RatingEngine` (the
engine of :func:`rating_models.rating.pipeline.rate_households`) and returns one row per
household: ``score, pd, grade, grade_pd, escalate, knockout, reason_1 … reason_n``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from model_registry.exceptions import ModelFormatError
from rating_models.exceptions import RatingModelsError
from rating_models.expert import ExpertCard, indicator_inputs
from rating_models.rating import (
    GradeCalibration,
    GradeScale,
    KnockoutRule,
    ReasonCatalog,
)
from rating_models.rating.engine import RatingEngine
from rating_models.rating.pipeline import RatingSetup
from rating_models.scorecard import ScorecardSpec

__all__ = ["SCHEMA_VERSION", "DevelopmentProfile", "RatingModel"]

SCHEMA_VERSION = "nongxin.rating-model/1"
_N_QUANTILES = 1000


@dataclass(frozen=True)
class DevelopmentProfile:
    """Score quantiles and grade counts on the development sample (the base of PSI checks)."""

    score_quantiles: tuple[float, ...]
    grade_counts: dict[str, int]
    n: int

    @classmethod
    def from_rated(cls, rated: pd.DataFrame, grades: Sequence[str]) -> DevelopmentProfile:
        """Profile of a development sample rated by :meth:`RatingModel.predict`."""
        score = rated["score"].to_numpy(dtype=np.float64)
        q = np.quantile(score, np.linspace(0.0, 1.0, _N_QUANTILES + 1)) if score.size else []
        counts = rated["grade"].value_counts()
        return cls(
            score_quantiles=tuple(float(v) for v in q),
            grade_counts={g: int(counts.get(g, 0)) for g in grades},
            n=len(rated),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "score_quantiles": list(self.score_quantiles),
            "grade_counts": dict(self.grade_counts),
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DevelopmentProfile:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(float(v) for v in data["score_quantiles"]),
            {str(k): int(v) for k, v in data["grade_counts"].items()},
            int(data["n"]),
        )


@dataclass(frozen=True)
class RatingModel:
    """A complete rating model: cards, mode, cut-offs, calibration, knockouts, reasons.

    Parameters
    ----------
    name : str
        Model name (``farmer-rating``).
    scale : GradeScale
        Grade cut-offs (maximum PD per grade).
    mode : str
        Combination mode (:data:`rating_models.rating.MODES`).
    statistical, expert
        The statistical card (with a scaling) and/or the expert card (with a PD calibration).
    expert_weight : float
        Weight of the expert card in ``blend``.
    grade_calibration : GradeCalibration, optional
        PD per grade from the development sample (adds ``grade_pd``).
    knockouts : tuple of KnockoutRule
        Rules forcing the lowest grade.
    reason_catalog : ReasonCatalog, optional
        Codes and texts of the reasons (``X:<feature>`` codes without one).
    n_reasons : int
        Reasons per household.
    feature_catalog_version : str, optional
        Version of the bureau feature catalog the inputs follow (``pboc-features/1``).
    development : DevelopmentProfile, optional
        Score quantiles and grade counts on the development sample.
    """

    name: str
    scale: GradeScale
    mode: str = "statistical"
    statistical: ScorecardSpec | None = None
    expert: ExpertCard | None = None
    expert_weight: float = 0.5
    grade_calibration: GradeCalibration | None = None
    knockouts: tuple[KnockoutRule, ...] = ()
    reason_catalog: ReasonCatalog | None = None
    n_reasons: int = 4
    feature_catalog_version: str | None = None
    development: DevelopmentProfile | None = field(default=None, compare=False)
    schema_version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.statistical is None and self.expert is None:
            raise ModelFormatError(
                f"Rating model {self.name!r} needs a statistical card, an expert card or both.",
                field="statistical",
            )
        if self.schema_version != SCHEMA_VERSION:
            raise ModelFormatError(
                f"Rating model schema_version must be {SCHEMA_VERSION!r}. "
                f"Got {self.schema_version!r}.",
                field="schema_version",
            )
        try:  # validates mode and n_reasons now, not at the first predict
            self.setup  # noqa: B018
        except RatingModelsError as exc:
            raise ModelFormatError(f"Rating model {self.name!r}: {exc}", field="setup") from exc

    @cached_property
    def setup(self) -> RatingSetup:
        """The :class:`RatingSetup` the pipeline runs with."""
        return RatingSetup(
            self.scale,
            mode=self.mode,
            expert_weight=self.expert_weight,
            knockouts=self.knockouts,
            grade_calibration=self.grade_calibration,
            n_reasons=self.n_reasons,
        )

    @property
    def input_columns(self) -> list[str]:
        """Every column ``predict`` reads, in a fixed order (cards, then knockouts)."""
        cols: list[str] = []
        if self.statistical is not None:
            cols += self.statistical.feature_names
        if self.expert is not None:
            cols += list(self.expert.input_columns)
        cols += [r.column for r in self.knockouts]
        return list(dict.fromkeys(cols))

    @property
    def reason_columns(self) -> list[str]:
        """``reason_1 … reason_n``."""
        return [f"reason_{i + 1}" for i in range(self.n_reasons)]

    @property
    def output_columns(self) -> list[str]:
        """Columns of :meth:`predict`, in order."""
        extra = ["grade_pd"] if self.grade_calibration is not None else []
        return ["score", "pd", "grade", *extra, "escalate", "knockout", *self.reason_columns]

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Rate every row: score, PD, grade, escalation, knockouts and reason codes.

        ``score`` is the statistical card's score (the expert card's when there is no
        statistical card); ``pd`` the combined PD the grade comes from.
        """
        return self.engine.predict_frame(frame, self.output_columns)

    def predict_columns(self, frame: pd.DataFrame) -> dict[str, Any]:
        """:meth:`predict`'s columns as named arrays, in :attr:`output_columns` order (the
        same values; no frame is built)."""
        return self.engine.predict_columns(frame, self.output_columns)

    @cached_property
    def engine(self) -> RatingEngine:
        """The compiled :class:`~rating_models.rating.engine.RatingEngine` (built once).

        ``predict`` runs it directly: the same values as
        :func:`~rating_models.rating.pipeline.rate_households`, without the columns the
        model does not return (card PDs and grades, reason texts).
        """
        return RatingEngine(
            self.setup,
            statistical=self.statistical,
            expert=self.expert,
            catalog=self.reason_catalog,
        )

    def expert_score(self, frame: pd.DataFrame) -> np.ndarray:
        """The expert card's score of every row (for calibration and reports)."""
        if self.expert is None:
            raise ModelFormatError(f"Rating model {self.name!r} has no expert card.")
        from rating_models.expert import to_spec

        return to_spec(self.expert).score(indicator_inputs(self.expert, frame))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (every part by its own ``to_dict``)."""

        def part(value: Any) -> Any:
            return None if value is None else value.to_dict()

        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "mode": self.mode,
            "expert_weight": self.expert_weight,
            "n_reasons": self.n_reasons,
            "feature_catalog_version": self.feature_catalog_version,
            "scale": self.scale.to_dict(),
            "grade_calibration": part(self.grade_calibration),
            "knockouts": [r.to_dict() for r in self.knockouts],
            "statistical": part(self.statistical),
            "expert": part(self.expert),
            "reason_catalog": part(self.reason_catalog),
            "development": part(self.development),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RatingModel:
        """Inverse of :meth:`to_dict`; a malformed bundle raises :class:`ModelFormatError`."""
        if not isinstance(data, Mapping) or data.get("schema_version") != SCHEMA_VERSION:
            got = data.get("schema_version") if isinstance(data, Mapping) else type(data).__name__
            raise ModelFormatError(
                f"A rating model needs schema_version {SCHEMA_VERSION!r}. Got {got!r}.",
                field="schema_version",
            )
        try:
            return cls(
                name=str(data["name"]),
                scale=GradeScale.from_dict(data["scale"]),
                mode=str(data["mode"]),
                statistical=_opt(ScorecardSpec.from_dict, data.get("statistical")),
                expert=_opt(ExpertCard.from_dict, data.get("expert")),
                expert_weight=float(data["expert_weight"]),
                grade_calibration=_opt(GradeCalibration.from_dict, data.get("grade_calibration")),
                knockouts=tuple(KnockoutRule.from_dict(r) for r in data.get("knockouts", [])),
                reason_catalog=_opt(ReasonCatalog.from_dict, data.get("reason_catalog")),
                n_reasons=int(data["n_reasons"]),
                feature_catalog_version=data.get("feature_catalog_version"),
                development=_opt(DevelopmentProfile.from_dict, data.get("development")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"Malformed rating model ({exc!r}).") from exc

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, exact floats)."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False)

    @cached_property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the canonical JSON: stamp it on every decision."""
        return "sha256:" + hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()


def _opt(parse: Any, value: Any) -> Any:
    return None if value is None else parse(value)
