"""Score → PD → grade, and a PD per grade calibrated on the development sample.

* :class:`PDCalibration` maps a score to a PD by a logistic curve, either from a statistical
  card's points scaling (base points, base odds, PDO) or fitted on a development sample (the
  way an expert card, whose points are not log-odds, gets a PD).
* :class:`GradeScale` holds a bank's cut-offs as the **maximum PD of each grade**, best grade
  first; the last grade (``E``, 级外, no credit) takes everything above.
* :class:`GradeCalibration` is the PD of each grade observed on the development sample
  (bad rate shrunk towards the grade's cut-off interval, made monotone by pooling adjacent
  violators), so an ``A`` means the same risk at every bank whatever its cut-offs.

Examples
--------
>>> scale = GradeScale(max_pd=(0.01, 0.03, 0.08, 0.20, 1.0))
>>> scale.grade([0.005, 0.03, 0.5]).tolist()
['A', 'B', 'E']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from rating_models.exceptions import InvalidDataError, InvalidParameterError, SpecError

__all__ = [
    "DEFAULT_GRADES",
    "GRADE_LABELS_ZH",
    "GradeCalibration",
    "GradeScale",
    "PDCalibration",
    "calibrate_grades",
]

DEFAULT_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")
GRADE_LABELS_ZH: dict[str, str] = {"A": "特级", "B": "优秀", "C": "较好", "D": "一般", "E": "级外"}
SCHEMA_VERSION = 1


def _pd_array(values: ArrayLike, name: str) -> NDArray[np.float64]:
    p = np.asarray(values, dtype=np.float64)
    if np.isnan(p).any():
        raise InvalidDataError(f"'{name}' must not contain missing values.", field=name)
    if ((p < 0) | (p > 1)).any():
        raise InvalidDataError(f"'{name}' must lie in [0, 1].", field=name)
    return p


@dataclass(frozen=True)
class PDCalibration:
    """``pd = 1 / (1 + exp(-(intercept + slope * score)))``.

    A scorecard's points fall as risk rises, so ``slope`` is negative for points; a PD model
    already on the PD scale does not need one.
    """

    intercept: float
    slope: float
    source: str = "fitted"
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def from_scaling(cls, *, base_points: float, base_odds: float, pdo: float) -> PDCalibration:
        """The PD implied by points scaling: ``base_points`` at good:bad odds ``base_odds``,
        odds doubling every ``pdo`` points.

        >>> cal = PDCalibration.from_scaling(base_points=600, base_odds=19, pdo=50)
        >>> round(float(cal.pd([600])[0]), 4)
        0.05
        """
        if base_odds <= 0 or pdo <= 0:
            raise InvalidParameterError(
                f"'base_odds' and 'pdo' must be > 0. Got base_odds={base_odds}, pdo={pdo}.",
                parameter="pdo",
            )
        slope = -math.log(2.0) / pdo
        return cls(
            intercept=-math.log(base_odds) - slope * base_points, slope=slope, source="scaling"
        )

    @classmethod
    def fit(cls, score: ArrayLike, y_true: ArrayLike) -> PDCalibration:
        """Fit an unpenalised logistic regression of the target on the score."""
        from sklearn.linear_model import LogisticRegression

        s = np.asarray(score, dtype=np.float64).reshape(-1, 1)
        y = np.asarray(y_true)
        if np.isnan(s).any() or s.shape[0] != y.size or np.unique(y).size != 2:
            raise InvalidDataError(
                "PD calibration needs aligned, non-missing scores and a 0/1 target with both classes."
            )
        centre, spread = float(s.mean()), float(s.std()) or 1.0
        model = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000)
        model.fit((s - centre) / spread, y)
        slope = float(model.coef_[0, 0]) / spread
        intercept = float(model.intercept_[0]) - slope * centre
        return cls(intercept=intercept, slope=slope, source="fitted")

    def log_odds(self, score: ArrayLike) -> NDArray[np.float64]:
        """Log-odds of bad for each score."""
        return self.intercept + self.slope * np.asarray(score, dtype=np.float64)

    def pd(self, score: ArrayLike) -> NDArray[np.float64]:
        """PD for each score."""
        return 1.0 / (1.0 + np.exp(-self.log_odds(score)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema_version": self.schema_version,
            "intercept": self.intercept,
            "slope": self.slope,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PDCalibration:
        """Inverse of :meth:`to_dict`."""
        _check_schema(data, "PDCalibration")
        return cls(
            float(data["intercept"]), float(data["slope"]), str(data.get("source", "fitted"))
        )


def _check_schema(data: Mapping[str, Any], what: str) -> None:
    if data.get("schema_version") != SCHEMA_VERSION:
        raise SpecError(
            f"{what} schema_version must be {SCHEMA_VERSION}. Got {data.get('schema_version')!r}.",
            field="schema_version",
        )


@dataclass(frozen=True)
class GradeScale:
    """A bank's grade cut-offs as the maximum PD of each grade, best grade first.

    Parameters
    ----------
    max_pd : sequence of float
        Strictly increasing, in (0, 1]; the last must be 1 (the lowest grade takes the rest).
    grades : sequence of str
        Grade names, best first (default ``A``–``E``; ``E`` = 级外, no credit).
    """

    max_pd: tuple[float, ...]
    grades: tuple[str, ...] = DEFAULT_GRADES
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_pd", tuple(float(v) for v in self.max_pd))
        object.__setattr__(self, "grades", tuple(str(g) for g in self.grades))
        cut = np.asarray(self.max_pd)
        if len(self.grades) < 2 or len(set(self.grades)) != len(self.grades):
            raise InvalidParameterError(
                f"'grades' must be at least two distinct names. Got {list(self.grades)}.",
                parameter="grades",
            )
        if cut.size != len(self.grades):
            raise InvalidParameterError(
                f"'max_pd' needs one value per grade {list(self.grades)}. Got {list(self.max_pd)}.",
                parameter="max_pd",
            )
        if not (np.all(np.diff(cut) > 0) and cut[0] > 0 and cut[-1] == 1.0):
            raise InvalidParameterError(
                "'max_pd' must increase strictly from a value > 0 to 1.0 for the lowest grade. "
                f"Got {list(self.max_pd)}.",
                parameter="max_pd",
            )

    @classmethod
    def from_mapping(
        cls, cutoffs: Mapping[str, float], grades: Sequence[str] = DEFAULT_GRADES
    ) -> GradeScale:
        """From ``{"A": 0.01, "B": 0.03, ...}``; the lowest grade may be omitted (then 1.0)."""
        values = [float(cutoffs[g]) if g in cutoffs else math.nan for g in grades]
        if math.isnan(values[-1]):
            values[-1] = 1.0
        missing = [g for g, v in zip(grades, values, strict=True) if math.isnan(v)]
        if missing:
            raise InvalidParameterError(
                f"Cut-offs are missing for grades {missing}.", parameter="cutoffs"
            )
        return cls(max_pd=tuple(values), grades=tuple(grades))

    @property
    def lowest(self) -> str:
        """The lowest grade (级外): knockouts land here."""
        return self.grades[-1]

    def index(self, pd_values: ArrayLike) -> NDArray[np.intp]:
        """0-based grade position of each PD (0 = best)."""
        p = _pd_array(pd_values, "pd")
        return np.searchsorted(np.asarray(self.max_pd), p, side="left")

    def grade(self, pd_values: ArrayLike) -> NDArray[np.object_]:
        """Grade of each PD: the best grade whose maximum PD is at least the PD."""
        return np.asarray(self.grades, dtype=object)[self.index(pd_values)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema_version": self.schema_version,
            "grades": list(self.grades),
            "max_pd": list(self.max_pd),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeScale:
        """Inverse of :meth:`to_dict`."""
        _check_schema(data, "GradeScale")
        return cls(max_pd=tuple(data["max_pd"]), grades=tuple(data["grades"]))


@dataclass(frozen=True)
class GradeCalibration:
    """The PD of each grade, observed on the development sample.

    ``grade_pd`` is non-decreasing from the best grade to the worst; ``n`` and ``bads`` are the
    development counts behind it (a grade with few or no households keeps near the geometric
    middle of its cut-off interval; read it as an assumption).
    """

    scale: GradeScale
    grade_pd: tuple[float, ...]
    n: tuple[int, ...]
    bads: tuple[int, ...]
    method: str = "beta-prior(20)+pav"
    schema_version: int = SCHEMA_VERSION
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def pd_of(self, grades: ArrayLike) -> NDArray[np.float64]:
        """The calibrated PD of each row's grade."""
        g = np.asarray(grades, dtype=object).ravel()
        at = pd.Index(self.scale.grades, dtype=object).get_indexer(g)
        if (at < 0).any():
            raise InvalidDataError(
                f"Grades {sorted(set(g[at < 0]), key=str)} are not on the scale."
            )
        return np.asarray(self.grade_pd, dtype=np.float64)[at]

    def table(self) -> pd.DataFrame:
        """One row per grade: ``grade, label_zh, max_pd, n, bads, grade_pd``."""
        return pd.DataFrame(
            {
                "grade": list(self.scale.grades),
                "label_zh": [GRADE_LABELS_ZH.get(g, "") for g in self.scale.grades],
                "max_pd": list(self.scale.max_pd),
                "n": list(self.n),
                "bads": list(self.bads),
                "grade_pd": list(self.grade_pd),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "schema_version": self.schema_version,
            "scale": self.scale.to_dict(),
            "grade_pd": list(self.grade_pd),
            "n": list(self.n),
            "bads": list(self.bads),
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeCalibration:
        """Inverse of :meth:`to_dict`."""
        _check_schema(data, "GradeCalibration")
        return cls(
            scale=GradeScale.from_dict(data["scale"]),
            grade_pd=tuple(float(v) for v in data["grade_pd"]),
            n=tuple(int(v) for v in data["n"]),
            bads=tuple(int(v) for v in data["bads"]),
            method=str(data.get("method", "beta-prior(20)+pav")),
        )


def _pool_adjacent_violators(
    values: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Weighted isotonic (non-decreasing) fit; a handful of grades, so a plain loop."""
    blocks: list[list[float]] = []  # [value, weight, count]
    for v, w in zip(values.tolist(), weights.tolist(), strict=True):
        blocks.append([v, w, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(int(c), v) for v, _, c in blocks])


def calibrate_grades(
    y_true: ArrayLike, pd_values: ArrayLike, scale: GradeScale, *, prior_strength: float = 20.0
) -> GradeCalibration:
    """Grade the development sample by ``scale`` and estimate each grade's PD.

    Each grade's PD is ``(bads + k * p0) / (n + k)``: its observed bad rate shrunk towards
    ``p0``, the geometric middle of the grade's cut-off interval, with the weight of ``k``
    (``prior_strength``) pseudo-households. A grade with many households is its bad rate; a
    grade with a handful keeps near its cut-offs instead of jumping to 25% on one household;
    an empty grade is ``p0``. Adjacent grades are then pooled (weighted by their counts)
    wherever a better grade would come out riskier than a worse one.

    Examples
    --------
    >>> scale = GradeScale(max_pd=(0.05, 0.2, 1.0), grades=("A", "B", "E"))
    >>> cal = calibrate_grades([0, 0, 0, 1, 0, 1], [0.01, 0.02, 0.1, 0.1, 0.5, 0.6], scale,
    ...                        prior_strength=2)
    >>> cal.n, cal.bads, [round(p, 4) for p in cal.grade_pd]
    ((2, 2, 2), (0, 1, 1), [0.0011, 0.3, 0.4736])
    """
    if not prior_strength > 0:
        raise InvalidParameterError(
            f"The 'prior_strength' parameter of calibrate_grades must be > 0. Got {prior_strength!r}.",
            parameter="prior_strength",
        )
    y = np.asarray(y_true, dtype=np.float64)
    idx = scale.index(pd_values)
    if idx.size != y.size or not set(np.unique(y).tolist()) <= {0.0, 1.0}:
        raise InvalidDataError("'y_true' must be 0/1 and aligned with the PDs.", field="y_true")
    k = len(scale.grades)
    n = np.bincount(idx, minlength=k).astype(np.float64)
    bads = np.bincount(idx, weights=y, minlength=k)
    lower = np.concatenate([[min(scale.max_pd[0] / 10.0, 1e-4)], np.asarray(scale.max_pd[:-1])])
    prior = np.sqrt(lower * np.asarray(scale.max_pd))
    raw = (bads + prior_strength * prior) / (n + prior_strength)
    pooled = _pool_adjacent_violators(raw, np.where(n > 0, n, 1e-9))
    return GradeCalibration(
        scale=scale,
        grade_pd=tuple(float(v) for v in pooled),
        n=tuple(int(v) for v in n),
        bads=tuple(int(v) for v in bads),
        method=f"beta-prior({prior_strength:g})+pav",
    )
