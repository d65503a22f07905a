"""The rating pipeline shared by the API and the batch job (DESIGN.md, "How data flows").

Two stages, so the batch re-rating job can skip bureau I/O when features are precomputed::

    gather(requests, bureaus)   consent → bureau fetch or reuse → parse → features   (I/O)
    decide(frame, context)      champion → knockouts → grade → limit → decision rows (pure)

``rate(requests, bureaus, context) == decide(gather(requests, bureaus), context)``.

The online routes use the same two stages without the frames around them:
:func:`gather_inputs` gives the checked inputs (:class:`TypedInputs`), which :func:`decide`
and :func:`decide_records` take as they are (not checked again), and :func:`decide_records`
gives :func:`decide`'s rows as plain Python values (what the decision store writes and the
answer reads): the same computation, one row at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scoring_service.pipeline.decide import OUTCOME_COLUMNS, DecisionContext, decide, decide_records
from scoring_service.pipeline.gather import BureauGateway, RatingRequest, gather, gather_inputs
from scoring_service.pipeline.inputs import (
    BUREAU_COLUMNS,
    CATEGORIES,
    INPUT_COLUMNS,
    QIANHAI_COLUMNS,
    SURVEY_COLUMNS,
    TypedInputs,
    input_frame,
    inputs_hash,
    typed_inputs,
)

__all__ = [
    "BUREAU_COLUMNS",
    "CATEGORIES",
    "INPUT_COLUMNS",
    "OUTCOME_COLUMNS",
    "QIANHAI_COLUMNS",
    "SURVEY_COLUMNS",
    "BureauGateway",
    "DecisionContext",
    "RatingRequest",
    "TypedInputs",
    "decide",
    "decide_records",
    "gather",
    "gather_inputs",
    "input_frame",
    "inputs_hash",
    "rate",
    "typed_inputs",
]


def rate(
    requests: Sequence[RatingRequest], bureaus: BureauGateway, context: DecisionContext
) -> pd.DataFrame:
    """Both stages: the decisions of ``requests`` under ``context``."""
    return decide(gather_inputs(requests, bureaus), context)
