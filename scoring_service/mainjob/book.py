"""Step 6: re-rate every household of every bank with the batch engine (``nongxin rerate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring_service.mainjob.context import JobContext
from scoring_service.mainjob.frame import OUTCOME_COLUMNS, PII_COLUMNS

__all__ = ["RUN_ID", "rerate_step", "write_book"]

#: The main job's re-rating run (re-running the job replaces it).
RUN_ID = "demo-annual"


def write_book(frame: pd.DataFrame, path: str) -> int:
    """The re-rating book of a model frame: no personal data, no outcomes, one row per
    household, bureau features as floats, ``report_ids`` and ``report_date`` kept."""
    from scoring_service.pipeline.inputs import BUREAU_COLUMNS

    book = frame.drop(columns=[*PII_COLUMNS, *OUTCOME_COLUMNS], errors="ignore")
    book = book.rename(columns={"report_id": "report_ids"})
    book["report_date"] = pd.to_datetime(book["report_date"]).dt.date
    for name in BUREAU_COLUMNS:
        book[name] = book[name].astype(np.float64)
    book.to_parquet(path, index=False)
    return len(book)


def rerate_step(ctx: JobContext) -> None:
    """Every household of every bank through its champion and policy, in chunks."""
    import shutil

    from scoring_service.batch.champions import registry_champions
    from scoring_service.batch.decider import load_policies
    from scoring_service.batch.job import RerateJob
    from scoring_service.batch.ledger import RunFolder
    from scoring_service.batch.report import write_report
    from scoring_service.batch.runner import run_job

    runs = ctx.out / "runs"
    shutil.rmtree(runs / RUN_ID, ignore_errors=True)
    folder = RunFolder(runs, RUN_ID)
    folder.root.mkdir(parents=True, exist_ok=True)
    book = folder.root / "book.parquet"
    rows = write_book(ctx.state["frame"], str(book))
    ctx.say(f"book: {rows:,} households (survey + bureau features, no personal data)")
    banks = sorted(ctx.state["summary"].households_per_bank)
    models = registry_champions(banks)
    policies = load_policies(banks, ctx.config_dir)
    job = RerateJob(book, tuple(banks), 50_000, "pandas", None)
    manifest = run_job(job, folder, models, policies, progress=False)
    paths = write_report(folder, None, models)
    decisions = folder.read_decisions(["household_id", "bank_code", "score", "model_grade",
                                       "grade", "escalate", "knockout", "limit"])  # fmt: skip
    ctx.state["decisions"] = decisions
    ctx.state["rerate_report"] = paths["html"]
    for bank, model in models.items():
        ctx.say(f"bank {bank}: champion {model.name} v{model.version} ({model.alias})")
    ctx.say(f"run {RUN_ID}: {manifest['rows']:,} decisions in {folder.decisions}")
    ctx.say(f"re-rating report: {paths['html']}")
