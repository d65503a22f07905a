"""Limits per second: the vectorised engine on 1,000,000 households vs the one-household loop.

Both paths run the same arithmetic (``credit_limit.engine``); the loop is what an online
request does (``compute_limit`` on one Mapping), the vectorised path what a batch re-rating
does (``compute_limits`` on a DataFrame). They run side by side in one process, on the same
synthetic households (every grade, product, village status, crop, knockouts, debts), and the
loop's limits are checked equal to the vectorised ones on its sample.

Usage (the second run tiles a sandbox province made by ``nongxin sandbox generate``)::

    .venv/bin/python benchmarks/limits_engine.py --households 1000000 --loop-sample 2000 \
        --repeats 3 --bank 301 --out benchmarks/results/limits.md
    .venv/bin/nongxin sandbox generate --households 2000 --banks 3 --seed 7 \
        --out benchmarks/_data/province
    .venv/bin/python benchmarks/limits_engine.py --households 1000000 --loop-sample 2000 \
        --repeats 3 --bank 301 --province benchmarks/_data/province \
        --out benchmarks/results/limits.md --append
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from credit_limit.config import EffectivePolicy, load_policy
from credit_limit.engine import compute_limit, compute_limits

REPO = Path(__file__).resolve().parents[1]
CATEGORY_COLUMNS = ("grade", "product", "credit_village_status", "main_crop")

GRADES = np.array(["A", "B", "C", "D", "E"])
PRODUCTS = np.array(["pure_credit", "joint_guarantee", "guaranteed", "mortgage"])
STATUSES = np.array(["credit_township", "credit_village", "ordinary", "watchlist"])
CROPS = np.array(["grain", "vegetables", "fruit", "tea", "cash_crop", "none"])
MONEY = {
    "income_crop": 30_000,
    "income_livestock": 15_000,
    "income_wage": 40_000,
    "income_business": 25_000,
    "income_other": 3_000,
    "expense_living": 25_000,
    "expense_production": 15_000,
    "expense_education": 5_000,
    "expense_medical": 3_000,
    "assets_house": 250_000,
    "assets_vehicle": 40_000,
    "assets_machinery": 30_000,
    "assets_livestock": 20_000,
    "assets_deposits": 50_000,
    "debt_this_bank": 20_000,
    "debt_other_banks": 20_000,
    "debt_informal": 8_000,
    "guarantees_given": 10_000,
}


def households(n: int, seed: int) -> pd.DataFrame:
    """Synthetic survey rows with grade, product and knockout (categoricals as in a batch)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "household_id": pd.Series(np.char.add("H", np.arange(n).astype("U9"))),
            "grade": pd.Categorical(rng.choice(GRADES, n, p=[0.15, 0.3, 0.3, 0.15, 0.1])),
            "product": pd.Categorical(rng.choice(PRODUCTS, n, p=[0.6, 0.25, 0.1, 0.05])),
            "credit_village_status": pd.Categorical(rng.choice(STATUSES, n)),
            "main_crop": pd.Categorical(rng.choice(CROPS, n)),
            "knockout": rng.random(n) < 0.05,
            "land_mu": np.round(rng.gamma(2.0, 8.0, n), 1),
            "livestock_heads": rng.poisson(4.0, n),
        }
    )
    for col, scale in MONEY.items():
        values = np.round(rng.lognormal(np.log(scale), 0.8, n), 2)
        zero = rng.random(n) < (0.6 if col.startswith(("debt", "guarantees")) else 0.2)
        frame[col] = np.where(zero, 0.0, values)
    return frame


