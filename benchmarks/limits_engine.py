"""Limits per second: the vectorised engine on 1,000,000 households, one-row calls, the loop.

Every path runs the same arithmetic (``credit_limit.engine``):

- ``compute_limits`` on the whole book (a batch re-rating), with categories as pandas
  categoricals and as plain strings;
- ``compute_limits`` on one-row frames, one call per household (what an online rating
  request does: ``scoring_service`` passes its one-row frame);
- ``compute_limit`` on one Mapping per household (the one-household loop).

The households are synthetic (every grade, product, village status, crop, knockouts, debts)
or a sandbox province tiled to the size. Each version of the engine runs in its own child
process, which checks that the loop and the one-row frames give the vectorised limits and
reports a hash of the whole book's result. With ``--baseline REV``, the package
``credit_limit`` as of git revision REV (``git archive``) runs in alternating child processes
beside the working tree's, so before and after are measured in one session on the same
data, and the report says whether both gave the same result, bit for bit.

Times are CPU seconds of the child (``time.process_time``: the machine is shared, so waiting
for a core is left out) and wall seconds; medians over every repeat of every round.

Usage (the second run tiles a sandbox province made by ``nongxin sandbox generate``)::

    .venv/bin/python benchmarks/limits_engine.py --households 1000000 --loop-sample 2000 \
        --repeats 3 --rounds 2 --bank 301 --baseline 24a7f54 --out benchmarks/results/limits.md
    .venv/bin/nongxin sandbox generate --households 2000 --banks 3 --seed 7 \
        --out benchmarks/_data/province
    .venv/bin/python benchmarks/limits_engine.py --households 1000000 --loop-sample 2000 \
        --repeats 3 --rounds 2 --bank 301 --baseline 24a7f54 \
        --province benchmarks/_data/province --out benchmarks/results/limits.md --append
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


PATHS = (
    ("vectorised `compute_limits`", "vector"),
    ("vectorised, categories as plain strings", "text"),
    ("one-row frames, `compute_limits` per household", "one_row"),
    ("one-row named arrays, `limit_columns` per household", "one_row_arrays"),
    ("one-household loop `compute_limit`", "loop"),
)


def timed(run: Callable[[], object], repeats: int) -> list[tuple[float, float]]:
    """(CPU seconds, wall seconds) of each of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        run()
        times.append((time.process_time() - cpu, time.perf_counter() - wall))
    return times


