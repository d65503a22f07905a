"""The pipeline's decide stage on a big book, beside the rating step alone.

Rows: a sandbox province's households with their PBOC features (the batch job's precomputed
frame), tiled to ``--rows``. Paths, one after the other on the same frame, ``--repeats`` each
(median reported):

* ``RatingModel.predict``  champion only (score, PD, grade, knockouts, reasons)
* ``decide``               the full stage: typed inputs, champion, bank grade, limit engine,
                           lineage, inputs hash, decision ids

    .venv/bin/python benchmarks/service_decide.py --rows 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from credit_limit import load_policy
    from model_registry.serving import LoadedModel
    from scoring_service.api.testing import province_frame, train_champion
    from scoring_service.pipeline import DecisionContext, decide, input_frame
    from scoring_service.sandbox import generate_province

    with tempfile.TemporaryDirectory() as tmp:
        province = Path(tmp) / "p"
        generate_province(province, households=400, banks=3, seed=7)
        model = train_champion(province, CONFIG).model
        frame = province_frame(province)
    book = frame[frame["bank_code"] == "301"]
    reps = -(-args.rows // len(book))
    big = pd.concat([book] * reps, ignore_index=True).iloc[: args.rows]
    big = input_frame(big)  # precomputed features arrive typed, as the batch job keeps them
    context = DecisionContext(
        "301", load_policy("301", CONFIG), LoadedModel("farmer-rating", 1, "champion", model)
    )
    paths = {
        "RatingModel.predict": lambda: model.predict(big),
        "decide": lambda: decide(big, context),
    }
    print(f"{len(big):,} rows, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    for name, run in paths.items():
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        median = statistics.median(times)
        print(f"| {name} | {median:.1f} s | {len(big) / median:,.0f} rows/s |")


if __name__ == "__main__":
    main()
