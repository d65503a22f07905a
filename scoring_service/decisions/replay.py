"""Replay: recompute a stored decision from its stored inputs and versions, and compare.

The model version is loaded from the registry by name and version (the content hash must
match the one stamped on the decision); the bank policy is today's policy file, whose content
hash must match too — a changed policy is reported as a difference, never silently used.

Every field is compared exactly, floats included: a score is the same sum in the same order
whether the row was decided alone or in a batch of any height, and JSON keeps every float64
bit (shortest round-trip representation), so "identical" means bit-identical. The
feature-catalog stamp is recomputed from the stored inputs too (``pboc-features/1``, plus
``+qh-features/1`` when they hold a Qianhai feature value) and must equal the stored one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from credit_limit import EffectivePolicy
from model_registry.serving import LoadedModel
from scoring_service.decisions.store import DecisionRecord, canonical_json
from scoring_service.pipeline.decide import OUTCOME_COLUMNS, DecisionContext, decide

__all__ = ["Difference", "ReplayResult", "replay"]


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

    @property
    def identical(self) -> bool:
        """True when every lineage hash and outcome field is exactly the same (floats bit
        for bit)."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "decision_id": self.decision_id,
            "identical": self.identical,
            "differences": [vars(d) for d in self.differences],
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
    for name in ("inputs_hash", "feature_catalog_version"):
        if str(out[name]) != getattr(record, name):
            diffs.append(Difference(name, getattr(record, name), str(out[name])))
    recomputed = json.loads(canonical_json({c: out[c] for c in OUTCOME_COLUMNS}))
    diffs += [
        Difference(c, record.outcome.get(c), recomputed[c])
        for c in OUTCOME_COLUMNS
        if not _same(record.outcome.get(c), recomputed[c])
    ]
    return ReplayResult(record.decision_id, diffs)


def _same(stored: Any, recomputed: Any) -> bool:
    """Exactly equal, and of the same JSON kind (``1`` is not ``1.0``, ``true`` not ``1``)."""
    return type(stored) is type(recomputed) and stored == recomputed
