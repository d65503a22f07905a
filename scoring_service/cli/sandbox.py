"""``nongxin sandbox``: generate a synthetic province and report its Bayes AUC.

Every bad input — a count below one, a non-empty or unwritable output folder, an unknown
option, a malformed date — ends with one ``error[CODE]: message`` line and exit status 2.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from scoring_service.exceptions import UsageError

__all__ = ["OneLineCommand", "OneLineGroup", "format_summary", "sandbox"]


def _one_line(exc: click.UsageError, name: str | None) -> UsageError:
    where = exc.ctx.command_path if exc.ctx is not None else (name or "nongxin")
    return UsageError(f"{where}: {exc.format_message()}", code="USAGE")


class _OneLineUsage(click.Command):
    """Turns click's usage errors into one-line coded errors (exit status 2)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _one_line(exc, info_name) from None


class OneLineCommand(_OneLineUsage):
    """A click command whose usage errors become one-line coded errors (exit status 2)."""


class OneLineGroup(_OneLineUsage, click.Group):
    """A click group with one-line usage errors, for itself and its sub-commands."""

    command_class = OneLineCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc, ctx.info_name) from None


def _display_width(text: str) -> int:
    """Terminal columns of ``text``: CJK characters take two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def format_summary(summary: Any) -> str:
    """A short, readable summary of a :class:`~scoring_service.sandbox.ProvinceSummary`."""
    lines = [
        f"Sandbox province: {summary.households:,} households at {summary.banks} banks "
        f"(seed {summary.seed}, survey date {summary.as_of})",
        "  households per bank:",
    ]
    for code, count in summary.households_per_bank.items():
        name = summary.bank_names.get(code, "")
        pad = " " * max(0, 14 - _display_width(name))
        lines.append(f"    {code} {name}{pad}{count:>9,}")
    lines += [
        f"  default rate (12 months):  {summary.default_rate:.1%}",
        f"  thin-file share (白户):     {summary.thin_file_share:.1%}",
        f"  Bayes AUC (ceiling):       {summary.bayes_auc:.4f}",
        f"  files: {summary.path}",
        "    manifest.json, banks/villages/households/outcomes/risk_drivers.parquet,",
        "    reports/pboc/<household_id>.xml, reports/qianhai/<household_id>.json",
    ]
    return "\n".join(lines)


@click.group(cls=OneLineGroup)
def sandbox() -> None:
    """Synthetic province: households, PBOC and Qianhai reports, true PDs (docs/sandbox.md)."""


@sandbox.command()
@click.option("--households", type=int, required=True, help="Number of households (>= 1).")
@click.option(
    "--banks", type=int, required=True, help="Number of banks, coded 301, 302, ... (>= 1)."
)
@click.option(
    "--seed", type=int, required=True, help="Seed; the same arguments give identical files."
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="New or empty output folder.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-06-30",
    show_default=True,
    help="Survey date; reports are pulled on it.",
)
@click.option(
    "--workers",
    type=int,
    default=2,
    show_default=True,
    help="Worker processes (output does not depend on it).",
)
def generate(
    households: int, banks: int, seed: int, out: Path, as_of: dt.datetime, workers: int
) -> None:
    """Generate a province into OUT (written aside and moved into place when complete)."""
    from scoring_service.sandbox import generate_province

    summary = generate_province(
        out,
        households=households,
        banks=banks,
        seed=seed,
        as_of=as_of.date(),
        progress=True,
        workers=workers,
    )
    click.echo(format_summary(summary))


@sandbox.command("bayes-auc")
@click.argument("province_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def bayes_auc_command(province_dir: Path) -> None:
    """Print the AUC of the true PD against the outcomes: the ceiling for any model."""
    from scoring_service.sandbox import bayes_auc

    click.echo(f"{bayes_auc(province_dir):.4f}")
