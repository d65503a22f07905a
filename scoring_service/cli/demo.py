"""``nongxin demo``: the main job on embedded defaults.

For now it generates a 20,000-household province at 3 banks under ``$NONGXIN_HOME/sandbox``
(replacing an earlier demo province) and prints its summary.
"""

from __future__ import annotations

import click

from scoring_service.cli.sandbox import OneLineCommand, format_summary

__all__ = ["demo"]


@click.command(cls=OneLineCommand)
@click.option(
    "--households",
    type=int,
    default=20_000,
    show_default=True,
    help="Households in the demo province.",
)
@click.option("--banks", type=int, default=3, show_default=True, help="Banks in the demo province.")
@click.option(
    "--seed", type=int, default=20260630, show_default=True, help="Seed of the demo province."
)
def demo(households: int, banks: int, seed: int) -> None:
    """Generate the demo province under NONGXIN_HOME/sandbox and summarise it."""
    from scoring_service.sandbox import generate_province
    from scoring_service.settings import get_settings

    out = get_settings().home / "sandbox"
    summary = generate_province(
        out, households=households, banks=banks, seed=seed, progress=True, overwrite=True
    )
    click.echo(format_summary(summary))
