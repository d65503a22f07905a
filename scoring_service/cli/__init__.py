"""The ``nongxin`` command line.

Each command group lives in its own module under :mod:`scoring_service.cli` and is imported
only when it is used, so ``nongxin --help`` stays fast (MLflow alone costs seconds to import).
Domain errors become a one-line ``error[CODE]: message`` on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from typing import Any

import click

__all__ = ["cli", "main"]

# name -> (module, attribute, one-line help). Order is the order shown in --help.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "sandbox": ("scoring_service.cli.sandbox", "sandbox", "Generate a synthetic province."),
    "bureau": ("scoring_service.cli.bureau", "bureau", "Parse, query and simulate bureaus."),
    "rating": ("scoring_service.cli.rating", "rating", "Fit, score and report scorecards."),
    "policy": ("scoring_service.cli.policy", "policy", "Validate bank policies; what-if."),
    "model": ("scoring_service.cli.model", "model", "Train, register, promote models."),
    "serve": ("scoring_service.cli.serve", "serve", "Run the scoring HTTP API."),
    "decision": ("scoring_service.cli.decision", "decision", "Show and replay decisions."),
    "bank": ("scoring_service.cli.bank", "bank", "Manage banks and their API keys."),
    "rerate": ("scoring_service.cli.rerate", "rerate", "Re-rate a whole book (batch)."),
    "demo": ("scoring_service.cli.demo", "demo", "Run the main job end to end."),
}


class _LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (mod, _, _) in _COMMANDS.items() if _module_exists(mod)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None or not _module_exists(entry[0]):
            return None
        command = getattr(importlib.import_module(entry[0]), entry[1])
        if not isinstance(command, click.Command):  # pragma: no cover - programming error
            raise TypeError(f"{entry[0]}.{entry[1]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nongxin")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """nongxin — credit rating and bureau integration for rural credit cooperatives.

    State lives under NONGXIN_HOME (default ./.nongxin); configuration under
    NONGXIN_CONFIG_DIR (default ./config). Run `nongxin COMMAND --help` for details.
    """
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bureau_adapters.pii import install_log_masking

    install_log_masking()


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``nongxin`` console script."""
    from rating_models.exceptions import NongxinError

    try:
        return cli.main(args=argv, prog_name="nongxin", standalone_mode=True)
    except NongxinError as exc:
        click.echo(f"error[{exc.code}]: {exc}", err=True)
        sys.exit(2)
