"""``nongxin rating report`` and the rating columns of ``nongxin rating score``.

The glue between bank policies (read through :mod:`credit_limit`) and the pure rating code of
:mod:`rating_models`: cut-offs, mode, expert weight, block weights and knockouts come from
``config/banks/<CODE>.yaml`` and ``config/federation.yaml``; without ``--bank`` the
federation's default cut-offs are the middle of each allowed range.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np
import pandas as pd

from scoring_service.exceptions import UsageError

if TYPE_CHECKING:
    from rating_models.expert import ExpertCard
    from rating_models.rating.pipeline import RatingSetup
    from rating_models.scorecard.spec import ScorecardSpec

__all__ = ["COMMANDS", "Card", "add_rating_columns", "federation_scale", "load_card", "report"]

DEFAULT_EXPERT_CARD = "federation_default"
_DECISION_COLUMNS = ("system_grade", "final_grade", "escalate")


def _plain(mapping: Mapping[Any, float]) -> dict[str, float]:
    return {str(k): float(v) for k, v in mapping.items()}


def _config_dir(config_dir: Path | None) -> Path:
    if config_dir is not None:
        return config_dir
    from scoring_service.settings import get_settings

    return get_settings().config_dir


def federation_scale(config_dir: Path | None = None) -> Any:
    """The federation's default grade scale: the middle of each allowed cut-off range."""
    from credit_limit.config import load_federation
    from rating_models.rating.grades import GradeScale

    lines = load_federation(_config_dir(config_dir) / "federation.yaml")
    cut = {str(g): (lo + hi) / 2.0 for g, (lo, hi) in lines.cutoff_ranges.items()}
    return GradeScale.from_mapping(cut, grades=tuple(lines.grade_scale))


@dataclass(frozen=True)
class Card:
    """A card read from ``--spec``: a statistical spec (JSON) or an expert card (YAML)."""

    spec: ScorecardSpec
    expert: ExpertCard | None

    def frame(self, data: pd.DataFrame) -> pd.DataFrame:
        """The columns the spec scores (an expert card's indicator inputs)."""
        if self.expert is None:
            return data
        from rating_models.expert import indicator_inputs

        return indicator_inputs(self.expert, data)

    def labels(self) -> dict[str, str]:
        """Chinese label per feature (expert indicators)."""
        return {} if self.expert is None else {i.id: i.zh for i in self.expert.indicators}


def load_card(path: Path) -> Card:
    """Read ``--spec``: ``*.json`` scorecard spec or ``*.yaml`` expert card."""
    from rating_models.expert import ExpertCard, to_spec
    from rating_models.scorecard.spec import ScorecardSpec

    if path.suffix.lower() in (".yaml", ".yml"):
        card = ExpertCard.from_yaml(path)
        return Card(to_spec(card), card)
    return Card(ScorecardSpec.from_json(path.read_text(encoding="utf-8")), None)


def _expert_card(
    config_dir: Path, name: str | None, block_weights: dict[str, float] | None
) -> ExpertCard:
    from rating_models.expert import ExpertCard

    card = ExpertCard.from_yaml(config_dir / "expert_cards" / f"{name or DEFAULT_EXPERT_CARD}.yaml")
    return card.with_weights(block_weights) if block_weights else card


def _setup(
    spec: ScorecardSpec, bank: str | None, config_dir: Path, validated: bool, present: set[str]
) -> tuple[RatingSetup, ExpertCard | None, list[str]]:
    """The bank's (or the federation's default) rating setup, its expert card, and notes."""
    from credit_limit.config import load_federation, load_policy
    from rating_models.rating.grades import GradeScale
    from rating_models.rating.knockouts import knockout_rules
    from rating_models.rating.pipeline import RatingSetup

    notes: list[str] = []
    if bank is None:
        lines = load_federation(config_dir / "federation.yaml")
        rules = knockout_rules(lines.knockouts)
        skipped = [r for r in rules if r.column not in present]
        if skipped:
            notes.append(
                "federation knockouts skipped, their columns are absent: "
                + ", ".join(f"{r.name} ({r.column})" for r in skipped)
            )
        rules = tuple(r for r in rules if r.column in present)
        mode = "expert" if spec.kind == "expert" else "statistical"
        setup = RatingSetup(
            federation_scale(config_dir),
            mode=mode,
            knockouts=rules,
            statistical_validated=validated,
        )
        return setup, None, notes
    policy = load_policy(bank, config_dir)
    rating = policy.bank.rating
    scale = GradeScale.from_mapping(
        _plain(rating.cutoffs), grades=tuple(policy.federation.grade_scale)
    )
    expert = _expert_card(config_dir, rating.expert_card, _plain(rating.block_weights))
    setup = RatingSetup(
        scale,
        mode=rating.mode,
        expert_weight=0.5 if rating.expert_weight is None else rating.expert_weight,
        knockouts=knockout_rules(policy.knockouts),
        statistical_validated=validated,
    )
    return setup, expert, notes


