"""A re-rating job: what to re-rate, and the run identity that makes a restart a resume.

:func:`start_run` writes the manifest of a new run, or checks that a restarted run asks for
exactly what the first start asked for (same book, chunking, banks, models, policies, trigger)
— resuming a run on a changed book or a moved champion would mix two runs' decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_limit import EffectivePolicy
from model_registry.serving import LoadedModel
from scoring_service.batch.book import BookInfo, book_info
from scoring_service.batch.ledger import RunFolder
from scoring_service.exceptions import UsageError

__all__ = ["ENGINES", "RerateJob", "finish_run", "start_run"]

#: Engines a job can run on.
ENGINES = ("pandas", "spark")
_MIN_CHUNK, _MAX_CHUNK = 1, 5_000_000


@dataclass(frozen=True)
class RerateJob:
    """What one re-rating run reads and how it cuts it.

    Parameters
    ----------
    input : Path
        The book (parquet, :mod:`scoring_service.batch.book`).
    banks : tuple of str, optional
        Banks to re-rate (``None``: every bank of the book).
    chunk_rows : int
        Rows per chunk (memory is about one chunk).
    engine : str
        ``pandas`` or ``spark``.
    changed_since : str, optional
        Re-rate only households whose inputs changed since this run (event triggers).
    """

    input: Path
    banks: tuple[str, ...] | None = None
    chunk_rows: int = 100_000
    engine: str = "pandas"
    changed_since: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UsageError(
                f"The 'engine' of a re-rating job must be one of {list(ENGINES)}. "
                f"Got {self.engine!r}.",
                field="engine",
            )
        if not _MIN_CHUNK <= self.chunk_rows <= _MAX_CHUNK:
            raise UsageError(
                f"The 'chunk_rows' of a re-rating job must be an int in "
                f"[{_MIN_CHUNK}, {_MAX_CHUNK}]. Got {self.chunk_rows!r}.",
                field="chunk_rows",
            )

    @property
    def book(self) -> BookInfo:
        """Row count, size and time of the book (checked on every access)."""
        return book_info(self.input)


def _identity(
    job: RerateJob,
    book: BookInfo,
    models: Mapping[str, LoadedModel],
    policies: Mapping[str, EffectivePolicy],
) -> dict[str, Any]:
    return {
        "book": book.to_dict(),
        "chunk_rows": job.chunk_rows,
        "banks": list(job.banks) if job.banks is not None else None,
        "engine": job.engine,
        "changed_since": job.changed_since,
        "models": {
            b: {"name": m.name, "version": int(m.version), "hash": m.content_hash}
            for b, m in sorted(models.items())
        },
        "policies": {
            b: {"bank_hash": p.bank_hash, "federation_hash": p.federation_hash}
            for b, p in sorted(policies.items())
        },
    }


def start_run(
    job: RerateJob,
    folder: RunFolder,
    models: Mapping[str, LoadedModel],
    policies: Mapping[str, EffectivePolicy],
) -> dt.datetime:
    """Write a new run's manifest, or check a restarted run; the run's decision time.

    Raises
    ------
    UsageError
        The run exists with another book, chunking, bank selection, model or policy.
    """
    identity = _identity(job, job.book, models, policies)
    if folder.exists():
        manifest = folder.read_manifest()
        changed = [k for k, v in identity.items() if manifest.get(k) != v]
        if changed:
            raise UsageError(
                f"Run {folder.run_id!r} was started with another {', '.join(changed)}; "
                "resume it with the same inputs or choose a new --run-id.",
                field="run_id",
                changed=changed,
            )
        return dt.datetime.fromisoformat(manifest["decided_at"])
    now = dt.datetime.now(dt.UTC)
    folder.write_manifest({**identity, "status": "running", "decided_at": now.isoformat()})
    return now


def finish_run(folder: RunFolder, rows: int, seconds: float) -> dict[str, Any]:
    """Mark the run complete (rows in the output, wall seconds of the last invocation)."""
    manifest = folder.read_manifest()
    manifest.pop("schema", None)
    manifest.pop("run_id", None)
    manifest.update(
        status="complete",
        rows=rows,
        finished_at=dt.datetime.now(dt.UTC).isoformat(),
        last_seconds=round(seconds, 3),
    )
    folder.write_manifest(manifest)
    return manifest
