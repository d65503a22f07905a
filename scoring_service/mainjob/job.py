"""The main job: every step in order (``nongxin demo``)."""

from __future__ import annotations

from scoring_service.mainjob.book import last_year_step, rerate_step
from scoring_service.mainjob.bureau import bureau_step, generate_step
from scoring_service.mainjob.context import JobContext, Step, run_steps
from scoring_service.mainjob.models import policies_step, promote_step, train_step
from scoring_service.mainjob.report import report_step
from scoring_service.mainjob.service import service_step

__all__ = ["STEPS", "run_main_job"]

#: The steps of the main job, in order.
STEPS: list[tuple[str, Step]] = [
    ("Generate the sandbox province", generate_step),
    ("Query and parse every household's bureau reports under consent", bureau_step),
    ("Validate the bank policies against the red lines", policies_step),
    ("Last year: each bank's champion was the expert card; re-rate the book", last_year_step),
    ("Fit each bank's scorecard and expert card", train_step),
    ("Register, validate and promote each bank's champion", promote_step),
    ("Re-rate every household of every bank with its champion", rerate_step),
    ("Rate new applicants over HTTP", service_step),
    ("Write the report", report_step),
]


def run_main_job(ctx: JobContext) -> None:
    """Run every step of the main job (see :data:`STEPS`); the first failure stops it.

    Raises
    ------
    StepFailed
        Naming the failed step and why.
    """
    run_steps(ctx, STEPS)
