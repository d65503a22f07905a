"""Decisions: the append-only store (with lineage) and replay.

>>> from scoring_service.decisions import DecisionStore, replay  # doctest: +SKIP
"""

from scoring_service.decisions.replay import Difference, ReplayResult, replay
from scoring_service.decisions.store import DecisionRecord, DecisionStore, canonical_json

__all__ = [
    "DecisionRecord",
    "DecisionStore",
    "Difference",
    "ReplayResult",
    "canonical_json",
    "replay",
]
