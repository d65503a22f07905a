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
    "--households", type=int, default=20_000, show_default=True,
    help=f"Households in the sandbox province (3 banks); below {MIN_HOUSEHOLDS:,} only the "
    "province is generated (too few defaults to fit and validate a model).",
)  # fmt: skip
@click.option("--seed", type=int, default=20260630, show_default=True, help="Seed of the province.")
@click.option(
    "--sample", type=click.IntRange(1, 10_000), default=50, show_default=True,
    help="Households whose PBOC report is queried over HTTP (the rest parsed from files).",
)  # fmt: skip
def demo(households: int, seed: int, sample: int) -> None:
    """Run the main job end to end on embedded defaults (province in NONGXIN_HOME/sandbox,
    everything else under NONGXIN_HOME/demo).

    \b
    1 generate a sandbox province (3 banks)
    2 record consents, query a sample of PBOC reports through the simulator over HTTP
      (consent gate, audit), parse every report
    3 fit the farmer scorecard and calibrate the expert card
    4 register the model in MLflow, run the validation gate, promote it to champion
    5 validate every bank policy against the federation's red lines
    6 re-rate every household of every bank (the `nongxin rerate` engine)
    7 start the scoring API and rate applicants over HTTP, one of them refused
    8 write one HTML report and print a summary
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
        sample=sample,
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
