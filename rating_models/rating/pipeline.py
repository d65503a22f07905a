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

from dataclasses import dataclass

import pandas as pd

from rating_models.exceptions import InvalidParameterError
from rating_models.expert.card import ExpertCard
from rating_models.rating.combine import MODES
from rating_models.rating.engine import RatingEngine
from rating_models.rating.grades import GradeCalibration, GradeScale
from rating_models.rating.knockouts import KnockoutRule
from rating_models.rating.reasons import ReasonCatalog
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


def rate_households(
    frame: pd.DataFrame,
    *,
    setup: RatingSetup,
    statistical: ScorecardSpec | None = None,
    expert: ExpertCard | None = None,
    catalog: ReasonCatalog | None = None,
) -> pd.DataFrame:
    """Rate every row of ``frame``.

    Compiles a :class:`~rating_models.rating.engine.RatingEngine` and runs it; callers that
    rate many frames with the same cards keep one engine instead (``RatingModel`` does).

    Returns
    -------
    pandas.DataFrame
        On ``frame``'s index: ``score_statistical, score_expert`` (when given), the columns of
        :func:`combine_ratings`, ``grade_pd`` (with a grade calibration), ``knockout`` and
        ``reason_1 …`` (codes; knockouts first), plus ``reasons_zh`` / ``reasons_en`` texts
        when a catalog is given. A row's values do not depend on the other rows of the frame.
    """
    engine = RatingEngine(setup, statistical=statistical, expert=expert, catalog=catalog)
    return engine.rate_frame(frame)
