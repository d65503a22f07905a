"""Rating-model predict: pyfunc (as served from the registry) beside the bare ScorecardSpec scorer.

One process, one model, the same rows for every path:

* ``spec.score``           the compiled scorer of the statistical card alone (score only)
* ``RatingModel.predict``  the native bundle: score, PD, grade, grade PD, knockouts, reasons
* ``pyfunc.predict``       ``mlflow.pyfunc.load_model`` of the saved ``nongxin`` flavor
                           (schema enforcement, then the native bundle)
* ``ChampionLoader``       the serving cache (``get()`` then native predict)

1-row latency: median of ``--repeats`` calls (after a warm-up); throughput: median of
``--big-repeats`` runs on ``--rows`` rows. The paths take turns call by call, so load on a
shared machine hits them alike.

    MLFLOW_DISABLE_TELEMETRY=true .venv/bin/python benchmarks/registry_predict.py
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
CONFIG = Path(__file__).resolve().parents[1] / "config"


def households(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic households: default depends on income, debt, age, village review."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.5, 0.6, n)
    debt = rng.lognormal(9.5, 1.0, n)
    age = rng.integers(20, 70, n)
    review = rng.choice(["very_good", "good", "average", "poor"], n, p=[0.2, 0.4, 0.3, 0.1])
    logit = (
        -2.4
        - 1.2 * (np.log(income) - 10.5)
        + 0.6 * (np.log(debt) - 9.5)
        + 0.02 * (age - 45)
        + np.select([review == "poor", review == "very_good"], [1.0, -0.6], 0.0)
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "household_id": [f"H{i:08d}" for i in range(n)],
            "head_age": age,
            "income_total": income.round(0),
            "debt_total": debt.round(0),
            "village_review": review,
            "land_mu": rng.gamma(2.0, 3.0, n).round(1),
            "years_with_bank": rng.integers(0, 30, n),
        }
    )
    return frame, y


def interleaved(
    paths: dict[str, Callable[[pd.DataFrame], Any]], data: pd.DataFrame, repeats: int
) -> dict[str, float]:
    """Median seconds per path, the paths taking turns call by call."""
    times: dict[str, list[float]] = {k: [] for k in paths}
    for _ in range(repeats):
        for label, fn in paths.items():
            t0 = time.perf_counter()
            fn(data)
            times[label].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=300, help="1-row calls per path")
    parser.add_argument("--big-repeats", type=int, default=3, help="runs on --rows per path")
    args = parser.parse_args()

    import mlflow.pyfunc

    from model_registry.flavor import input_example, save_model
    from model_registry.serving import ChampionLoader
    from model_registry.train import train_rating_model
    from rating_models.rating import GradeScale, ReasonCatalog, knockout_rules

    frame, y = households(20_000, seed=1)
    result = train_rating_model(
        frame,
        y,
        name="farmer-rating",
        scale=GradeScale.from_mapping({"A": 0.02, "B": 0.05, "C": 0.10, "D": 0.20}),
        knockouts=knockout_rules(["age_outside_18_65"]),
        reason_catalog=ReasonCatalog.from_yaml(CONFIG / "reason_codes.yaml"),
    )
    model, spec = result.model, result.model.statistical
    assert spec is not None
    with tempfile.TemporaryDirectory() as tmp:
        save_model(model, Path(tmp) / "m", input_example=input_example(model, frame))
        pyfunc = mlflow.pyfunc.load_model(str(Path(tmp) / "m"))

    class _Local:  # the serving cache over an in-process "registry" (no I/O)
        def resolve_for_bank(self, name: str, role: str, bank: str | None) -> Any:
            return type("Info", (), {"version": 1, "aliases": ("champion",)})()

        def load(self, name: str, version: int) -> Any:
            return model

    loader = ChampionLoader(_Local(), "farmer-rating", refresh_seconds=30)
    big, _ = households(args.rows, seed=2)
    big = big[model.input_columns]
    one = big.head(1)
    paths: dict[str, Callable[[pd.DataFrame], Any]] = {
        "ScorecardSpec.score (bare scorer)": spec.score,
        "RatingModel.predict (native bundle)": model.predict,
        "pyfunc.predict (nongxin flavor)": pyfunc.predict,
        "ChampionLoader.get().predict": lambda f: loader.get().predict(f),
    }
    for fn in paths.values():
        fn(one)  # warm-up
    # interleaved: every round times each path once, so load bursts on the shared machine hit
    # all paths alike and the medians stay comparable
    latency = interleaved(paths, one, args.repeats)
    seconds = interleaved(paths, big, args.big_repeats)
    rows = [(k, latency[k] * 1e3, seconds[k], args.rows / seconds[k]) for k in paths]
    base_latency, base_rate = rows[0][1], rows[0][3]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores (shared), python {platform.python_version()}"
    )
    print(f"model: {len(spec.features)} statistical features, {len(model.knockouts)} knockout, "
          f"{model.n_reasons} reasons; {args.rows:,} rows; 1-row median of {args.repeats}, "
          f"big median of {args.big_repeats}\n")  # fmt: skip
    print(f"| path | 1 row p50 (ms) | vs bare | {args.rows:,} rows (s) | rows/s | vs bare |")
    print("|---|---|---|---|---|---|")
    for label, ms, seconds, rate in rows:
        print(
            f"| {label} | {ms:.3f} | {ms / base_latency:.1f}x | {seconds:.2f} | "
            f"{rate:,.0f} | {base_rate / rate:.1f}x slower |"
        )


if __name__ == "__main__":
    main()
