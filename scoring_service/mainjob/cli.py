"""``nongxin demo``: the main job end to end on embedded defaults."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from scoring_service.cli.sandbox import OneLineCommand

__all__ = ["MIN_HOUSEHOLDS", "demo"]

#: Fewest households the model steps run on (a few dozen defaults fail the gate's minimum AUC).
MIN_HOUSEHOLDS = 500


def _quiet_third_parties() -> None:
    """MLflow's table-creation logs and artifact progress bars would drown the steps."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # read when mlflow is imported
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


@click.command(cls=OneLineCommand)
@click.option(
    "--households", type=int, default=4_000, show_default=True,
    help=f"Households in the book (3 banks); below {MIN_HOUSEHOLDS:,} only the province is "
    "generated (too few defaults to fit and validate a model).",
)  # fmt: skip
@click.option("--seed", type=int, default=20260630, show_default=True, help="Seed of the province.")
@click.option(
    "--applicants", type=click.IntRange(2, 50), default=5, show_default=True,
    help="New applicants generated with the province but kept out of the book (rated over HTTP).",
)  # fmt: skip
def demo(households: int, seed: int, applicants: int) -> None:
    """Run the main job end to end on embedded defaults (province in NONGXIN_HOME/sandbox,
    everything else under NONGXIN_HOME/demo).

    \b
    1 generate a sandbox province (3 banks): the book and a few new applicants
    2 record consents; query every household's PBOC report (SOAP) and Qianhai results
      (HTTP) through the simulators and the consent gate (audited); parse them
    3 validate every bank policy against the federation's red lines
    4 last year: register and promote the federation expert card, re-rate the book
    5 fit each bank's model: WOE scorecard + expert card, combined as the bank chooses
    6 register each bank's model, run the validation gate, promote it to the bank's champion
    7 re-rate every household of every bank with its champion; compare with last year
    8 start the scoring API and rate the new applicants over HTTP, refusals with reasons
    9 write one HTML report and print a summary
    """
    from scoring_service.mainjob.context import JobContext
    from scoring_service.mainjob.job import run_main_job
    from scoring_service.mainjob.report import summary_lines
    from scoring_service.settings import get_settings

    settings = get_settings()
    if households < MIN_HOUSEHOLDS:
        _province_only(settings.home / "sandbox", households, seed)
        return
    _quiet_third_parties()
    ctx = JobContext(
        home=settings.home,
        config_dir=settings.config_dir,
        households=households,
        seed=seed,
        applicants=applicants,
        echo=click.echo,
        progress=True,
    )
    run_main_job(ctx)
    click.echo("")
    for line in summary_lines(ctx):
        click.echo(line)


def _province_only(out: Path, households: int, seed: int) -> None:
    """Generate and summarise the province alone (its own errors, e.g. SANDBOX_ARGUMENT)."""
    from scoring_service.cli.sandbox import format_summary
    from scoring_service.sandbox import generate_province

    summary = generate_province(
        out, households=households, banks=3, seed=seed, progress=True, overwrite=True
    )
    click.echo(format_summary(summary))
    click.echo(
        f"Fewer than {MIN_HOUSEHOLDS:,} households: the province only (the model steps need "
        "more defaults); run with the default --households for the main job."
    )
