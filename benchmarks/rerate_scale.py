"""Batch re-rating at scale: 1M and 4M sandbox-like households, pandas engine vs Spark local.

A sandbox province (``--seed-households``, default 5,000, 3 banks) is generated, its book built
(PBOC and Qianhai features from the cached reports) and a statistical model trained on it. The
book is then tiled to N rows (rows drawn with a seeded generator, fresh household ids), streamed
to parquet in row groups of 250,000. Each measured run is ``nongxin rerate`` in its own process:
score, grade, limit, reasons and lineage written as parquet parts.

Per run: wall seconds (process start and imports included; for Spark the session start too),
CPU seconds (user + system of the process and the helpers it reaped), the peak RSS of the
largest single process (``wait4``) and of the whole process tree (sampled every 50 ms, so
helpers and Spark's JVM count), and the load average around it. The configurations are
interleaved and repeated ``--repeats`` times (the largest book once); the table gives medians.

``--report-rows N`` adds, on the N-row book, a run with the explained-change report against the
previous run of the same book (migration, limits, PSI against the book as development sample).
``--report-only-rows N`` re-rates the N-row book twice (not measured), then measures, interleaved
with the ``--baseline`` tree when given, a process that only writes the report of the second
run against the first (development sample: the book): CPU of the process (imports included)
and of ``write_report`` alone, medians of ``--repeats``.
``--baseline DIR`` adds rows for another source tree (e.g. ``git archive`` of an older commit)
run the same way, interleaved, for before/after on the same machine state (on the largest
book only when it is the only one).

Run: ``.venv/bin/python benchmarks/rerate_scale.py --rows 1000000 4000000 --workers 1 2 --spark-rows 1000000 --report-rows 1000000 --repeats 3``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from scoring_service.cli import main; main(sys.argv[1:])"
#: Only the report of run argv[2] against run argv[3] in folder argv[1] (development: the book
#: argv[4], model file argv[5]); prints the CPU seconds of ``write_report`` itself.
REPORT = """
import sys, time
from pathlib import Path
from scoring_service.batch.champions import model_file
from scoring_service.batch.ledger import RunFolder
from scoring_service.batch.report import write_report
from scoring_service.settings import get_settings
out, run, previous, book, model = sys.argv[1:6]
banks = sorted(p.stem for p in (get_settings().config_dir / "banks").glob("*.yaml"))
models = model_file(Path(model), banks)
t = time.process_time()
write_report(RunFolder(Path(out), run), previous, models, development=Path(book))
print(time.process_time() - t)
"""


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


@dataclass(frozen=True)
class Run:
    """One measured process."""

    wall: float
    cpu: float
    rss_max: float  # MiB, largest single process
    rss_tree: float  # MiB, whole process tree (sampled)
    load: float  # 1-minute load average at the end
    inner: float = float("nan")  # CPU s the process printed (the report-only runs)


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(args: list[str], env: dict[str, str], code: str = CLI) -> Run:
    """Run ``nongxin ARGS`` (through ``python -c``, so ``PYTHONPATH`` picks the source tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(  # cwd: ``python -c`` puts it first on sys.path, before PYTHONPATH
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=env["PYTHONPATH"],
        stdout=subprocess.PIPE if code is REPORT else subprocess.DEVNULL,
        text=True,
    )
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        ps = psutil.Process(proc.pid)
        while not stop.wait(0.05):
            try:
                peak[0] = max(peak[0], _tree_rss(ps))
            except psutil.Error:
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"nongxin {' '.join(args)} failed with status {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    inner = float(proc.stdout.read().split()[-1]) if proc.stdout else float("nan")
    return Run(seconds, cpu, usage.ru_maxrss / 1024, peak[0] / 2**20, os.getloadavg()[0], inner)


def report_only(
    tmp: Path, book: Path, model: Path, rows: int, trees: dict[str, str], env: dict[str, str],
    repeats: int, chunk_rows: int,
) -> None:  # fmt: skip
    """Two runs of the book (this tree, not measured), then the report alone per tree."""
    out = tmp / "report-runs"
    for run_id in ("old", "new"):
        cli = [
            "rerate", "--all", "--input", str(book), "--model", str(model), "--out", str(out),
            "--run-id", f"{run_id}-{rows}", "--chunk-rows", str(chunk_rows), "--quiet",
            "--workers", "2", "--no-report",
        ]  # fmt: skip
        measure(cli, {**env, "PYTHONPATH": str(ROOT)})
    args = [str(out), f"new-{rows}", f"old-{rows}", str(book), str(model)]
    runs: dict[str, list[Run]] = {name: [] for name in trees}
    for _ in range(repeats):
        for name, tree in trees.items():
            runs[name].append(measure(args, {**env, "PYTHONPATH": tree}, REPORT))
            print(f"  report-only {name} {rows}: {runs[name][-1]}", file=sys.stderr)
    print("| tree | households | report CPU s, median (runs) | process CPU s | wall s | "
          "peak RSS MiB | load |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, got in runs.items():
        inner = "/".join(f"{r.inner:.2f}" for r in got)
        print(
            f"| {name} | {rows:,} | **{statistics.median(r.inner for r in got):.2f}** ({inner}) "
            f"| {statistics.median(r.cpu for r in got):.1f} "
            f"| {statistics.median(r.wall for r in got):.1f} "
            f"| {max(r.rss_max for r in got):,.0f} "
            f"| {min(r.load for r in got):.1f}–{max(r.load for r in got):.1f} |",
            flush=True,
        )


def _row(name: str, workers: str, rows: int, chunk: int, runs: list[Run]) -> str:
    wall = statistics.median(r.wall for r in runs)
    cpu = statistics.median(r.cpu for r in runs)
    rss = max(r.rss_max for r in runs)
    tree = max(r.rss_tree for r in runs)
    loads = f"{min(r.load for r in runs):.1f}–{max(r.load for r in runs):.1f}"
    walls = "/".join(f"{r.wall:.1f}" for r in runs)
    return (
        f"| {name} | {workers} | {rows:,} | {chunk:,} | **{wall:.1f}** ({walls}) | "
        f"{rows / wall:,.0f} | {cpu:.1f} | {rss:,.0f} | {tree:,.0f} | {loads} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 4_000_000])
    parser.add_argument("--spark-rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--report-rows", type=int, nargs="*", default=[])
    parser.add_argument("--report-only-rows", type=int, nargs="*", default=[])
    parser.add_argument("--seed-households", type=int, default=5_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="another source tree to run alongside")
    args = parser.parse_args()
    from scoring_service.batch.testing import sandbox_book_and_model
    from scoring_service.sandbox import generate_province

    env = {
        **os.environ,
        "NONGXIN_CONFIG_DIR": str(ROOT / "config"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    trees = {"pandas": str(ROOT)}
    if args.baseline is not None:
        trees["baseline"] = str(args.baseline.resolve())
    with tempfile.TemporaryDirectory(prefix="rerate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env["NONGXIN_HOME"] = str(tmp / "home")
        generate_province(tmp / "p", households=args.seed_households, banks=3, seed=11)
        seed_book, model = sandbox_book_and_model(tmp / "p", tmp / "seed")
        biggest = max(args.rows, default=0)
        configs = [  # the baseline tree on the smaller books only (time)
            (tree, n, w)
            for n in args.rows
            for w in args.workers
            for tree in trees
            if tree == "pandas" or n < biggest or len(args.rows) == 1
        ]
        configs += [("spark", n, 2) for n in args.spark_rows]
        configs += [("report", n, w) for n in args.report_rows for w in args.workers[-1:]]
        results: dict[tuple[str, int, int], list[Run]] = {c: [] for c in configs}
        for rows in sorted({n for _, n, _ in configs} | set(args.report_only_rows)):
            tile_book(seed_book, tmp / f"book-{rows}.parquet", rows)
        for rows in args.report_only_rows:
            book = tmp / f"book-{rows}.parquet"
            report_only(tmp, book, model, rows, trees, env, args.repeats, args.chunk_rows)
        if not configs:
            return
        for r in range(args.repeats):
            for name, rows, workers in configs:
                if r > 0 and rows == biggest and len(args.rows) > 1:
                    continue
                book = tmp / f"book-{rows}.parquet"
                run_id = f"{name}-{rows}-{workers}-{r}"
                cli = [
                    "rerate", "--all", "--input", str(book), "--model", str(model),
                    "--out", str(tmp / "runs"), "--run-id", run_id,
                    "--chunk-rows", str(args.chunk_rows), "--quiet",
                ]  # fmt: skip
                if name == "spark":
                    cli += ["--engine", "spark", "--no-report"]
                else:
                    cli += ["--workers", str(workers)]
                    cli += (
                        [
                            "--previous-run",
                            f"pandas-{rows}-{workers}-{r}",
                            "--development",
                            str(book),
                        ]
                        if name == "report"
                        else ["--no-report"]
                    )
                tree = trees.get(name, str(ROOT))
                run_env = {**env, "PYTHONPATH": tree}
                results[(name, rows, workers)].append(measure(cli, run_env))
                print(f"  {run_id}: {results[(name, rows, workers)][-1]}", file=sys.stderr)
        print(
            "| engine | workers | households | chunk rows | wall s, median (runs) | rows/s "
            "| CPU s | peak RSS MiB, one process | peak RSS MiB, all processes | load |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for (name, rows, workers), runs in results.items():
            label = {"spark": "spark `local[2]`", "report": "pandas + report"}.get(name, name)
            print(_row(label, str(workers), rows, args.chunk_rows, runs), flush=True)


if __name__ == "__main__":
    main()
