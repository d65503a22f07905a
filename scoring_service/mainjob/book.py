"""Steps 4 and 7: re-rate the book with last year's champion, then with each bank's champion,
and compare the two runs with the batch re-rating report (``nongxin rerate``'s engine)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from scoring_service.mainjob.context import JobContext, StepFailed
from scoring_service.mainjob.frame import OUTCOME_COLUMNS, PII_COLUMNS

__all__ = [
    "LAST_YEAR_RUN",
    "RUN_ID",
    "bank_stability",
    "last_year_step",
    "rerate",
    "rerate_step",
    "write_book",
]

#: The main job's re-rating runs (re-running the job replaces them).
RUN_ID = "demo-annual"
LAST_YEAR_RUN = "demo-last-year"
_DECISIONS = ["household_id", "bank_code", "score", "pd", "model_grade", "grade", "escalate",
              "knockout", "limit", "model_version"]  # fmt: skip


def write_book(frame: pd.DataFrame, path: str) -> int:
    """The re-rating book of a model frame: no personal data, no outcomes, one row per
    household, bureau features as floats, ``report_ids`` and ``report_date`` kept."""
    from scoring_service.pipeline.inputs import BUREAU_COLUMNS, QIANHAI_COLUMNS

    book = frame.drop(columns=[*PII_COLUMNS, *OUTCOME_COLUMNS], errors="ignore")
    book = book.rename(columns={"report_id": "report_ids"})
    book["report_date"] = pd.to_datetime(book["report_date"]).dt.date
    for name in (*BUREAU_COLUMNS, *(c for c in QIANHAI_COLUMNS if c in book.columns)):
        book[name] = book[name].astype(np.float64)
    book.to_parquet(path, index=False)
    return len(book)


def rerate(ctx: JobContext, run_id: str, models: Mapping[str, Any]) -> Any:
    """Re-rate the whole book under ``run_id`` (replacing an earlier run); its folder."""
    import shutil

    from scoring_service.batch.decider import load_policies
    from scoring_service.batch.job import RerateJob
    from scoring_service.batch.ledger import RunFolder
    from scoring_service.batch.runner import run_job

    runs = ctx.out / "runs"
    shutil.rmtree(runs / run_id, ignore_errors=True)
    folder = RunFolder(runs, run_id)
    folder.root.mkdir(parents=True, exist_ok=True)
    book = folder.root / "book.parquet"
    rows = write_book(ctx.state["frame"], str(book))
    banks = list(models)
    policies = load_policies(banks, ctx.config_dir)
    job = RerateJob(book, tuple(banks), 50_000, "pandas", None)
    manifest = run_job(job, folder, models, policies, progress=False)
    ctx.say(f"run {run_id}: {manifest['rows']:,} decisions of {rows:,} households in "
            f"{folder.decisions}")  # fmt: skip
    return folder


def last_year_step(ctx: JobContext) -> None:
    """Each bank's champion of last year — the federation expert card under the bank's
    cut-offs and knockouts — registered and promoted to ``champion-<bank>``, and the book
    re-rated with it: the "old" side of the year-over-year report.

    On a re-run the registry already holds the banks' champions: last year's is then the
    first version promoted to the bank's alias (its promotion history), not a new one.
    """
    from model_registry import ModelRegistry
    from model_registry.exceptions import ModelNotFound
    from model_registry.promotion import history
    from model_registry.registry import alias_name
    from model_registry.train import data_hash
    from scoring_service.batch.champions import registry_champions
    from scoring_service.mainjob.models import (
        EXPERT_CARD,
        MODEL_NAME,
        last_year_model,
        model_inputs,
        register_and_promote,
    )

    registry = ctx.state.setdefault("registry", ModelRegistry())
    frame: pd.DataFrame = ctx.state["frame"]
    data = model_inputs(frame)
    versions: dict[str, int] = {}
    for bank in ctx.state["banks"]:
        alias = alias_name("champion", bank)
        try:
            events = [e for e in history(registry, MODEL_NAME, alias) if e.action == "promote"]
        except ModelNotFound:  # a fresh registry
            events = []
        if events:
            version: int | None = events[0].version
            ctx.say(f"bank {bank}: last year's champion is v{version}, the first {alias} "
                    "in the promotion history (an earlier run registered it)")  # fmt: skip
        else:
            model, metrics, evidence = last_year_model(ctx, bank)
            ctx.say(
                f"bank {bank}: federation expert card {EXPERT_CARD} (published PD calibration) "
                f"under the bank's cut-offs, AUC {metrics['test_auc']:.3f} on its book"
            )
            version = register_and_promote(
                ctx, model, metrics=metrics, evidence=evidence,
                recent=data[data["bank_code"] == bank], training_sha256=data_hash(evidence),
                bank=bank, description=f"Main job: bank {bank}'s champion of last year, the "
                "federation expert card.",
            )  # fmt: skip
        if version is None:
            raise StepFailed(f"Bank {bank} has no champion of last year: the gate refused it.")
        versions[bank] = version
    ctx.state["last_year_versions"] = versions
    pinned = {bank: {"name": MODEL_NAME, "version": v} for bank, v in versions.items()}
    rerate(ctx, LAST_YEAR_RUN, registry_champions(ctx.state["banks"], pinned=pinned))


def bank_stability(old: pd.DataFrame, new: pd.DataFrame, models: Mapping[str, Any]) -> pd.DataFrame:
    """Per bank: households, grades up / down / same, limit totals old and new, the grade-mix
    PSI old → new and the score PSI of this year's champion against its development profile."""
    from rating_models.metrics import psi

    paired = new.merge(
        old[["household_id", "grade", "limit"]], on="household_id", suffixes=("", "_old")
    )
    rows = []
    for bank, part in paired.groupby("bank_code"):
        model = models[str(bank)].model
        rank = {g: i for i, g in enumerate(model.scale.grades)}
        step = part["grade"].map(rank) - part["grade_old"].map(rank)
        grades = list(model.scale.grades)
        mix_old = part["grade_old"].value_counts().reindex(grades, fill_value=0) + 0.5
        mix_new = part["grade"].value_counts().reindex(grades, fill_value=0) + 0.5
        q_old, q_new = mix_old / mix_old.sum(), mix_new / mix_new.sum()
        grade_psi = float(((q_new - q_old) * np.log(q_new / q_old)).sum())
        profile = model.development
        score_psi = (
            psi(np.asarray(profile.score_quantiles), part["score"].to_numpy())
            if profile is not None and profile.score_quantiles
            else float("nan")
        )
        rows.append({
            "bank_code": str(bank), "households": len(part),
            "upgraded": int((step < 0).sum()), "same": int((step == 0).sum()),
            "downgraded": int((step > 0).sum()),
            "limit_old_yuan": int(part["limit_old"].sum()),
            "limit_new_yuan": int(part["limit"].sum()),
            "grade_psi_old_new": grade_psi, "score_psi_vs_development": score_psi,
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("bank_code")


def rerate_step(ctx: JobContext) -> None:
    """Every household of every bank through its own champion and policy, in chunks; the
    batch report compares the run with last year's."""
    from scoring_service.batch.champions import registry_champions
    from scoring_service.batch.ledger import RunFolder
    from scoring_service.batch.report import write_report
    from scoring_service.mainjob.models import champion_line

    banks = ctx.state["banks"]
    models = registry_champions(banks)
    for bank, model in models.items():
        ctx.say(champion_line(bank, model))
    folder = rerate(ctx, RUN_ID, models)
    paths = write_report(folder, LAST_YEAR_RUN, models)
    new = folder.read_decisions(_DECISIONS)
    old = RunFolder(folder.root.parent, LAST_YEAR_RUN).read_decisions(_DECISIONS)
    ctx.state.update(decisions=new, last_year=old, rerate_report=paths["html"], models=models)
    table = bank_stability(old, new, models)
    ctx.state["stability"] = table
    for bank, r in table.iterrows():
        ctx.say(
            f"bank {bank} vs last year: {int(r['upgraded']):,} up, {int(r['downgraded']):,} "
            f"down, {int(r['same']):,} same grade; limits {r['limit_old_yuan'] / 1e8:,.2f} -> "
            f"{r['limit_new_yuan'] / 1e8:,.2f} 亿元; grade-mix PSI {r['grade_psi_old_new']:.3f}, "
            f"score PSI {r['score_psi_vs_development']:.3f}"
        )
    ctx.say(f"re-rating report (this year vs {LAST_YEAR_RUN}): {paths['html']}")
