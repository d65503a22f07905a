"""Replay: recompute a stored decision from its stored inputs and versions, and compare.

The model version is loaded from the registry by name and version (the content hash must
match the one stamped on the decision); the bank policy is today's policy file, whose content
hash must match too — a changed policy is reported as a difference, never silently used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from credit_limit import EffectivePolicy
from model_registry.serving import LoadedModel
from scoring_service.decisions.store import DecisionRecord, canonical_json
from scoring_service.pipeline.decide import OUTCOME_COLUMNS, DecisionContext, decide

__all__ = ["Difference", "ReplayResult", "replay"]

_FLOAT_FIELDS = frozenset({"score", "pd"})


@dataclass(frozen=True)
class Difference:
    """One field whose stored and recomputed values differ."""

    field: str
    stored: Any
    recomputed: Any


@dataclass(frozen=True)
class ReplayResult:
    """The outcome of a replay: identical, or exactly what differs."""

    decision_id: str
    differences: list[Difference] = field(default_factory=list)
    rounding: list[Difference] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """True when every lineage hash and outcome field is exactly the same."""
        return not self.differences and not self.rounding

    @property
    def equivalent(self) -> bool:
        """True when nothing differs beyond floating-point rounding (relative 1e-12) of
        ``score`` / ``pd``; grade, limit, reasons and hashes are compared exactly."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "decision_id": self.decision_id,
            "identical": self.identical,
            "equivalent": self.equivalent,
            "differences": [vars(d) for d in self.differences],
            "rounding": [vars(d) for d in self.rounding],
        }


def replay(
    record: DecisionRecord,
    *,
    load_model: Callable[[str, int], LoadedModel],
    policy: EffectivePolicy,
) -> ReplayResult:
    """Recompute ``record`` with its model version and ``policy``; list every difference.

    Parameters
    ----------
    record : DecisionRecord
        The stored decision.
    load_model : callable
        ``(name, version) -> LoadedModel`` (the registry).
    policy : EffectivePolicy
        The bank's policy to recompute with (its hashes are compared with the stored ones).
    """
    model = load_model(record.model_name, record.model_version)
    diffs = [
        Difference(name, stored, now)
        for name, stored, now in (
            ("model_hash", record.model_hash, model.content_hash),
            ("policy_bank_hash", record.policy_bank_hash, policy.bank_hash),
            ("policy_federation_hash", record.policy_federation_hash, policy.federation_hash),
        )
        if stored != now
    ]
    context = DecisionContext(
        record.bank_code,
        policy,
        model,
        decided_at=record.decided_at,
        feature_catalog_version=record.feature_catalog_version,
    )
    out = decide([record.inputs], context).iloc[0]
    if str(out["inputs_hash"]) != record.inputs_hash:
        diffs.append(Difference("inputs_hash", record.inputs_hash, str(out["inputs_hash"])))
    recomputed = json.loads(canonical_json({c: out[c] for c in OUTCOME_COLUMNS}))
    changed = [
        Difference(c, record.outcome.get(c), recomputed[c])
        for c in OUTCOME_COLUMNS
        if record.outcome.get(c) != recomputed[c]
    ]
    rounding = [d for d in changed if _rounding_only(d)]
    diffs += [d for d in changed if not _rounding_only(d)]
    return ReplayResult(record.decision_id, diffs, rounding)


def _rounding_only(d: Difference) -> bool:
    """A float field off by rounding only: a score summed over a frame of another height
    can differ in its last bits (the scorer's row sum is not order-fixed)."""
    if d.field not in _FLOAT_FIELDS or d.stored is None or d.recomputed is None:
        return False
    return math.isclose(float(d.stored), float(d.recomputed), rel_tol=1e-12, abs_tol=0.0)
