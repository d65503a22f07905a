"""Steps 3-6: the policies; last year's champion; each bank's cards; register, gate, promote.

Last year every bank rated with the federation's expert card (``federation_default``, its PD
calibration as published): it is registered and promoted to the federation-wide
``champion`` alias. This year each bank gets its own champion under ``champion-<bank>``: the
WOE scorecard fitted on the federation's pooled book (households with a bureau history carry
it) combined with the expert card (thin-file farmers) the way the bank's policy chooses —
its mode (blend / agree-or-escalate / minimum), expert weight, expert-card block weights,
grade cut-offs and knockouts (``config/banks/<code>.yaml``). The gate compares each with the
champion the bank has now (its own, else the federation's) on the hold-out, and checks
stability on the bank's own book.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from scoring_service.mainjob.context import JobContext, StepFailed
from scoring_service.mainjob.fetch import OPERATOR

__all__ = [
    "EXPERT_CARD",
    "MODEL_NAME",
    "champion_line",
    "last_year_model",
    "model_inputs",
    "policies_step",
    "promote_step",
    "register_and_promote",
    "train_step",
]

#: The registered model every champion is a version of.
MODEL_NAME = "farmer-rating"
#: The federation's expert card (``config/expert_cards/``).
EXPERT_CARD = "federation_default"
_CATALOG = "pboc-features/1"


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """What the service's pipeline gives a model: the survey and PBOC columns of
    :data:`~scoring_service.pipeline.inputs.INPUT_COLUMNS` and the Qianhai features of
    :data:`~scoring_service.pipeline.inputs.QIANHAI_COLUMNS` the frame has (the batch and
    the API rate from exactly these, so the cards are fitted on them)."""
    from scoring_service.pipeline.inputs import INPUT_COLUMNS, QIANHAI_COLUMNS

    qianhai = [c for c in QIANHAI_COLUMNS if c in frame.columns]
    return frame[["household_id", *INPUT_COLUMNS, *qianhai]]


def policies_step(ctx: JobContext) -> None:
    """Every bank policy against the schema and the federation's red lines."""
    from credit_limit import validate_config

    checked, violations = validate_config(ctx.config_dir)
    if violations:
        listed = "; ".join(str(v) for v in violations)
        raise StepFailed(f"{len(violations)} policy violation(s): {listed}")
    ctx.say(f"{len(checked)} files inside the red lines: {', '.join(checked)}")


def last_year_model(ctx: JobContext, bank: str) -> tuple[Any, dict[str, float], pd.DataFrame]:
    """The federation expert card as ``bank`` used it last year: the card's points and its
    published score-to-PD calibration, under the bank's cut-offs and knockouts; grade PDs
    and the development profile from the bank's book. Returns the model, its metrics on the
    bank's book and its evidence (the bank's book with the outcome)."""
    from model_registry.bundle import DevelopmentProfile, RatingModel
    from model_registry.config import rating_config
    from model_registry.train import evaluate
    from rating_models.rating import calibrate_grades

    frame: pd.DataFrame = ctx.state["frame"]
    frame = frame[frame["bank_code"] == bank]
    data = model_inputs(frame)
    card = rating_config(ctx.config_dir, None, columns=frame.columns, expert_card=EXPERT_CARD)
    setup = _bank_config(ctx, bank, data.columns, quiet=True)
    model = RatingModel(
        name=MODEL_NAME,
        scale=setup.scale,
        mode="expert",
        expert=card.expert,
        knockouts=setup.knockouts,
        reason_catalog=setup.reason_catalog,
        feature_catalog_version=_CATALOG,
    )
    y = frame["default_12m"].to_numpy()
    rated = model.predict(data)
    model = dataclasses.replace(
        model,
        grade_calibration=calibrate_grades(y, rated["pd"].to_numpy(), model.scale),
        development=DevelopmentProfile.from_rated(rated, model.scale.grades),
    )
    metrics = {f"test_{k}": v for k, v in evaluate(model, data, y).items()}
    evidence = data[list(model.input_columns)].assign(target=y.astype(int))
    return model, metrics, evidence


