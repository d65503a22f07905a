"""The rating configuration a model is trained under: the federation's or one bank's.

Federation-wide (no bank): the default cut-offs are the middle of each allowed range in
``federation.yaml``, the statistical card alone, and the federation's minimum knockouts whose
columns the data has. For a bank: its mode, expert weight, cut-offs, expert card (re-weighted
by the bank) and knockouts from ``banks/<code>.yaml``, which must sit inside the red lines.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from credit_limit.config import load_federation, load_policy
from model_registry.exceptions import EvidenceError
from rating_models.expert import ExpertCard
from rating_models.rating import GradeScale, KnockoutRule, ReasonCatalog, knockout_rules

__all__ = ["RatingConfig", "rating_config"]


@dataclass(frozen=True)
class RatingConfig:
    """What :func:`~model_registry.train.train_rating_model` needs besides the data."""

    scale: GradeScale
    mode: str
    expert_weight: float
    expert: ExpertCard | None
    knockouts: tuple[KnockoutRule, ...]
    reason_catalog: ReasonCatalog
    notes: list[str] = field(default_factory=list)


def rating_config(
    config_dir: Path,
    bank: str | None = None,
    *,
    columns: Collection[str] = (),
    expert_card: str | None = None,
) -> RatingConfig:
    """The federation's (``bank=None``) or a bank's rating configuration.

    ``columns`` are the data's columns: federation knockouts reading absent columns are left
    out with a note; a bank's knockouts and expert card must find theirs (else
    :class:`EvidenceError` names the missing ones). ``expert_card`` (a name under
    ``expert_cards/``) adds an expert card to the federation-wide model, blended at the middle
    of the federation's allowed expert weight.
    """
    root = Path(config_dir)
    catalog = ReasonCatalog.from_yaml(root / "reason_codes.yaml")
    present = set(columns)
    if bank is None:
        lines = load_federation(root / "federation.yaml")
        cut = {str(g): (lo + hi) / 2.0 for g, (lo, hi) in lines.cutoff_ranges.items()}
        scale = GradeScale.from_mapping(cut, grades=tuple(lines.grade_scale))
        rules = knockout_rules(lines.knockouts)
        kept = tuple(r for r in rules if r.column in present)
        notes = [
            f"federation knockout {r.name} left out: column {r.column} is not in the data"
            for r in rules
            if r.column not in present
        ]
        if expert_card is None:
            return RatingConfig(scale, "statistical", 0.5, None, kept, catalog, notes)
        card = ExpertCard.from_yaml(root / "expert_cards" / f"{expert_card}.yaml")
        _require(card.input_columns, present, f"Expert card {expert_card}")
        low, high = lines.blend_expert_weight_range
        return RatingConfig(scale, "blend", (low + high) / 2.0, card, kept, catalog, notes)
    policy = load_policy(bank, root)
    rating = policy.bank.rating
    scale = GradeScale.from_mapping(
        {str(g): float(v) for g, v in rating.cutoffs.items()},
        grades=tuple(policy.federation.grade_scale),
    )
    card = ExpertCard.from_yaml(root / "expert_cards" / f"{rating.expert_card}.yaml")
    weights = {str(k): float(v) for k, v in rating.block_weights.items()}
    card = card.with_weights(weights) if weights else card
    rules = knockout_rules(policy.knockouts)
    needed = [*card.input_columns, *(r.column for r in rules)]
    _require(needed, present, f"Bank {bank}'s expert card and knockouts")
    weight = 0.5 if rating.expert_weight is None else float(rating.expert_weight)
    return RatingConfig(scale, rating.mode, weight, card, rules, catalog)


def _require(needed: Collection[str], present: set[str], what: str) -> None:
    missing = list(dict.fromkeys(c for c in needed if c not in present))
    if missing:
        raise EvidenceError(f"{what} read columns the data lacks: {missing}.", columns=missing)
