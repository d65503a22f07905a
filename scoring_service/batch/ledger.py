"""The run folder, its manifest and the ledger of completed chunks (exactly-once).

::

    OUT/<run_id>/manifest.json        what the run is (book, chunking, model, policies, time)
    OUT/<run_id>/ledger.jsonl         one line per completed chunk (rows, seconds), appended
    OUT/<run_id>/decisions/part-000012.parquet   decisions of chunk 12
    OUT/<run_id>/decisions/part-000013.empty     chunk 13 had no row to rate
    OUT/<run_id>/.run.lock            held (flock) by the invocation running the run

A chunk's part is written to a temporary file, flushed and ``fsync``-ed, then renamed to its
final name (atomic on POSIX) and the folder is ``fsync``-ed. The final names are the truth: a
chunk is done exactly when its ``part-*`` exists. A run killed at any point (SIGKILL
included) leaves at most temporary files, which :meth:`RunFolder.open` discards; restarted,
it skips the done chunks, so every household ends up in exactly one part.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from scoring_service.exceptions import UsageError

__all__ = ["MANIFEST_SCHEMA", "RunFolder", "latest_complete_run"]

MANIFEST_SCHEMA = "nongxin.rerate-run/1"
_PART = re.compile(r"^part-(\d{6})\.(parquet|empty)$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


class RunFolder:
    """One re-rating run's folder (see the module docstring for the layout).

    Parameters
    ----------
    out : Path
        Parent folder of all runs.
    run_id : str
        Letters, digits, ``.``, ``_``, ``-`` (at most 64).
    """

    def __init__(self, out: Path, run_id: str) -> None:
        if not _RUN_ID.match(run_id):
            raise UsageError(
                f"The run id must be 1-64 letters, digits, '.', '_' or '-'. Got {run_id!r}.",
                field="run_id",
            )
        self.run_id = run_id
        self.root = Path(out) / run_id
        self.decisions = self.root / "decisions"
        self.manifest_path = self.root / "manifest.json"
        self.ledger_path = self.root / "ledger.jsonl"

    def exists(self) -> bool:
        """Whether the run was started (has a manifest)."""
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest (raises :class:`UsageError` when the run does not exist)."""
        if not self.exists():
            raise UsageError(
                f"No re-rating run {self.run_id!r} in {self.root.parent}.", field="run_id"
            )
        data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        return data

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        """Replace the manifest atomically."""
        self.decisions.mkdir(parents=True, exist_ok=True)
        body = {"schema": MANIFEST_SCHEMA, "run_id": self.run_id, **manifest}
        _atomic_bytes(self.manifest_path, json.dumps(body, indent=2, sort_keys=True).encode())

    @contextlib.contextmanager
    def exclusive(self, *, wait: float = 30.0) -> Iterator[None]:
        """Hold the run for this process and the processes it forks: an ``flock`` on
        ``OUT/<run_id>/.run.lock`` that forked helpers share and the kernel drops when the last
        of them exits. Another invocation of the same run waits up to ``wait`` seconds (the
        helpers of a killed invocation finish the chunk in hand, then stop), then is refused,
        so no two invocations ever write the same run. (Spawned helpers do not share it.)

        Raises
        ------
        UsageError
            The run is still held after ``wait`` seconds.
        """
        if sys.platform == "win32":  # pragma: no cover - no flock there
            yield
            return
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".run.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise UsageError(
                            f"Run {self.run_id!r} is being run by another process (or the "
                            f"helpers of a killed one are still busy) after {wait:g} s; wait "
                            "for it to end or stop it, then restart with the same run id.",
                            field="run_id",
                        ) from None
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)  # forked helpers still running keep holding it

    def open(self) -> set[int]:
        """Discard temporary files left by a killed run; the numbers of the done chunks.

        Call it only while no process of the run writes. A part whose ledger line was lost
        (the writer killed between the rename and the append) gets its line back (``rows``
        from the part, ``"recovered": true``), so the ledger lists every done chunk.
        """
        self.decisions.mkdir(parents=True, exist_ok=True)
        done: set[int] = set()
        for path in self.decisions.iterdir():
            match = _PART.match(path.name)
            if match:
                done.add(int(match.group(1)))
            elif path.name.endswith(".tmp"):
                path.unlink()
        self._complete_ledger(done)
        return done

    def ledger_chunks(self) -> list[int]:
        """The chunk of every ledger line, in order (a line torn by a kill is skipped)."""
        if not self.ledger_path.exists():
            return []
        chunks = []
        for line in self.ledger_path.read_text(encoding="utf-8").splitlines():
            try:
                chunks.append(int(json.loads(line)["chunk"]))
            except (ValueError, KeyError, TypeError):
                continue  # the last line of a writer killed mid-append
        return chunks

    def _complete_ledger(self, done: set[int]) -> None:
        lost = sorted(done - set(self.ledger_chunks()))
        if not lost:
            return
        data = self.ledger_path.read_bytes() if self.ledger_path.exists() else b""
        torn = bool(data) and not data.endswith(b"\n")
        lines = [
            json.dumps({"chunk": c, "rows": self.part_rows(c), "seconds": None, "recovered": True})
            for c in lost
        ]
        with open(self.ledger_path, "a", encoding="utf-8") as fh:
            fh.write(("\n" if torn else "") + "\n".join(lines) + "\n")

    def write_part(self, chunk: int, frame: pd.DataFrame, seconds: float) -> None:
        """Write chunk ``chunk``'s decisions atomically and record it in the ledger."""
        final = self.decisions / f"part-{chunk:06d}.{'parquet' if len(frame) else 'empty'}"
        tmp = self.decisions / f".{final.name}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            if len(frame):
                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(final)
        _fsync_dir(self.decisions)
        line = {"chunk": chunk, "rows": len(frame), "seconds": round(seconds, 4)}
        with open(self.ledger_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")

    def part_rows(self, chunk: int) -> int | None:
        """Rows of chunk ``chunk``'s part (``None``: not written yet); reads no temporary file
        and discards nothing, so it is safe while other processes write."""
        stem = self.decisions / f"part-{chunk:06d}"
        if stem.with_suffix(".empty").exists():
            return 0
        try:
            return int(pq.ParquetFile(stem.with_suffix(".parquet")).metadata.num_rows)
        except FileNotFoundError:
            return None

    def part_files(self) -> list[Path]:
        """The decision part files, in chunk order (Spark's part names sort the same way)."""
        return sorted(p for p in self.decisions.glob("part-*.parquet"))

    def read_decisions(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Decisions of the run (only ``columns`` when given), in chunk order."""
        parts = self.part_files()
        if not parts:
            return pd.DataFrame(columns=columns or [])
        return pq.read_table(parts, columns=columns).to_pandas()


def latest_complete_run(out: Path, *, exclude: str | None = None) -> str | None:
    """The id of the last-finished complete run in ``out`` (other than ``exclude``)."""
    found: list[tuple[str, str]] = []
    for path in Path(out).glob("*/manifest.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("status") == "complete" and data.get("run_id") != exclude:
            found.append((str(data.get("finished_at", "")), str(data["run_id"])))
    return max(found)[1] if found else None