def add_rating_columns(
    frame: pd.DataFrame,
    spec: ScorecardSpec,
    *,
    bank: str | None = None,
    config_dir: Path | None = None,
    validated: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """Rate every row: grade, mode, escalation flag, knockouts and reason codes.

    Without ``bank`` the card is used alone with the federation's default cut-offs and the
    federation's minimum knockouts whose columns are present. With ``bank`` the bank's mode,
    cut-offs, expert card (re-weighted by the bank) and knockouts apply; every knockout
    column must be present.

    Returns
    -------
    (DataFrame, list of str)
        The rating columns on ``frame``'s index, and notes for the user.
    """
    from rating_models.rating.pipeline import rate_households
    from rating_models.rating.reasons import ReasonCatalog

    root = _config_dir(config_dir)
    setup, expert, notes = _setup(spec, bank, root, validated, set(frame.columns))
    catalog = ReasonCatalog.from_yaml(root / "reason_codes.yaml")
    if spec.kind == "expert":
        raise UsageError(
            "rating score takes a statistical spec; rate with an expert card by giving a bank "
            "(--bank) whose policy names it, or report on it with 'rating report --spec CARD.yaml'."
        )
    out = rate_households(frame, setup=setup, statistical=spec, expert=expert, catalog=catalog)
    reasons = [c for c in out.columns if c.startswith("reason")]
    first = ["grade", "mode", "escalate", "escalate_reason", "knockout", *reasons]
    detail = ["grade_statistical", "decided_by"]
    if expert is not None:
        out = out.rename(columns={"pd": "pd_final"})
        detail = [
            "grade_statistical",
            "score_expert",
            "pd_expert",
            "grade_expert",
            "pd_final",
            "decided_by",
        ]
    return out[first + detail], notes


def _split(
    frame: pd.DataFrame, y: pd.Series, test_share: float, seed: int
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame | None, pd.Series | None]:
    if test_share <= 0:
        return frame, y, None, None
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(len(frame) * (1 - test_share))
    tr, te = np.sort(order[:cut]), np.sort(order[cut:])
    return frame.iloc[tr], y.iloc[tr], frame.iloc[te], y.iloc[te]


@click.command("report")
@click.option(
    "--spec",
    "spec_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Scorecard spec (JSON, from 'rating fit') or expert card (YAML).",
)
@click.option(
    "--data",
    "data_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Development table (.csv or .parquet) with the target.",
)
@click.option("--target", required=True, help="Target column: 0/1, or labels with --bad-label.")
@click.option("--bad-label", help="The target value that means bad (default: 1).")
@click.option(
    "--test",
    "test_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Validation table; without it a random --test-share of --data is held out.",
)
@click.option(
    "--test-share",
    default=0.3,
    show_default=True,
    type=click.FloatRange(0.0, 0.9),
    help="Share of --data held out as test when --test is not given (0: none).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the hold-out split.")
@click.option(
    "--bank",
    help="Bank code: its cut-offs (default: the federation's); an expert card gets its block weights.",
)
@click.option(
    "--grades-out",
    "grades_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the PD per grade calibrated on the development sample (JSON).",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the report (.html, one self-contained file).",
)
def report(
    spec_path: Path,
    data_path: Path,
    target: str,
    bad_label: str | None,
    test_path: Path | None,
    test_share: float,
    seed: int,
    bank: str | None,
    grades_path: Path | None,
    out_path: Path,
) -> None:
    """Write a model report: KS, AUC, Gini, PSI/CSI, gains, grades and calibration, WOE plots.

    Grades use the federation's default cut-offs (the middle of each allowed range) unless
    --bank names a bank policy. Columns system_grade/final_grade/escalate in the data add
    override and escalation rates.
    """
    from rating_models.report import build_report, render_html
    from scoring_service.cli.rating import _target, read_table

    start = time.perf_counter()
    card = load_card(spec_path)
    data = read_table(data_path)
    y = _target(data, target, bad_label)
    if test_path is not None:
        test = read_table(test_path)
        train, y_train, y_test = data, y, _target(test, target, bad_label)
    else:
        train, y_train, test, y_test = _split(data, y, test_share, seed)
    root = _config_dir(None)
    scale = _bank_scale(bank, root) if bank else federation_scale(root)
    if bank and card.expert is not None:
        card = _bank_card(card, bank, root)
    decisions = data[[c for c in _DECISION_COLUMNS if c in data.columns]]
    result = build_report(
        card.spec,
        card.frame(train),
        y_train.to_numpy(),
        test=None if test is None else card.frame(test),
        y_test=None if y_test is None else y_test.to_numpy(),
        scale=scale,
        labels=card.labels(),
        decisions=decisions if decisions.shape[1] else None,
    )
    out_path.write_text(
        render_html(result, generated=time.strftime("%Y-%m-%d %H:%M")), encoding="utf-8"
    )
    if grades_path is not None:
        text = json.dumps(result.grade_calibration.to_dict(), indent=2, ensure_ascii=False)
        grades_path.write_text(text, encoding="utf-8")
    where = (
        "the test file" if test_path else ("a random hold-out" if test is not None else "--data")
    )
    auc = result.summary["auc"].iloc[-1]
    click.echo(
        f"[{time.perf_counter() - start:6.1f}s] report written to {out_path} (AUC {auc:.3f} on {where})",
        err=True,
    )


def _bank_card(card: Card, bank: str, config_dir: Path) -> Card:
    from credit_limit.config import load_policy
    from rating_models.expert import to_spec

    weights = _plain(load_policy(bank, config_dir).bank.rating.block_weights)
    expert = card.expert.with_weights(weights) if card.expert is not None else None
    return card if expert is None else Card(to_spec(expert), expert)


def _bank_scale(bank: str, config_dir: Path) -> Any:
    from credit_limit.config import load_policy
    from rating_models.rating.grades import GradeScale

    policy = load_policy(bank, config_dir)
    return GradeScale.from_mapping(
        _plain(policy.bank.rating.cutoffs), grades=tuple(policy.federation.grade_scale)
    )


COMMANDS = [report]
