"""Rate households end to end: cards → PDs → combined grade → knockouts → reason codes.

Takes plain parameters (:class:`RatingSetup`); whoever reads a bank's policy builds them. The
statistical card is a :class:`~rating_models.scorecard.ScorecardSpec` with a scaling (its PD);
the expert card an :class:`~rating_models.expert.ExpertCard` with a fitted ``pd_calibration``;
both are scored by the same compiled scorer.

Reasons follow the card that decided each row. In ``blend`` both cards count, each
shortfall weighted by its card's share and its log-odds per point (``ln 2 / pdo`` for a
statistical card, ``-slope`` of the expert calibration), so the ranking is by how much each
shortfall moved the final PD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rating_models.exceptions import InvalidParameterError, SpecError
from rating_models.expert.card import ExpertCard
from rating_models.expert.compile import to_spec
from rating_models.expert.scoring import indicator_inputs
from rating_models.rating.combine import MODES, apply_knockouts, combine_ratings
from rating_models.rating.grades import GradeCalibration, GradeScale
from rating_models.rating.knockouts import KnockoutRule, evaluate_knockouts
from rating_models.rating.reasons import ReasonCatalog, top_codes
from rating_models.scorecard.spec import ScorecardSpec

__all__ = ["RatingSetup", "rate_households"]


@dataclass(frozen=True)
class RatingSetup:
    """Everything a bank decides about rating, as plain values.

    Parameters
    ----------
    scale : GradeScale
        Cut-offs (maximum PD per grade).
    mode : str
        One of :data:`~rating_models.rating.combine.MODES`.
    expert_weight : float
        Weight of the expert card in ``blend``.
    knockouts : tuple of KnockoutRule
        Federation minimum set plus the bank's additions.
    statistical_validated : bool
        Whether the statistical model is validated (else every row is escalated).
    grade_calibration : GradeCalibration, optional
        PD per grade from the development sample; adds a ``grade_pd`` column.
    n_reasons : int
        Reasons per household (default 4).
    """

    scale: GradeScale
    mode: str = "statistical"
    expert_weight: float = 0.5
    knockouts: tuple[KnockoutRule, ...] = ()
    statistical_validated: bool = True
    grade_calibration: GradeCalibration | None = None
    n_reasons: int = 4

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InvalidParameterError(
                f"The 'mode' parameter of RatingSetup must be one of {list(MODES)}. Got {self.mode!r}.",
                parameter="mode",
            )
        if not isinstance(self.n_reasons, int) or not 1 <= self.n_reasons <= 10:
            raise InvalidParameterError(
                f"The 'n_reasons' parameter of RatingSetup must be an int in [1, 10]. Got {self.n_reasons!r}.",
                parameter="n_reasons",
            )


@dataclass(frozen=True)
class _Card:
    score: np.ndarray
    pd_values: np.ndarray
    shortfall: pd.DataFrame  # points below each feature's best bin
    per_point: float  # log-odds of bad per point


def _statistical(spec: ScorecardSpec, frame: pd.DataFrame) -> _Card:
    if spec.scaling is None:
        raise SpecError(
            f"Scorecard {spec.name!r} has no scaling, so it gives no PD; pass an expert card as 'expert'.",
            field="scaling",
        )
    points = spec.points(frame)
    score = points.to_numpy().sum(axis=1) + spec.intercept_points
    best = pd.Series(spec.best_points())
    return _Card(
        score, spec.scaling.pd_from_score(score), best - points, math.log(2.0) / spec.scaling.pdo
    )


def _expert(card: ExpertCard, frame: pd.DataFrame) -> _Card:
    if card.pd_calibration is None:
        raise SpecError(
            f"Expert card '{card.name}' has no pd_calibration; fit one on a development sample.",
            field="pd_calibration",
        )
    spec = to_spec(card)
    points = spec.points(indicator_inputs(card, frame))
    score = points.to_numpy().sum(axis=1)
    best = pd.Series(spec.best_points())
    return _Card(score, card.pd_calibration.pd(score), best - points, -card.pd_calibration.slope)


def _weights(decided_by: np.ndarray, card: str, share: float) -> np.ndarray:
    return np.where(decided_by == card, 1.0, np.where(decided_by == "blend", share, 0.0))


def rate_households(
    frame: pd.DataFrame,
    *,
    setup: RatingSetup,
    statistical: ScorecardSpec | None = None,
    expert: ExpertCard | None = None,
    catalog: ReasonCatalog | None = None,
) -> pd.DataFrame:
    """Rate every row of ``frame``.

    Returns
    -------
    pandas.DataFrame
        On ``frame``'s index: ``score_statistical, score_expert`` (when given), the columns of
        :func:`combine_ratings`, ``grade_pd`` (with a grade calibration), ``knockout`` and
        ``reason_1 …`` (codes; knockouts first), plus ``reasons_zh`` / ``reasons_en`` texts
        when a catalog is given.
    """
    if statistical is None and expert is None:
        raise InvalidParameterError(
            "rate_households needs a statistical card, an expert card or both."
        )
    cards: dict[str, _Card] = {}
    if statistical is not None:
        cards["statistical"] = _statistical(statistical, frame)
    if expert is not None:
        cards["expert"] = _expert(expert, frame)
    s, e = cards.get("statistical"), cards.get("expert")
    rating = combine_ratings(
        None if s is None else s.pd_values,
        None if e is None else e.pd_values,
        mode=setup.mode,
        scale=setup.scale,
        expert_weight=setup.expert_weight,
        statistical_validated=setup.statistical_validated,
    )
    rating.index = frame.index
    fired = evaluate_knockouts(frame, setup.knockouts)
    rating = apply_knockouts(rating, fired, setup.scale)
    if setup.grade_calibration is not None:
        rating["grade_pd"] = setup.grade_calibration.pd_of(rating["grade"])
    for name, card in cards.items():
        rating.insert(0, f"score_{name}", card.score)
    reasons = _reasons(cards, rating["decided_by"].to_numpy(dtype=object), fired, setup, catalog)
    return pd.concat([rating, reasons], axis=1)


def _reasons(
    cards: dict[str, _Card],
    decided_by: np.ndarray,
    fired: pd.DataFrame,
    setup: RatingSetup,
    catalog: ReasonCatalog | None,
) -> pd.DataFrame:
    shares = {"statistical": 1.0 - setup.expert_weight, "expert": setup.expert_weight}
    n_ko = fired.shape[1]
    width = n_ko + sum(card.shortfall.shape[1] for card in cards.values())
    values = np.empty((len(fired), width), dtype=np.float64, order="F")  # columns contiguous
    values[:, :n_ko] = np.where(fired.to_numpy(dtype=bool), np.inf, 0.0)  # knockouts lead
    codes: list[str] = [str(c) for c in fired.columns]
    for name, card in cards.items():
        w = _weights(decided_by, name, shares[name]) * card.per_point
        at = len(codes)
        block = values[:, at : at + card.shortfall.shape[1]]
        np.multiply(card.shortfall.to_numpy(dtype=np.float64), w[:, None], out=block)
        features = list(card.shortfall.columns)
        codes += (
            list(catalog.codes_for(features).values()) if catalog else [f"X:{f}" for f in features]
        )
    columns = [f"reason_{i + 1}" for i in range(setup.n_reasons)]
    names = top_codes(values, codes, setup.n_reasons)
    out = pd.DataFrame(names, index=fired.index, columns=columns)
    if catalog is not None:
        texts = {f"reasons_{lang}": catalog.joined(out, lang) for lang in ("zh", "en")}
        out = out.assign(**texts)
    return out
