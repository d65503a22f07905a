"""The main job: every step in order (``nongxin demo``)."""

from __future__ import annotations

from scoring_service.mainjob.book import rerate_step
from scoring_service.mainjob.bureau import bureau_step, generate_step
from scoring_service.mainjob.context import JobContext, Step, run_steps
from scoring_service.mainjob.models import policies_step, promote_step, train_step
from scoring_service.mainjob.report import report_step
from scoring_service.mainjob.service import service_step

__all__ = ["STEPS", "run_main_job"]

#: The steps of the main job, in order.
STEPS: list[tuple[str, Step]] = [
    ("Generate the sandbox province", generate_step),
    ("Query and parse the bureau reports under consent", bureau_step),
    ("Fit the farmer scorecard and the expert card", train_step),
    ("Register, validate and promote the champions", promote_step),
    ("Validate the bank policies against the red lines", policies_step),
    ("Re-rate every household of every bank", rerate_step),
    ("Rate applicants over HTTP", service_step),
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
