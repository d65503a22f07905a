"""Synthetic scorecard benchmark data with a known logistic data-generating process.

30 features: 24 numeric (skewed, 0-30 % missing) and 6 categorical (5-50 levels), about 5 %
bad. Effects on the log-odds: monotone (log of skewed amounts, counts), U-shaped (ages,
ratios), missing-is-riskier (a missing value adds risk), and pure-noise features. The true
probability is stored, so the best achievable AUC is known.

    .venv/bin/python benchmarks/scorecard_data.py --rows 1000000 --out /tmp/scorecard_1m.parquet
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261129
CATEGORY_LEVELS = (5, 8, 12, 20, 30, 50)


def _numeric(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    logit = np.zeros(n)
    for j in range(24):
        kind = j % 4
        if kind == 0:  # skewed amount, monotone in log
            x = rng.lognormal(8 + j / 8, 1.0, n)
            z = (np.log(x) - (8 + j / 8)) / 1.0
            effect = -0.35 * z
        elif kind == 1:  # count, monotone increasing risk
            x = rng.poisson(1.0 + j / 12, n).astype(float)
            effect = 0.25 * np.minimum(x, 6)
        elif kind == 2:  # U-shaped in a skewed variable
            x = rng.gamma(2.0, 10.0, n)
            z = np.clip((x - 20.0) / 14.0, -2.5, 2.5)  # risk saturates in the far tail
            effect = 0.35 * z**2 - 0.2
        else:  # ratio in [0, 1], U-shaped or noise
            x = rng.beta(2.0, 3.0, n)
            effect = 2.0 * (x - 0.4) ** 2 if j % 8 == 3 else np.zeros(n)
        if j >= 20:  # the last four numeric features are pure noise
            effect = np.zeros(n)
        missing = rng.random(n) < (0.3 * (j % 5) / 4)
        x = np.where(missing, np.nan, x)
        effect = np.where(missing, 0.6 if j % 3 == 0 else 0.0, effect)  # missing is riskier
        cols[f"num_{j:02d}"] = x
        logit += effect
    return cols, logit


def _categorical(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    cols: dict[str, np.ndarray] = {}
    logit = np.zeros(n)
    for j, levels in enumerate(CATEGORY_LEVELS):
        weights = rng.dirichlet(np.full(levels, 2.0))
        codes = rng.choice(levels, size=n, p=weights)
        effects = rng.normal(0.0, 0.5, levels) if j < 5 else np.zeros(levels)
        cols[f"cat_{j}"] = np.asarray([f"L{j}_{k:02d}" for k in range(levels)], dtype=object)[codes]
        logit += effects[codes]
    return cols, logit


def _intercept(signal: np.ndarray, bad_rate: float) -> float:
    """The intercept giving the wanted mean probability (bisection; part of the DGP)."""
    lo, hi = -20.0, 5.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1.0 / (1.0 + np.exp(-(mid + signal)))) > bad_rate:
            hi = mid
        else:
            lo = mid
    return round((lo + hi) / 2, 6)


def generate(n_rows: int, seed: int = SEED) -> pd.DataFrame:
    """``n_rows`` rows: 30 features, ``y`` (0/1) and ``true_pd``."""
    rng = np.random.default_rng(seed)
    num, logit_num = _numeric(rng, n_rows)
    cat, logit_cat = _categorical(rng, n_rows)
    signal = 0.8 * (logit_num + logit_cat)
    true_pd = 1.0 / (1.0 + np.exp(-(_intercept(signal, 0.05) + signal)))
    y = (rng.random(n_rows) < true_pd).astype(np.int8)
    frame = pd.DataFrame({**num, **cat})
    frame["y"] = y
    frame["true_pd"] = true_pd
    return frame


CACHE = Path(os.environ.get("NONGXIN_BENCH_DATA", Path(tempfile.gettempdir()) / "nongxin-bench"))


def load(n_rows: int, cache_dir: Path = CACHE) -> pd.DataFrame:
    """The data set of ``n_rows`` rows, generated once and cached as parquet."""
    path = cache_dir / f"scorecard_{n_rows}.parquet"
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        generate(n_rows).to_parquet(path, index=False)
    return pd.read_parquet(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    frame = generate(args.rows)
    frame.to_parquet(args.out, index=False)
    print(f"{len(frame):,} rows, bad rate {frame['y'].mean():.3%}, wrote {args.out}")


if __name__ == "__main__":
    main()
