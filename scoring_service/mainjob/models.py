"""Steps 3-5: fit the cards, register and promote the champions, validate the policies."""

from __future__ import annotations

import pandas as pd

from scoring_service.mainjob.bureau import OPERATOR
from scoring_service.mainjob.context import JobContext, StepFailed

__all__ = ["MODEL_NAME", "model_inputs", "policies_step", "promote_step", "train_step"]

#: The registered model every bank's champion is a version of.
MODEL_NAME = "farmer-rating"
#: The federation's expert card (``config/expert_cards/``) blended into the model.
EXPERT_CARD = "federation_default"


def model_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """What the service's pipeline gives a model: the survey and the PBOC features (the
    batch and the API rate from exactly these columns, so the cards are fitted on them)."""
    from scoring_service.pipeline.inputs import INPUT_COLUMNS

    return frame[["household_id", *INPUT_COLUMNS]]


def train_step(ctx: JobContext) -> None:
    """The federation's model: the statistical scorecard blended with the expert card."""
    from model_registry.config import rating_config
    from model_registry.train import train_rating_model

    frame: pd.DataFrame = ctx.state["frame"]
    data = model_inputs(frame)
    config = rating_config(ctx.config_dir, None, columns=data.columns, expert_card=EXPERT_CARD)
    for note in config.notes:
        ctx.say(f"note: {note} (the service's pipeline carries survey + PBOC features)")
    result = train_rating_model(
        data,
        frame["default_12m"],
        name=MODEL_NAME,
        scale=config.scale,
        expert=config.expert,
        mode=config.mode,
        expert_weight=config.expert_weight,
        knockouts=config.knockouts,
        reason_catalog=config.reason_catalog,
        feature_catalog_version="pboc-features/1",
        seed=ctx.seed % 1000,
    )
    ctx.state["trained"] = result
    m, spec = result.metrics, result.model.statistical
    n_vars = 0 if spec is None else len(spec.features)
    ctx.say(
        f"scorecard: {n_vars} variables (WOE binning, selection, logistic "
        f"regression, 600 points at odds 50:1, PDO 20)"
    )
    ctx.say(
        f"expert card {EXPERT_CARD}: PD calibration fitted on the development rows; mode "
        f"{result.model.mode}, expert weight {result.model.expert_weight:.2f}"
    )
    ctx.say(
        f"hold-out ({int(m['test_n']):,} households): AUC {m['test_auc']:.3f}, "
        f"KS {m['test_ks']:.3f}; development AUC {m['train_auc']:.3f}"
    )


def promote_step(ctx: JobContext) -> None:
    """Register the model with its lineage, run the validation gate, promote to champion."""
    from model_registry import Lineage, ModelRegistry, PromotionRefused, promote
    from model_registry.flavor import input_example

    registry = ModelRegistry()
    result = ctx.state["trained"]
    data = model_inputs(ctx.state["frame"])
    lineage = Lineage(
        training_data_sha256=result.training_data_sha256,
        feature_catalog_version="pboc-features/1",
        author=OPERATOR,
        metrics=result.metrics,
    )
    info = registry.register(
        result.model,
        name=MODEL_NAME,
        lineage=lineage,
        input_example=input_example(result.model, data),
        evidence=result.test,
        description="Main job: federation farmer rating (scorecard + expert card).",
    )
    ctx.say(f"registered {MODEL_NAME} v{info.version} in {registry.tracking_uri}")
    try:
        event, report = promote(
            registry, MODEL_NAME, int(info.version), approver=OPERATOR, recent=data
        )
    except PromotionRefused as exc:
        raise StepFailed(
            f"[{exc.code}] {exc} The champion stays as it was; an empty NONGXIN_HOME starts "
            "the registry afresh.",
            version=int(info.version),
        ) from exc
    for check in report.checks if report else ():
        ctx.say(f"gate: pass  {check.name}: {check.message}")
    was = "-" if event.previous is None else f"v{event.previous}"
    ctx.say(f"{MODEL_NAME}@{event.alias} -> v{event.version} (was {was}), approver {OPERATOR}")
    ctx.state["registry"] = registry


def policies_step(ctx: JobContext) -> None:
    """Every bank policy against the schema and the federation's red lines."""
    from credit_limit import validate_config

    checked, violations = validate_config(ctx.config_dir)
    if violations:
        listed = "; ".join(str(v) for v in violations)
        raise StepFailed(f"{len(violations)} policy violation(s): {listed}")
    ctx.say(f"{len(checked)} files inside the red lines: {', '.join(checked)}")
