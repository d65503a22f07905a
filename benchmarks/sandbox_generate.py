"""Sandbox province generation: wall time, households per second, CPU time and peak memory.

Runs, in order and in fresh child processes so that peak-RSS figures are per run:

* the scaling pair ``--scaling-households`` (default 20,000) with 1 and with 2 workers;
* the headline run ``--households`` (default 100,000) with 2 workers.

Each run writes a complete province (parquet, manifest, one PBOC envelope and one Qianhai
JSON per household) into a temporary folder that is deleted afterwards.

Run: ``.venv/bin/python benchmarks/sandbox_generate.py [--households 100000] [--banks 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from scoring_service.sandbox import generate_province
out, households, banks, seed, workers = sys.argv[1], *map(int, sys.argv[2:6])
t0, c0 = time.perf_counter(), time.process_time()
summary = generate_province(Path(out), households=households, banks=banks, seed=seed, workers=workers)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
own = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall_s": wall, "parent_cpu_s": cpu, "workers_cpu_s": kids.ru_utime + kids.ru_stime,
    "parent_peak_rss_mb": own.ru_maxrss / 1024, "worker_peak_rss_mb": kids.ru_maxrss / 1024,
    "default_rate": summary.default_rate, "thin_file_share": summary.thin_file_share,
    "bayes_auc": summary.bayes_auc,
}))
"""


def _folder_size(root: Path) -> tuple[int, int]:
    files = total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            files += 1
            total += os.stat(os.path.join(dirpath, name)).st_size
    return files, total


def run(households: int, banks: int, seed: int, workers: int) -> dict[str, float]:
    """Generate one province in a child process; its timings, memory and output size."""
    with tempfile.TemporaryDirectory(prefix="sandbox-bench-") as tmp:
        out = Path(tmp) / "province"
        argv = [
            sys.executable,
            "-c",
            _CHILD,
            str(out),
            str(households),
            str(banks),
            str(seed),
            str(workers),
        ]
        result = subprocess.run(argv, capture_output=True, text=True, check=True)
        stats: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
        files, size = _folder_size(out)
    stats.update(households=households, workers=workers, files=files, output_mb=size / 2**20)
    stats["households_per_s"] = households / stats["wall_s"]
    stats["cpu_ms_per_household"] = (
        1000 * (stats["parent_cpu_s"] + stats["workers_cpu_s"]) / households
    )
    return stats


def _row(s: dict[str, float]) -> str:
    return (
        f"| {int(s['households']):,} | {int(s['workers'])} | {s['wall_s']:.1f} | {s['households_per_s']:,.0f} "
        f"| {s['cpu_ms_per_household']:.2f} | {s['parent_peak_rss_mb']:.0f} | {s['worker_peak_rss_mb']:.0f} "
        f"| {s['output_mb']:,.0f} | {s['default_rate']:.2%} | {s['thin_file_share']:.1%} | {s['bayes_auc']:.3f} |"
    )


def main() -> None:
    """Run the benchmark and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--scaling-households", type=int, default=20_000)
    parser.add_argument("--banks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    runs = []
    if args.scaling_households:
        runs += [run(args.scaling_households, args.banks, args.seed, w) for w in (1, 2)]
    runs.append(run(args.households, args.banks, args.seed, 2))
    load = os.getloadavg()
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print()
    print(
        "| households | workers | wall s | households / s | CPU ms / household | parent peak RSS MB "
        "| worker peak RSS MB | output MB | default rate | thin-file | Bayes AUC |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in runs:
        print(_row(s))


if __name__ == "__main__":
    main()
