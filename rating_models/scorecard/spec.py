"""``ScorecardSpec``: the versioned value that fully defines how a card scores.

One spec type serves statistical cards (bins, WOE, coefficients, points, scaling) and expert
cards (bins and points chosen by people, no scaling: score = sum of points, PD from a separate
calibration). JSON layout::

    {"schema_version": "nongxin.scorecard/1", "name": ..., "kind": "statistical" | "expert",
     "feature_catalog_version": "pboc-features/1" | null,
     "intercept_points": 12.5,
     "scaling": {"pdo": 20, "base_points": 600, "base_odds": 50} | null,
     "features": [{"name": "age", "kind": "numeric", "coefficient": 0.8 | null,
                   "bins": [{"kind": "interval", "lower": null, "upper": 25.0,
                             "points": -7.1, "woe": 0.31}, ...,
                            {"kind": "missing", "points": 0.0},
                            {"kind": "special", "values": [-1], "points": -3.0}]}]}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from rating_models.binning.bins import FeatureBins
from rating_models.exceptions import SpecError
from rating_models.scorecard.compiled import CompiledScorecard
from rating_models.scorecard.scaling import Scaling

__all__ = ["SCHEMA_VERSION", "FeatureScore", "ScorecardSpec"]

SCHEMA_VERSION = "nongxin.scorecard/1"


@dataclass(frozen=True)
class FeatureScore:
    """Bins and points of one feature (``points[i]`` belongs to ``bins.bins[i]``)."""

    bins: FeatureBins
    points: tuple[float, ...]
    woe: tuple[float, ...] | None = None
    coefficient: float | None = None

    def __post_init__(self) -> None:
        if len(self.points) != self.bins.n_bins:
            raise SpecError(
                f"Feature {self.name!r} has {self.bins.n_bins} bins but {len(self.points)} points.",
                feature=self.name,
            )
        if not all(math.isfinite(p) for p in self.points):
            raise SpecError(f"Feature {self.name!r} has non-finite points.", feature=self.name)

    @property
    def name(self) -> str:
        """Feature (column) name."""
        return self.bins.name

    @property
    def best_points(self) -> float:
        """The most points any bin of the feature gives (reference for reason codes)."""
        return max(self.points)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        bins = []
        for i, b in enumerate(self.bins.bins):
            row = {**b.to_dict(), "points": self.points[i]}
            if self.woe is not None:
                row["woe"] = self.woe[i]
            bins.append(row)
        out: dict[str, Any] = {"name": self.name, "kind": self.bins.kind}
        if self.coefficient is not None:
            out["coefficient"] = self.coefficient
        out["bins"] = bins
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureScore:
        """Inverse of :meth:`to_dict`."""
        bins = FeatureBins.from_dict(data)
        rows = data["bins"]
        try:
            points = tuple(float(b["points"]) for b in rows)
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(
                f"Every bin of feature {bins.name!r} needs numeric 'points'.", feature=bins.name
            ) from exc
        woe = tuple(float(b["woe"]) for b in rows) if all("woe" in b for b in rows) else None
        coef = data.get("coefficient")
        return cls(bins, points, woe, None if coef is None else float(coef))


@dataclass(frozen=True)
class ScorecardSpec:
    """A complete, versioned scorecard: features with bins and points, intercept, scaling.

    Examples
    --------
    >>> import pandas as pd
    >>> from rating_models import FeatureScore, ScorecardSpec, numeric_bins
    >>> age = FeatureScore(numeric_bins("age", [30, 50]), (10.0, 25.0, 30.0, 5.0))
    >>> spec = ScorecardSpec((age,), intercept_points=500.0, kind="expert")
    >>> spec.score(pd.DataFrame({"age": [25, 40, None]})).tolist()
    [510.0, 525.0, 505.0]
    >>> ScorecardSpec.from_json(spec.to_json()) == spec
    True
    """

    features: tuple[FeatureScore, ...]
    intercept_points: float = 0.0
    scaling: Scaling | None = None
    name: str = "scorecard"
    kind: Literal["statistical", "expert"] = "statistical"
    feature_catalog_version: str | None = None
    schema_version: str = field(default=SCHEMA_VERSION)

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise SpecError(
                f"Scorecard schema_version must be {SCHEMA_VERSION!r}. Got {self.schema_version!r}.",
                field="schema_version",
            )
        if self.kind not in ("statistical", "expert"):
            raise SpecError(f"Scorecard kind must be 'statistical' or 'expert'. Got {self.kind!r}.")
        names = [f.name for f in self.features]
        if len(names) != len(set(names)):
            raise SpecError("A scorecard lists a feature twice.", features=names)
        if not math.isfinite(self.intercept_points):
            raise SpecError("intercept_points must be finite.", field="intercept_points")

    @property
    def feature_names(self) -> list[str]:
        """Feature names, in card order."""
        return [f.name for f in self.features]

    @cached_property
    def compiled(self) -> CompiledScorecard:
        """The compiled scorer of this spec (built once)."""
        return CompiledScorecard.build(
            self.feature_names,
            [f.bins for f in self.features],
            [f.points for f in self.features],
            self.intercept_points,
        )

    def score(self, data: Any) -> npt.NDArray[np.float64]:
        """Score of every row: intercept plus the points of each feature's bin."""
        return self.compiled.score(data)

    def points(self, data: Any) -> pd.DataFrame:
        """Points per row and feature (columns in card order, intercept excluded)."""
        index = data.index if isinstance(data, pd.DataFrame) else None
        return pd.DataFrame(
            self.compiled.points_matrix(data), columns=self.feature_names, index=index
        )

    def best_points(self) -> dict[str, float]:
        """Best-bin points per feature (shortfall from it drives reason codes)."""
        return {f.name: f.best_points for f in self.features}

    def pd(self, data: Any) -> npt.NDArray[np.float64]:
        """PD of every row, from the score through the scaling."""
        return self.pd_from_score(self.score(data))

    def pd_from_score(self, score: Any) -> npt.NDArray[np.float64]:
        """PD of given scores; needs a scaling (expert cards map PD by a separate calibration)."""
        if self.scaling is None:
            raise SpecError(
                f"Scorecard {self.name!r} has no scaling, so it maps no PD; calibrate its score.",
                field="scaling",
            )
        return self.scaling.pd_from_score(score)

    def to_sql(self, dialect: str = "postgresql") -> str:
        """The score as one SQL expression (``postgresql`` or ``spark``); see :mod:`.sql`."""
        from rating_models.scorecard.sql import render_score

        return render_score(self, dialect)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "schema_version": self.schema_version,
            "name": self.name,
            "kind": self.kind,
            "feature_catalog_version": self.feature_catalog_version,
            "intercept_points": self.intercept_points,
            "scaling": None if self.scaling is None else self.scaling.to_dict(),
            "features": [f.to_dict() for f in self.features],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScorecardSpec:
        """Inverse of :meth:`to_dict`; raises :class:`SpecError` on a malformed spec."""
        if not isinstance(data, Mapping):
            raise SpecError(f"A scorecard spec must be a JSON object. Got {type(data).__name__}.")
        if data.get("schema_version") != SCHEMA_VERSION:
            raise SpecError(
                f"Scorecard schema_version must be {SCHEMA_VERSION!r}. "
                f"Got {data.get('schema_version')!r}.",
                field="schema_version",
            )
        try:
            features = tuple(FeatureScore.from_dict(f) for f in data["features"])
            scaling = data.get("scaling")
            return cls(
                features=features,
                intercept_points=float(data.get("intercept_points", 0.0)),
                scaling=None if scaling is None else Scaling.from_dict(scaling),
                name=str(data.get("name", "scorecard")),
                kind=data.get("kind", "statistical"),
                feature_catalog_version=data.get("feature_catalog_version"),
            )
        except (KeyError, TypeError) as exc:
            raise SpecError(f"Malformed scorecard spec ({exc!r}).") from exc

    def to_json(self, *, indent: int | None = 2) -> str:
        """JSON text (floats written exactly, keys in a fixed order)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ScorecardSpec:
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"Scorecard spec is not valid JSON: {exc}.") from exc
        return cls.from_dict(data)
