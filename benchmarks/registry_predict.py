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

``--champion-before REV`` instead times ``RatingModel.predict`` of the sandbox champion (the
service's model: 44 features, 3 knockouts, 4 reasons) at this commit and at ``REV`` (its
tree unpacked by ``git archive``), on the same model JSON and the same typed input frame
written to parquet, in child processes that take turns (before, after, before, after, ...):
one-row latency over ``--repeats`` one-row frames (wall and CPU per call) and the
``--rows`` frame (wall and CPU, median of ``--big-repeats``). Where the tree has
``RatingModel.predict_columns`` (the same columns as named arrays, what the service's
``decide`` reads), each one-row ``predict`` is followed by a timed ``predict_columns`` of
the same frame, reported in a second table.

    .venv/bin/python benchmarks/registry_predict.py --champion-before 2ff174d --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
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


def champion_child(workdir: Path, repeats: int, big_repeats: int) -> dict[str, float]:
    """Time the saved champion on the saved frames (runs in the code tree on ``sys.path``)."""
    from model_registry.bundle import RatingModel

    model = RatingModel.from_dict(json.loads((workdir / "model.json").read_text("utf-8")))
    big = pd.read_parquet(workdir / "big.parquet")
    rows = [big.iloc[[i]] for i in range(min(repeats, 200))]
    # predict_columns (predict's columns as named arrays, what decide reads) is absent before
    # 5db1a68; where present it is timed on the same rows, each call right after predict's
    columns = getattr(model, "predict_columns", None)
    for r in rows:
        model.predict(r)  # warm-up
        if columns is not None:
            columns(r)
    wall, cpu, cols_wall, cols_cpu = [], [], [], []
    for _ in range(max(1, repeats // len(rows))):
        for r in rows:
            t0, c0 = time.perf_counter(), time.process_time()
            model.predict(r)
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            if columns is not None:
                t0, c0 = time.perf_counter(), time.process_time()
                columns(r)
                cols_wall.append(time.perf_counter() - t0)
                cols_cpu.append(time.process_time() - c0)
    big_wall, big_cpu = [], []
    for _ in range(big_repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        model.predict(big)
        big_wall.append(time.perf_counter() - t0)
        big_cpu.append(time.process_time() - c0)
    out = {
        "one_wall_ms": statistics.median(wall) * 1e3,
        "one_cpu_ms": statistics.median(cpu) * 1e3,
        "big_wall_s": statistics.median(big_wall),
        "big_cpu_s": statistics.median(big_cpu),
        "load": os.getloadavg()[0],
    }
    if cols_cpu:
        out["cols_wall_ms"] = statistics.median(cols_wall) * 1e3
        out["cols_cpu_ms"] = statistics.median(cols_cpu) * 1e3
    return out


def champion_compare(args: argparse.Namespace) -> None:
    """Before/after table of the sandbox champion's predict (children take turns)."""
    from scoring_service.api.testing import province_frame, train_champion
    from scoring_service.pipeline import input_frame
    from scoring_service.sandbox import generate_province

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate_province(work / "p", households=400, banks=3, seed=7)
        model = train_champion(work / "p", CONFIG).model
        frame = province_frame(work / "p")
        book = frame[frame["bank_code"] == "301"]
        big = pd.concat([book] * -(-args.rows // len(book)), ignore_index=True).iloc[: args.rows]
        input_frame(big)[model.input_columns].to_parquet(work / "big.parquet")
        (work / "model.json").write_text(model.to_json(), "utf-8")
        before = work / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", args.champion_before],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        trees = {f"before ({args.champion_before})": before, "after (this tree)": root}
        results: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
        for _ in range(args.rounds):
            for label, tree in trees.items():
                child = ["--child", str(work), "--repeats", str(args.repeats)]
                out = subprocess.run(
                    [sys.executable, __file__, *child, "--big-repeats", str(args.big_repeats)],
                    env={**os.environ, "PYTHONPATH": str(tree)},
                    cwd=str(tree),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                results[label].append(json.loads(out.strip().splitlines()[-1]))
                print(label, results[label][-1], file=sys.stderr)
    print(f"{args.rows:,} rows; {len(model.input_columns)} input columns; {args.rounds} rounds")
    print(
        f"| code | 1 row wall (ms) | 1 row CPU (ms) | {args.rows:,} rows wall (s) | CPU (s) | load |"
    )
    print("|---|---|---|---|---|---|")
    for label, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"| {label} | {med['one_wall_ms']:.3f} | {med['one_cpu_ms']:.3f} | "
            f"{med['big_wall_s']:.2f} | {med['big_cpu_s']:.2f} | {med['load']:.1f} |"
        )
    if any("cols_cpu_ms" in r for runs in results.values() for r in runs):
        print("\n`RatingModel.predict_columns` on the same one-row frames (after each predict):")
        print("| code | 1 row wall (ms) | 1 row CPU (ms) |")
        print("|---|---|---|")
        for label, runs in results.items():
            if "cols_cpu_ms" not in runs[0]:
                print(f"| {label} | - | - (no predict_columns) |")
                continue
            wall = statistics.median(r["cols_wall_ms"] for r in runs)
            cpu = statistics.median(r["cols_cpu_ms"] for r in runs)
            print(f"| {label} | {wall:.3f} | {cpu:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=300, help="1-row calls per path")
    parser.add_argument("--big-repeats", type=int, default=3, help="runs on --rows per path")
    parser.add_argument("--champion-before", metavar="REV", help="compare with this commit")
    parser.add_argument("--rounds", type=int, default=2, help="turns per code tree")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(champion_child(args.child, args.repeats, args.big_repeats)))
        return
    if args.champion_before:
        champion_compare(args)
        return

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
    for label, ms, run_seconds, rate in rows:
        print(
            f"| {label} | {ms:.3f} | {ms / base_latency:.1f}x | {run_seconds:.2f} | "
            f"{rate:,.0f} | {base_rate / rate:.1f}x slower |"
        )


if __name__ == "__main__":
    main()
