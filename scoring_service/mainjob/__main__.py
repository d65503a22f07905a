"""``python -m scoring_service.mainjob``: the main job (same as ``nongxin demo`` once wired)."""

from __future__ import annotations

from scoring_service.cli import _domain_errors
from scoring_service.mainjob.cli import demo


def main() -> None:
    """Run the main job; a failed step prints ``error[CODE]: message`` and exits with 2."""
    import sys

    import click

    try:
        demo.main(prog_name="python -m scoring_service.mainjob", standalone_mode=False)
    except _domain_errors() as exc:
        click.echo(f"error[{getattr(exc, 'code', 'ERROR')}]: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
