"""Generate a whole sandbox province into a folder, atomically, in parallel chunks.

The province is written into a hidden sibling folder and renamed into place only when
complete; on any failure (or Ctrl-C) the partial folder is removed. Chunks run in up to
``workers`` processes; output is byte-identical whatever the worker count.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from scoring_service.exceptions import UsageError
from scoring_service.sandbox.chunk import CHUNK_SIZE, ChunkResult, World, build_chunk
from scoring_service.sandbox.geography import make_banks, make_villages
from scoring_service.sandbox.summary import ProvinceSummary, auc, summarise
from scoring_service.sandbox.tables import (
    DRIVERS_SCHEMA,
    HOUSEHOLD_SCHEMA,
    OUTCOME_SCHEMA,
    to_table,
)

__all__ = ["GENERATOR_VERSION", "SCHEMA_VERSION", "generate_province"]

GENERATOR_VERSION = "nongxin-sandbox/1"
SCHEMA_VERSION = "province/1"
_MAX_BANKS = 999 - 300


def _check_count(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise UsageError(
            f"The '{name}' of a sandbox province must be an integer >= {minimum}. Got {value!r}.",
            code="SANDBOX_ARGUMENT", field=name,
        )  # fmt: skip
    if maximum is not None and value > maximum:
        raise UsageError(
            f"The '{name}' of a sandbox province must be an integer <= {maximum}. Got {value!r}.",
            code="SANDBOX_ARGUMENT", field=name,
        )  # fmt: skip
    return int(value)


def _check_output(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"The output folder {out} is a file.", code="SANDBOX_OUTPUT", field="out")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UsageError(
            f"The output folder {out} is not empty; choose a new or empty folder.",
            code="SANDBOX_OUTPUT", field="out",
        )  # fmt: skip
    ancestor = out.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(
            f"The output folder {out} cannot be created: {ancestor} is not a writable folder.",
            code="SANDBOX_OUTPUT",
            field="out",
        )


@contextlib.contextmanager
def _chunks(world: World, n_chunks: int, workers: int) -> Iterator[Iterator[ChunkResult]]:
    """Chunk results in chunk order, from a process pool when ``workers > 1``.

    Open this before any progress bar: tqdm starts a monitor thread, and the pool must be
    forked while this process has no other threads.
    """
    if workers <= 1 or n_chunks <= 1:
        yield (build_chunk(world, index) for index in range(n_chunks))
        return
    with _context().Pool(min(workers, n_chunks), initializer=_ignore_interrupts) as pool:
        yield pool.imap(_build, [(world, i) for i in range(n_chunks)])


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` when it is safe (POSIX, this process has no other threads), else ``spawn``.

    Fork starts workers instantly and needs no ``if __name__ == "__main__"`` guard in the
    caller's script; with other threads alive it could deadlock, so spawn is used then.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which terminates them and removes the partial output."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _build(args: tuple[World, int]) -> ChunkResult:
    return build_chunk(*args)


def _write_all(world: World, workers: int, progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    root = world.root
    n_chunks = -(-world.households // world.chunk_size)
    writers: dict[str, pq.ParquetWriter] = {}
    kept_h: list[pd.DataFrame] = []
    kept_o: list[pd.DataFrame] = []
    with _chunks(world, n_chunks, workers) as results:
        bar = tqdm(total=world.households, unit="hh", desc="households", disable=not progress)
        try:
            _consume(results, root, writers, bar, kept_h, kept_o)
        finally:
            bar.close()
            for writer in writers.values():
                writer.close()
    return pd.concat(kept_h, ignore_index=True), pd.concat(kept_o, ignore_index=True)


def _consume(
    results: Iterator[ChunkResult], root: Path, writers: dict[str, pq.ParquetWriter], bar: tqdm,
    kept_h: list[pd.DataFrame], kept_o: list[pd.DataFrame],
) -> None:  # fmt: skip
    for result in results:
        for name, frame, schema in (
            ("households", result.households, HOUSEHOLD_SCHEMA),
            ("outcomes", result.outcomes, OUTCOME_SCHEMA),
            ("risk_drivers", result.drivers, DRIVERS_SCHEMA),
        ):
            table = to_table(frame, schema)
            if name not in writers:
                writers[name] = pq.ParquetWriter(root / f"{name}.parquet", table.schema)
            writers[name].write_table(table)
        kept_h.append(result.households[["bank_code", "thin_file"]])
        kept_o.append(result.outcomes[["true_pd", "default_12m"]])
        bar.update(len(result.outcomes))


def _manifest(
    world: World, banks: int, households: pd.DataFrame, outcomes: pd.DataFrame
) -> dict[str, Any]:
    per_bank = households.groupby("bank_code").size()
    return {
        "generator_version": GENERATOR_VERSION,
        "schema_version": SCHEMA_VERSION,
        "seed": world.seed,
        "as_of": world.as_of.isoformat(),
        "households": world.households,
        "banks": banks,
        "villages": len(world.villages),
        "chunk_size": world.chunk_size,
        "bank_names": dict(zip(world.banks["bank_code"], world.banks["bank_name"], strict=True)),
        "households_per_bank": {code: int(per_bank.get(code, 0)) for code in world.banks["bank_code"]},
        "default_rate": round(float(outcomes["default_12m"].mean()), 6),
        "thin_file_share": round(float(households["thin_file"].mean()), 6),
        "bayes_auc": round(auc(outcomes["true_pd"].to_numpy(), outcomes["default_12m"].to_numpy()), 6),
        "files": {
            "banks": "banks.parquet", "villages": "villages.parquet", "households": "households.parquet",
            "outcomes": "outcomes.parquet", "risk_drivers": "risk_drivers.parquet",
            "pboc_reports": "reports/pboc/<household_id>.xml", "qianhai_results": "reports/qianhai/<household_id>.json",
        },
    }  # fmt: skip


def _world(
    tmp: Path, households: int, banks: int, seed: int, as_of: dt.date, chunk_size: int
) -> World:
    bank_frame = make_banks(banks)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    villages = make_villages(bank_frame, households, rng)
    return World(seed, households, as_of, bank_frame, villages, tmp, chunk_size)


def _generate_into(world: World, banks: int, progress: bool, workers: int) -> dict[str, Any]:
    tmp, bank_frame, villages = world.root, world.banks, world.villages
    (tmp / "reports" / "pboc").mkdir(parents=True)
    (tmp / "reports" / "qianhai").mkdir()
    pq.write_table(
        pa.Table.from_pandas(
            bank_frame[["bank_code", "bank_name", "county", "county_code", "institution_code"]],
            preserve_index=False,
        ).replace_schema_metadata(),
        tmp / "banks.parquet",
    )
    village_cols = ["village_id", "bank_code", "village_name", "county", "credit_village_status"]
    pq.write_table(
        pa.Table.from_pandas(
            villages[village_cols], preserve_index=False
        ).replace_schema_metadata(),
        tmp / "villages.parquet",
    )
    hh, oc = _write_all(world, workers, progress)
    manifest = _manifest(world, banks, hh, oc)
    (tmp / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def generate_province(
    out: Path,
    *,
    households: int,
    banks: int,
    seed: int,
    as_of: dt.date = dt.date(2026, 6, 30),
    progress: bool = False,
    workers: int = 2,
    overwrite: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> ProvinceSummary:
    """Generate a sandbox province into the new or empty folder ``out``.

    Parameters
    ----------
    out : Path
        Folder to create (or an empty folder). Nothing appears there unless generation
        completes.
    households, banks : int
        Province size (``>= 1``); banks are numbered ``301``, ``302``, ...
    seed : int
        Seed (``>= 0``); the same arguments give byte-identical files.
    as_of : datetime.date
        Survey date; every report is pulled on it or up to three days before.
    progress : bool
        Show a tqdm progress bar on stderr.
    workers : int
        Worker processes (output does not depend on it).
    overwrite : bool
        Replace an existing province in ``out`` (used by ``nongxin demo``).
    chunk_size : int
        Households per chunk (the unit of parallel work and of random streams; part of
        what makes the output, so it is recorded in the manifest).

    Returns
    -------
    ProvinceSummary
        Counts per bank, default rate, thin-file share, Bayes AUC and paths.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "p"
    >>> summary = generate_province(tmp, households=50, banks=2, seed=1)
    >>> summary.households, sorted(summary.households_per_bank)
    (50, ['301', '302'])
    """
    households = _check_count("households", households, 1)
    banks = _check_count("banks", banks, 1, _MAX_BANKS)
    seed = _check_count("seed", seed, 0)
    workers = _check_count("workers", workers, 1)
    chunk_size = _check_count("chunk_size", chunk_size, 1)
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise UsageError(
            f"The 'as_of' of a sandbox province must be a date. Got {as_of!r}.",
            code="SANDBOX_ARGUMENT",
            field="as_of",
        )
    out = Path(out).absolute()
    _check_output(out, overwrite)
    created = _first_missing(out.parent)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        world = _world(tmp, households, banks, seed, as_of, chunk_size)
        manifest = _generate_into(world, banks, progress, workers)
        _swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    return summarise(out, manifest)


def _first_missing(folder: Path) -> Path | None:
    missing = None
    while not folder.exists():
        missing, folder = folder, folder.parent
    return missing


def _swap_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        tmp.rename(out)
        return
    trash = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(trash)
    tmp.rename(out)
    shutil.rmtree(trash, ignore_errors=True)
