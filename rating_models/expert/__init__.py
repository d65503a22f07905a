"""The expert scorecard for thin-file farmers: card model, validation, scoring."""

from rating_models.expert.card import Band, Block, Category, ExpertCard, Indicator, InputSpec
from rating_models.expert.compile import to_spec
from rating_models.expert.scoring import expert_score, indicator_inputs, indicator_points

__all__ = [
    "Band",
    "Block",
    "Category",
    "ExpertCard",
    "Indicator",
    "InputSpec",
    "expert_score",
    "indicator_inputs",
    "indicator_points",
    "to_spec",
]
