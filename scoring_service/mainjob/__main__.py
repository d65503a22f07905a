"""``python -m scoring_service.mainjob``: the main job (the same as ``nongxin demo``)."""

from __future__ import annotations

import sys

import click

from bureau_adapters.pii import install_log_masking
from rating_models.exceptions import NongxinError
from scoring_service.mainjob.cli import demo


def main() -> None:
    """Run the main job; a failed step prints ``error[CODE]: message`` and exits with 2."""
    install_log_masking()
    try:
        demo.main(prog_name="python -m scoring_service.mainjob", standalone_mode=False)
    except NongxinError as exc:
        click.echo(f"error[{exc.code}]: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
