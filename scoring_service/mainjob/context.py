"""The main job's shared state, its step runner and its one error."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoring_service.exceptions import ServiceError

__all__ = ["JobContext", "StepFailed", "run_steps"]


class StepFailed(ServiceError):
    """A step of the main job failed; ``step`` names it, the message says why."""

    default_code = "MAINJOB_STEP_FAILED"


@dataclass
class JobContext:
    """What the steps share: options, paths, and what earlier steps produced.

    Parameters
    ----------
    home : Path
        ``NONGXIN_HOME``: the registry, the compliance database and the job's output.
    config_dir : Path
        Red lines, bank policies, expert card and reason codes.
    households, banks, seed : int
        The book to generate (households of the sandbox province at ``banks`` banks).
    applicants : int
        New applicants generated with the province (the bureau simulators know them) but
        kept out of the book; the API step rates them.
    echo : callable
        Where each step's lines go (``click.echo`` in the CLI).
    progress : bool
        Progress bars on stderr for long work.
    """

    home: Path
    config_dir: Path
    households: int = 3000
    banks: int = 3
    seed: int = 20260630
    applicants: int = 5
    echo: Callable[[str], None] = print
    progress: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)

    @property
    def out(self) -> Path:
        """The job's output folder, ``NONGXIN_HOME/demo``."""
        return self.home / "demo"

    @property
    def province(self) -> Path:
        """The sandbox province folder, ``NONGXIN_HOME/sandbox`` (replaced on each run)."""
        return self.home / "sandbox"

    def say(self, message: str) -> None:
        """One indented line under the current step."""
        self.echo(f"    {message}")


Step = Callable[[JobContext], None]


def run_steps(ctx: JobContext, steps: list[tuple[str, Step]]) -> None:
    """Run ``steps`` in order, each announced and timed; the first failure stops the job.

    Raises
    ------
    StepFailed
        Naming the step and carrying the cause's message (and code, when it has one).
    """
    for number, (title, step) in enumerate(steps, start=1):
        ctx.echo(f"[{number}/{len(steps)}] {title}")
        start = time.perf_counter()
        try:
            step(ctx)
        except StepFailed as exc:
            raise StepFailed(
                f"step {number} ({title}) failed: {exc}", step=title, **exc.fields
            ) from exc
        except Exception as exc:
            code = getattr(exc, "code", type(exc).__name__)
            raise StepFailed(
                f"step {number} ({title}) failed: [{code}] {exc}", step=title, cause=str(code)
            ) from exc
        seconds = time.perf_counter() - start
        ctx.timings.append((title, seconds))
        ctx.say(f"done in {seconds:.1f} s")