def register_and_promote(
    ctx: JobContext,
    model: Any,
    *,
    metrics: dict[str, float],
    evidence: pd.DataFrame,
    recent: pd.DataFrame,
    training_sha256: str,
    bank: str | None,
    description: str,
) -> int | None:
    """Register ``model`` with its lineage, run the gate, promote it; the new version.

    A bank's model the gate refuses is reported and not promoted (``None``): the bank keeps
    the champion it has. A refused federation champion stops the job.
    """
    from model_registry import Lineage, ModelRegistry, PromotionRefused, promote
    from model_registry.flavor import input_example

    registry = ctx.state.setdefault("registry", ModelRegistry())
    lineage = Lineage(
        training_data_sha256=training_sha256,
        feature_catalog_version=_CATALOG,
        author=OPERATOR,
        metrics=metrics,
    )
    info = registry.register(
        model,
        name=MODEL_NAME,
        lineage=lineage,
        input_example=input_example(model, recent),
        evidence=evidence,
        description=description,
    )
    version = int(info.version)
    try:
        event, report = promote(
            registry, MODEL_NAME, version, approver=OPERATOR, recent=recent, bank=bank
        )
    except PromotionRefused as exc:
        if bank is None:
            raise StepFailed(
                f"[{exc.code}] {exc} The champion stays as it was; an empty NONGXIN_HOME "
                "starts the registry afresh.",
                version=version,
            ) from exc
        ctx.say(f"v{version}: REFUSED by the gate: {'; '.join(exc.failed_checks)}")
        return None
    checks = report.checks if report else ()
    m = report.metrics if report else {}
    versus = f" vs champion {m['champion_auc']:.3f}" if "champion_auc" in m else ""
    moved = m.get("grade_migration_2plus")
    ctx.say(
        f"v{version}: gate {sum(c.passed for c in checks)}/{len(checks)} checks pass "
        f"(hold-out AUC {m.get('challenger_auc', float('nan')):.3f}{versus}"
        + ("" if moved is None else f", {moved:.1%} move 2+ grades")
        + f", score PSI {m.get('score_psi', float('nan')):.3f})"
    )
    was = "-" if event.previous is None else f"v{event.previous}"
    ctx.say(f"{MODEL_NAME}@{event.alias} -> v{event.version} (was {was}), approver {OPERATOR}")
    return version


def _bank_config(ctx: JobContext, bank: str, columns: Any, *, quiet: bool = False) -> Any:
    from model_registry.config import rating_config

    config = rating_config(ctx.config_dir, bank, columns=ctx.state["frame"].columns)
    say = (lambda _: None) if quiet else ctx.say
    kept = tuple(r for r in config.knockouts if r.column in set(columns))
    for rule in config.knockouts:
        if rule not in kept:
            say(f"note: bank {bank} knockout {rule.name} left out: no {rule.column} input")
    return dataclasses.replace(config, knockouts=kept)


def train_step(ctx: JobContext) -> None:
    """Each bank's model: the WOE scorecard on the pooled book, combined with the expert
    card (re-weighted by the bank) in the bank's mode, under its cut-offs and knockouts."""
    from model_registry.train import train_rating_model

    frame: pd.DataFrame = ctx.state["frame"]
    data = model_inputs(frame)
    trained = {}
    for bank in ctx.state["banks"]:
        config = _bank_config(ctx, bank, data.columns)
        result = train_rating_model(
            data, frame["default_12m"], name=MODEL_NAME, scale=config.scale,
            expert=config.expert, mode=config.mode, expert_weight=config.expert_weight,
            knockouts=config.knockouts, reason_catalog=config.reason_catalog,
            feature_catalog_version=_CATALOG, seed=ctx.seed % 1000,
        )  # fmt: skip
        trained[bank] = result
        m, spec = result.metrics, result.model.statistical
        ctx.say(
            f"bank {bank}: {_setup(result.model)}; scorecard {0 if spec is None else len(spec.features)} "
            f"variables; hold-out AUC {m['test_auc']:.3f}, KS {m['test_ks']:.3f} "
            f"({int(m['test_n']):,} households)"
        )
    ctx.state["trained"] = trained
    ctx.say("scorecards: WOE binning, selection, logistic regression, 600 points at 50:1, PDO 20")


def _setup(model: Any) -> str:
    scale = model.scale
    cut = " ".join(f"{g}<={v:.1%}" for g, v in zip(scale.grades[:-1], scale.max_pd, strict=False))
    weight = f" (expert weight {model.expert_weight:.2f})" if model.mode == "blend" else ""
    codes = " ".join(r.code for r in model.knockouts)
    return f"{model.mode}{weight}, cut-offs {cut}, knockouts {codes}"


def promote_step(ctx: JobContext) -> None:
    """Register each bank's model and promote it to the bank's champion through the gate."""
    frame: pd.DataFrame = ctx.state["frame"]
    data = model_inputs(frame)
    versions = {}
    for bank, result in ctx.state["trained"].items():
        ctx.say(f"bank {bank}:")
        versions[bank] = register_and_promote(
            ctx,
            result.model,
            metrics=result.metrics,
            evidence=result.test,
            recent=data[data["bank_code"] == bank],
            training_sha256=result.training_data_sha256,
            bank=bank,
            description=f"Main job: bank {bank}'s farmer rating ({_setup(result.model)}).",
        )
    ctx.state["versions"] = versions
    kept = [bank for bank, v in versions.items() if v is None]
    if kept:
        who = (
            f"bank {kept[0]} keeps its" if len(kept) == 1 else f"banks {', '.join(kept)} keep their"
        )
        ctx.say(
            f"{who} current champion (the gate refused the new model; a bank moves once a "
            "model passes, e.g. with a transition plan that moves fewer households)"
        )


def champion_line(bank: str, model: Any) -> str:
    """``bank 301: farmer-rating v2 (champion-301), blend ...`` — which champion a bank uses."""
    return f"bank {bank}: {model.name} v{model.version} ({model.alias}), {_setup(model.model)}"