def province_households(folder: Path, n: int, policy: EffectivePolicy) -> pd.DataFrame:
    """A sandbox province's households tiled to ``n`` rows, graded from the true PD."""
    book = pd.read_parquet(folder / "households.parquet").merge(
        pd.read_parquet(folder / "outcomes.parquet"), on="household_id", validate="one_to_one"
    )
    book = book.iloc[np.arange(n) % len(book)].reset_index(drop=True)
    return book.assign(
        household_id=np.char.add("H", np.arange(n).astype("U9")),
        grade=pd.Categorical(policy.bank.rating.grades_for_pd(book["true_pd"])),
        knockout=book["bad_habits"],
        **{
            c: pd.Categorical(book[c])
            for c in CATEGORY_COLUMNS
            if c != "grade" and c in book.columns
        },
        product=pd.Categorical(book["requested_product"]),
    )


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--loop-sample", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bank", default="301")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--province",
        type=Path,
        default=None,
        help="Tile this sandbox province's households instead of synthetic ones.",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--append", action="store_true", help="Append to --out.")
    args = parser.parse_args()

    policy = load_policy(args.bank, REPO / "config")
    if args.province:
        frame = province_households(args.province, args.households, policy)
    else:
        frame = households(args.households, args.seed)
    sample = frame.iloc[: args.loop_sample]
    records = sample.astype(dict.fromkeys(CATEGORY_COLUMNS, object)).to_dict(orient="records")

    as_text = frame.astype(dict.fromkeys(CATEGORY_COLUMNS, object))
    vector_times = timed(lambda: compute_limits(frame, policy), args.repeats)
    text_times = timed(lambda: compute_limits(as_text, policy), args.repeats)
    vector_sample_times = timed(lambda: compute_limits(sample, policy), args.repeats)
    loop_times = timed(lambda: [compute_limit(r, policy) for r in records], args.repeats)

    expected = compute_limits(sample, policy)["limit"].to_numpy()
    got = np.array([compute_limit(r, policy).limit for r in records])
    if not np.array_equal(expected, got):  # the benchmark is void if the paths disagree
        raise SystemExit("one-household loop and vectorised limits differ")
    out = compute_limits(frame, policy)
    rows = [
        ("vectorised `compute_limits`", args.households, vector_times),
        ("vectorised, categories as plain strings", args.households, text_times),
        ("vectorised `compute_limits` (loop sample)", args.loop_sample, vector_sample_times),
        ("one-household loop `compute_limit`", args.loop_sample, loop_times),
    ]
    report = render(args, rows, out, policy.bank.code)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a" if args.append else "w", encoding="utf-8") as handle:
            handle.write(("\n" if args.append else "") + report + "\n")


def render(
    args: argparse.Namespace, rows: list[tuple[str, int, list[float]]], out: pd.DataFrame, bank: str
) -> str:
    loop_rate = rows[-1][1] / statistics.median(rows[-1][2])
    data = "synthetic households (every grade, product, village status, crop; 5% knockouts)"
    if args.province:
        made = json.loads((args.province / "manifest.json").read_text(encoding="utf-8"))
        data = (
            f"the households of the sandbox province {args.province} (made by `.venv/bin/nongxin "
            f"sandbox generate --households {made['households']} --banks {made['banks']} "
            f"--seed {made['seed']} --out {args.province}`) tiled to {args.households:,} rows, "
            "graded from their true PD by the bank's cut-offs, knockout = bad_habits"
        )
    lines = [
        "# Limit engine: limits per second" + (" (sandbox province)" if args.province else ""),
        "",
        f"Command: `.venv/bin/python benchmarks/limits_engine.py --households {args.households} "
        f"--loop-sample {args.loop_sample} --repeats {args.repeats} --bank {bank}"
        + (f" --province {args.province}" if args.province else "")
        + " --out benchmarks/results/limits.md"
        + (" --append`" if args.append else "`"),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs shared with other jobs, "
        f"1-minute load average {os.getloadavg()[0]:.1f} at the end of the run, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}. "
        f"Bank policy {bank}; {data}. Median of {args.repeats} runs in one process; one core.",
        "",
        "| path | households | median s | min s | limits / s | vs loop |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, n, times in rows:
        rate = n / statistics.median(times)
        lines.append(
            f"| {name} | {n:,} | {statistics.median(times):.3f} | {min(times):.3f} "
            f"| {rate:,.0f} | {rate / loop_rate:,.0f}x |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    zero = float((out["limit"] == 0).mean())
    lines += [
        "",
        f"The loop's {args.loop_sample:,} limits equal the vectorised ones (checked in the run). "
        f"Peak RSS of the whole run {peak:,.0f} MB. Share of limits 0 in the 1M book: "
        f"{zero:.1%}; binding terms: "
        + ", ".join(
            f"{k} {v:.1%}" for k, v in out["binding"].value_counts(normalize=True).head(6).items()
        )
        + ".",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
