"""Batch re-rating at scale: 1M and 4M sandbox-like households, pandas engine vs Spark local.

A sandbox province (``--seed-households``, default 5,000, 3 banks) is generated, its book built
(PBOC features from the cached reports) and a statistical model trained on it. The book is then
tiled to N rows (rows drawn with a seeded generator, fresh household ids), streamed to parquet
in row groups. Each measured run is ``nongxin rerate`` in its own process (so peak RSS is that
run's alone, from ``wait4``): score, grade, limit, reasons and lineage written as parquet parts.

Peak RSS is the run process's own (``wait4``; for Spark the largest of the driver, the JVM and
its Python workers, not their sum; pandas workers likewise count one process). Spark runs
``local[2]`` and its time includes the session start.

Run: ``.venv/bin/python benchmarks/rerate_scale.py --rows 1000000 4000000 --workers 1 2 --spark-rows 1000000``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
NONGXIN = Path(sys.executable).with_name("nongxin")


def tile_book(
    seed_book: Path, out: Path, rows: int, *, seed: int = 0, group: int = 250_000
) -> None:
    """A book of ``rows`` rows drawn from ``seed_book`` (fresh ids), written group by group."""
    table = pq.read_table(seed_book)
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(out, table.schema) as writer:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            part = table.take(pa.array(rng.integers(0, table.num_rows, n)))
            ids = pa.array([f"H{i:09d}" for i in range(start, start + n)])
            part = part.set_column(part.schema.get_field_index("household_id"), "household_id", ids)
            writer.write_table(part)


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``nongxin`` process."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(NONGXIN), *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"nongxin {' '.join(args)} failed with status {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000])
    parser.add_argument("--spark-rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--seed-households", type=int, default=5_000)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    from scoring_service.batch.testing import sandbox_book_and_model
    from scoring_service.sandbox import generate_province

    env = {
        **os.environ,
        "NONGXIN_CONFIG_DIR": str(ROOT / "config"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    with tempfile.TemporaryDirectory(prefix="rerate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env["NONGXIN_HOME"] = str(tmp / "home")
        generate_province(tmp / "p", households=args.seed_households, banks=3, seed=11)
        seed_book, model = sandbox_book_and_model(tmp / "p", tmp / "seed")
        print(
            "| engine | workers | households | chunk rows | wall s (median) | rows/s | peak RSS MiB |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        runs = [("pandas", n, w) for n in args.rows for w in args.workers]
        runs += [("spark", n, 2) for n in args.spark_rows]
        for engine, rows, workers in runs:
            book = tmp / f"book-{rows}.parquet"
            if not book.exists():
                tile_book(seed_book, book, rows)
            results = []
            for r in range(args.repeats):
                cli = [
                    "rerate", "--all", "--input", str(book), "--model", str(model),
                    "--out", str(tmp / "runs"), "--run-id", f"{engine}-{rows}-{workers}-{r}",
                    "--engine", engine, "--chunk-rows", str(args.chunk_rows),
                    *(["--workers", str(workers)] if engine == "pandas" else []),
                    "--no-report", "--quiet",
                ]  # fmt: skip
                results.append(measure(cli, env))
            wall = float(np.median([w for w, _ in results]))
            rss = max(m for _, m in results)
            print(
                f"| {engine} | {workers} | {rows:,} | {args.chunk_rows:,} | {wall:.1f} | {rows / wall:,.0f} | {rss:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
