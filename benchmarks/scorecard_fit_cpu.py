"""CPU time of the binning fit: the defaults beside the former fixed ``min_bin_share=0.05``.

On a shared machine wall-clock times swing with the other jobs; CPU time of this process
(``time.process_time``, BLAS and OpenMP on one thread) does not. The two settings alternate
in one process, ``--repeats`` times, on the first N rows of the benchmark set.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/scorecard_fit_cpu.py \\
        --rows 100000 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scorecard_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from rating_models import WOEBinning

    full = scorecard_data.load(1_000_000)
    for rows in args.rows:
        frame = full.iloc[:rows]
        y = frame["y"].to_numpy()
        X = frame.drop(columns=["y", "true_pd"])
        settings = {"defaults ('auto')": {}, "min_bin_share=0.05": {"min_bin_share": 0.05}}
        times: dict[str, list[float]] = {name: [] for name in settings}
        iv: dict[str, float] = {}
        for _ in range(args.repeats):
            for name, params in settings.items():
                start = time.process_time()
                binning = WOEBinning(n_jobs=1, **params).fit(X, y)
                times[name].append(time.process_time() - start)
                iv[name] = sum(binning.iv_.values())
        for name, values in times.items():
            print(
                f"{rows:>9,} rows  {name:22s} fit CPU median {np.median(values):.3f} s "
                f"(min {min(values):.3f}), IV sum {iv[name]:.3f}"
            )


if __name__ == "__main__":
    main()
