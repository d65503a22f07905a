"""Points scaling: base points at base odds, points to double the odds (PDO)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from rating_models.exceptions import SpecError

__all__ = ["Scaling"]


@dataclass(frozen=True)
class Scaling:
    """``score = offset + factor * ln(good:bad odds)`` with ``factor = pdo / ln 2``.

    A higher score means lower risk: at ``base_points`` the odds are ``base_odds`` good to one
    bad, and every ``pdo`` points double them.

    Examples
    --------
    >>> s = Scaling(pdo=20, base_points=600, base_odds=50)
    >>> round(float(s.score_from_pd(1 / 51)), 6)
    600.0
    >>> round(float(s.pd_from_score(620)), 6) == round(1 / 101, 6)
    True
    """

    pdo: float = 20.0
    base_points: float = 600.0
    base_odds: float = 50.0

    def __post_init__(self) -> None:
        for name in ("pdo", "base_odds"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SpecError(f"Scaling {name!r} must be a float > 0. Got {value!r}.", field=name)
        if not math.isfinite(self.base_points):
            raise SpecError(f"Scaling 'base_points' must be finite. Got {self.base_points!r}.")

    @property
    def factor(self) -> float:
        """Points per unit of log-odds."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Score at even odds (1:1)."""
        return self.base_points - self.factor * math.log(self.base_odds)

    def pd_from_score(self, score: Any) -> npt.NDArray[np.float64]:
        """PD (probability of the bad class) of a score."""
        z = (np.asarray(score, dtype=np.float64) - self.offset) / self.factor
        return 1.0 / (1.0 + np.exp(np.clip(z, -700, 700)))

    def score_from_pd(self, pd: Any) -> npt.NDArray[np.float64]:
        """Score of a PD (inverse of :meth:`pd_from_score`)."""
        p = np.asarray(pd, dtype=np.float64)
        return self.offset + self.factor * np.log((1.0 - p) / p)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dict."""
        return {"pdo": self.pdo, "base_points": self.base_points, "base_odds": self.base_odds}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scaling:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(float(data["pdo"]), float(data["base_points"]), float(data["base_odds"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"Scaling needs numbers pdo, base_points, base_odds ({exc}).") from exc