def child(args: argparse.Namespace) -> dict[str, Any]:
    """Time every path with the ``credit_limit`` this process imports; check they agree."""
    import credit_limit

    policy = load_policy(args.bank, REPO / "config")
    if args.province:
        frame = province_households(args.province, args.households, policy)
    else:
        frame = households(args.households, args.seed)
    as_text = frame.astype(dict.fromkeys(CATEGORY_COLUMNS, object))
    sample = as_text.iloc[: args.loop_sample]
    records = sample.to_dict(orient="records")
    rows = [sample.iloc[[i]] for i in range(len(sample))]

    def one_row() -> list[pd.DataFrame]:
        return [compute_limits(row, policy) for row in rows]

    runs = {
        "vector": timed(lambda: compute_limits(frame, policy), args.repeats),
        "text": timed(lambda: compute_limits(as_text, policy), args.repeats),
        "one_row": timed(one_row, args.repeats),
        "loop": timed(lambda: [compute_limit(r, policy) for r in records], args.repeats),
    }
    limit_columns = getattr(credit_limit, "limit_columns", None)  # absent before 4de12a7
    if limit_columns is not None:
        named = [{name: row[name].to_numpy() for name in row.columns} for row in rows]
        runs["one_row_arrays"] = timed(
            lambda: [limit_columns(columns, policy) for columns in named], args.repeats
        )
    out = compute_limits(frame, policy)
    expected = out.iloc[: args.loop_sample]
    looped = [compute_limit(r, policy) for r in records]
    singles = pd.concat(one_row())
    if not (
        [d.limit for d in looped] == expected["limit"].tolist()
        and ["+".join(d.binding) for d in looped] == expected["binding"].astype(str).tolist()
        and singles.equals(compute_limits(sample, policy))
    ):  # the benchmark is void if the paths disagree
        raise SystemExit("one-household, one-row and vectorised limits differ")
    digest = hashlib.sha256(pd.util.hash_pandas_object(out, index=True).to_numpy().tobytes())
    return {
        "module": credit_limit.__file__,
        "runs": runs,
        "sizes": {"vector": args.households, "text": args.households},
        "hash": digest.hexdigest(),
        "zero_share": float((out["limit"] == 0).mean()),
        "binding": {
            str(k): float(v) for k, v in out["binding"].value_counts(normalize=True).head(6).items()
        },
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def baseline_tree(revision: str, into: Path) -> Path:
    """``credit_limit`` as of ``revision``, unpacked under ``into`` (for PYTHONPATH)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "credit_limit"],
        capture_output=True,
        check=True,
    ).stdout
    target = into / "baseline"
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run_child(args: argparse.Namespace, package_root: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if package_root is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(package_root), env.get("PYTHONPATH")])
        )
    command = [sys.executable, __file__, "--child", *sys.argv[1:]]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    expected_root = package_root or REPO
    if not Path(str(result["module"])).is_relative_to(expected_root):
        raise SystemExit(
            f"child imported {result['module']}, not the package under {expected_root}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--loop-sample", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each path per child.")
    parser.add_argument("--rounds", type=int, default=1, help="Child processes per version.")
    parser.add_argument("--bank", default="301")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--province",
        type=Path,
        default=None,
        help="Tile this sandbox province's households instead of synthetic ones.",
    )
    parser.add_argument(
        "--baseline", default=None, help="Also time credit_limit as of this git revision."
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--append", action="store_true", help="Append to --out.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        versions: list[tuple[str, Path | None]] = [("working tree", None)]
        if args.baseline:
            versions.insert(
                0, (f"baseline {args.baseline}", baseline_tree(args.baseline, Path(tmp)))
            )
        results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in versions}
        for round_ in range(args.rounds):
            for label, root in versions if round_ % 2 == 0 else versions[::-1]:
                results[label].append(run_child(args, root))
    report = render(args, results)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a" if args.append else "w", encoding="utf-8") as handle:
            handle.write(("\n" if args.append else "") + report + "\n")


def _medians(children: list[dict[str, Any]], path: str) -> tuple[float, float]:
    runs = [run for c in children for run in c["runs"][path]]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def render(args: argparse.Namespace, results: dict[str, list[dict[str, Any]]]) -> str:
    labels = list(results)
    data = "synthetic households (every grade, product, village status, crop; 5% knockouts)"
    if args.province:
        made = json.loads((args.province / "manifest.json").read_text(encoding="utf-8"))
        data = (
            f"the households of the sandbox province {args.province} (made by `.venv/bin/nongxin "
            f"sandbox generate --households {made['households']} --banks {made['banks']} "
            f"--seed {made['seed']} --out {args.province}`) tiled to {args.households:,} rows, "
            "graded from their true PD by the bank's cut-offs, knockout = bad_habits"
        )
    command = (
        f".venv/bin/python benchmarks/limits_engine.py --households {args.households} "
        f"--loop-sample {args.loop_sample} --repeats {args.repeats} --rounds {args.rounds} "
        f"--bank {args.bank}"
        + (f" --baseline {args.baseline}" if args.baseline else "")
        + (f" --province {args.province}" if args.province else "")
        + " --out benchmarks/results/limits.md"
        + (" --append" if args.append else "")
    )
    lines = [
        "# Limit engine: limits per second" + (" (sandbox province)" if args.province else ""),
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs shared with other jobs, "
        f"1-minute load average {os.getloadavg()[0]:.1f} at the end of the run, "
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}. "
        f"Bank policy {args.bank}; {data}. Each version ran in {args.rounds} child process(es), "
        f"alternating, {args.repeats} timed runs of each path per child; medians over all runs; "
        "CPU = `time.process_time` of the child, one core.",
        "",
        "| path | version | households | median CPU s | median wall s | per household (CPU) "
        "| limits / s (CPU) |" + (" vs baseline (CPU) |" if len(labels) > 1 else ""),
        "|---|---|---:|---:|---:|---:|---:|" + ("---:|" if len(labels) > 1 else ""),
    ]
    for name, path in PATHS:
        n = args.households if path in ("vector", "text") else args.loop_sample
        timed_by = [label for label in labels if path in results[label][0]["runs"]]
        if not timed_by:
            continue
        base_cpu = _medians(results[timed_by[0]], path)[0]
        for label in timed_by:
            cpu, wall = _medians(results[label], path)
            per = cpu / n
            per_text = f"{per * 1e3:.3f} ms" if per >= 1e-4 else f"{per * 1e6:.2f} µs"
            lines.append(
                f"| {name} | {label} | {n:,} | {cpu:.3f} | {wall:.3f} | {per_text} | {n / cpu:,.0f} |"
                + (
                    (f" {base_cpu / cpu:.2f}x |" if timed_by[0] == labels[0] else " (new) |")
                    if len(labels) > 1
                    else ""
                )
            )
    last = results[labels[-1]][-1]
    hashes = {label: {c["hash"] for c in children} for label, children in results.items()}
    same = len(set().union(*hashes.values())) == 1
    lines += [
        "",
        "In every child the one-household loop and the one-row frames gave the vectorised "
        f"limits and binding terms on the {args.loop_sample:,}-household sample (checked in the run)."
        + (
            f" The whole {args.households:,}-row result of every version is "
            + (
                "identical, bit for bit (same hash)."
                if same
                else "**not identical** (hashes differ)."
            )
            if len(labels) > 1
            else ""
        )
        + f" Peak RSS of a child {max(c['peak_mb'] for ch in results.values() for c in ch):,.0f} MB."
        + f" Share of limits 0: {last['zero_share']:.1%}; binding terms: "
        + ", ".join(f"{k} {v:.1%}" for k, v in last["binding"].items())
        + ".",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
