"""Scorecard engine speed and memory beside scorecardpy, optbinning, toad and a bare numpy card.

Every (library, stage, rows) runs in its own process, one library at a time, single-threaded
unless stated, so peak RSS belongs to that stage alone. Stages:

* fit        binning fit on the first N rows (ours also with 2 threads);
* transform  WOE transform of N rows with the binning fitted on the first 100,000 rows;
* score      scoring N rows with the card built on the first 100,000 rows (for 1,000,000 rows
             this also gives the holdout AUC on rows 100,000..1,000,000).

The numpy floor is a bare ``searchsorted`` + ``take`` of our card (categoricals by a hash lookup
of the text values), written here independently of rating_models.

    .venv/bin/python benchmarks/scorecard_speed.py --rows 100000 --repeats 3
    .venv/bin/python benchmarks/scorecard_speed.py --rows 1000000 --repeats 1 \\
        --libs ours ours2 numpy optbinning toad scorecardpy
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pickle
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scorecard_data

TRAIN_ROWS = 100_000
LIBS = ("ours", "ours2", "numpy", "optbinning", "toad", "scorecardpy")
CACHE = scorecard_data.CACHE
RESULTS = Path(__file__).resolve().parent / "results" / "scorecard_speed.json"


def _rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM; ru_maxrss would include the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def _frame(rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    path = CACHE / f"scorecard_head_{rows}.parquet"
    if not path.exists():
        full = scorecard_data.load(1_000_000)
        full.iloc[:rows].to_parquet(path, index=False)
    frame = pd.read_parquet(path)
    y = frame.pop("y").to_numpy()
    frame.pop("true_pd")
    return frame, y


def _cats(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("cat_")]


# ---- fitting each library's binning / card -------------------------------------------------


def _fit(lib: str, X: pd.DataFrame, y: np.ndarray) -> Any:
    if lib in ("ours", "ours2", "numpy"):
        from rating_models import WOEBinning

        return WOEBinning(n_jobs=2 if lib == "ours2" else 1).fit(X, y)
    if lib == "optbinning":
        from optbinning import BinningProcess

        return BinningProcess(list(X.columns), categorical_variables=_cats(X)).fit(X, y)
    if lib == "toad":
        import toad

        return toad.transform.Combiner().fit(
            X, y, method="dt", min_samples=0.05, empty_separate=True
        )
    import scorecardpy as sc

    with contextlib.redirect_stdout(io.StringIO()):
        return sc.woebin(X.assign(y=y), y="y", check_cate_num=False, print_step=0)


def _card(lib: str, X: pd.DataFrame, y: np.ndarray) -> Any:
    """Binning + logistic regression + points (PDO 20, 600 at 50:1), fitted on X."""
    from sklearn.linear_model import LogisticRegression

    if lib in ("ours", "ours2", "numpy"):
        from rating_models import Scorecard, WOEBinning

        card = Scorecard(WOEBinning(n_jobs=1)).fit(X, y)
        return {"binning": card.binning_, "spec": card.spec_.to_json()}
    if lib == "optbinning":
        from optbinning import BinningProcess, Scorecard

        bp = BinningProcess(list(X.columns), categorical_variables=_cats(X))
        card = Scorecard(
            binning_process=bp,
            estimator=LogisticRegression(max_iter=1000),
            scaling_method="pdo_odds",
            scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
        ).fit(X, y)
        return {"card": card}
    if lib == "toad":
        import toad

        combiner = _fit("toad", X, y)
        woe = toad.transform.WOETransformer()
        train = woe.fit_transform(combiner.transform(X), y)
        card = toad.ScoreCard(
            combiner=combiner, transer=woe, pdo=20, rate=2, base_odds=1 / 50, base_score=600
        )
        card.fit(train, y)
        return {"combiner": combiner, "woe": woe, "card": card}
    import scorecardpy as sc

    bins = _fit("scorecardpy", X, y)
    with contextlib.redirect_stdout(io.StringIO()):
        woe = sc.woebin_ply(X, bins, print_step=0)
    model = LogisticRegression(max_iter=1000).fit(woe, y)
    card = sc.scorecard(bins, model, list(woe.columns), points0=600, odds0=1 / 50, pdo=20)
    return {"bins": bins, "card": card}


def _card_path(lib: str) -> Path:
    return CACHE / f"card_{'ours' if lib in ('ours2', 'numpy') else lib}.pkl"


# ---- the stages ------------------------------------------------------------------------------


def _transform(lib: str, card: dict[str, Any], X: pd.DataFrame) -> Any:
    if lib in ("ours", "ours2"):
        return card["binning"].transform(X)
    if lib == "optbinning":
        return card["card"].binning_process_.transform(X, metric="woe")
    if lib == "toad":
        return card["woe"].transform(card["combiner"].transform(X))
    import scorecardpy as sc

    with contextlib.redirect_stdout(io.StringIO()):
        return sc.woebin_ply(X, card["bins"], print_step=0)


class NumpyCard:
    """The floor: per numeric feature searchsorted + NaN slot + take; categoricals by lookup."""

    def __init__(self, spec_json: str) -> None:
        spec = json.loads(spec_json)
        self.intercept = float(spec["intercept_points"])
        self.features: list[tuple[str, Any, np.ndarray]] = []
        for f in spec["features"]:
            points = np.asarray([b["points"] for b in f["bins"]], dtype=np.float64)
            missing = next(i for i, b in enumerate(f["bins"]) if b["kind"] == "missing")
            if f["kind"] == "numeric":
                edges = np.asarray([b["upper"] for b in f["bins"][: missing - 1]], dtype=np.float64)
                table = np.append(points[:missing], points[missing])  # last slot: NaN
                self.features.append((f["name"], edges, table))
            else:
                names, slots = [], []
                for i, b in enumerate(f["bins"]):
                    for v in b.get("values", []):
                        names.append(v)
                        slots.append(points[i])
                lookup = (pd.Index(names), np.append(np.asarray(slots), points[missing]))
                self.features.append((f["name"], lookup, np.empty(0)))

    def score(self, X: pd.DataFrame) -> np.ndarray:
        total = np.full(len(X), self.intercept)
        for name, edges, table in self.features:
            if table.size:
                x = X[name].to_numpy(dtype=np.float64)
                idx = np.searchsorted(edges, x, side="right")
                idx[np.isnan(x)] = table.size - 1
                total += table.take(idx)
            else:
                index, slots = edges
                total += slots.take(index.get_indexer(X[name]))  # -1: missing/unseen slot
        return total


def _score(lib: str, card: dict[str, Any], X: pd.DataFrame) -> np.ndarray:
    if lib in ("ours", "ours2"):
        return card["spec_obj"].score(X)
    if lib == "numpy":
        return card["numpy"].score(X)
    if lib == "optbinning":
        return np.asarray(card["card"].score(X))  # pdo_odds scaling: higher = lower risk
    if lib == "toad":
        return np.asarray(card["card"].predict(X))
    import scorecardpy as sc

    with contextlib.redirect_stdout(io.StringIO()):
        return sc.scorecard_ply(X, card["card"], print_step=0)["score"].to_numpy()


def _import(lib: str) -> None:
    """Import the library before any timing."""
    import sklearn.linear_model  # noqa: F401

    if lib in ("ours", "ours2", "numpy"):
        import rating_models  # noqa: F401
    else:
        __import__(lib)


def run_stage(lib: str, stage: str, rows: int, repeats: int) -> dict[str, Any]:
    """One stage in this process: times of each repeat, peak RSS, holdout AUC for scores."""
    warnings.filterwarnings("ignore")
    _import(lib)
    X, y = _frame(rows)
    load_rss = _rss_mb()
    card: dict[str, Any] = {}
    if stage != "fit":
        card = pickle.loads(_card_path(lib).read_bytes())  # noqa: S301 - our own cache
        if lib in ("ours", "ours2", "numpy"):
            from rating_models import ScorecardSpec

            card["spec_obj"] = ScorecardSpec.from_json(card["spec"])
            card["numpy"] = NumpyCard(card["spec"])
    times = []
    out: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        if stage == "fit":
            out = _fit(lib, X, y)
        elif stage == "transform":
            out = _transform(lib, card, X)
        else:
            out = _score(lib, card, X)
        times.append(time.perf_counter() - start)
    result: dict[str, Any] = {
        "lib": lib,
        "stage": stage,
        "rows": rows,
        "times": times,
        "load_rss_mb": load_rss,
        "peak_rss_mb": _rss_mb(),
    }
    if stage == "score" and rows > TRAIN_ROWS:
        from sklearn.metrics import roc_auc_score

        s = np.asarray(out, dtype=np.float64)
        result["holdout_auc"] = float(roc_auc_score(y[TRAIN_ROWS:], -s[TRAIN_ROWS:]))
    if stage == "fit" and lib in ("ours", "optbinning"):
        result["iv_sum"] = _iv_sum(lib, out)
    return result


def _iv_sum(lib: str, fitted: Any) -> float:
    if lib == "ours":
        return float(sum(fitted.iv_.values()))
    return float(fitted.summary()["iv"].astype(float).sum())


def prepare(libs: list[str]) -> None:
    """Fit each library's card on the first 100,000 rows (cached)."""
    warnings.filterwarnings("ignore")
    X, y = _frame(TRAIN_ROWS)
    for lib in libs:
        path = _card_path(lib)
        if not path.exists():
            start = time.perf_counter()
            path.write_bytes(pickle.dumps(_card(lib, X, y)))
            print(f"card {lib}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--libs", nargs="+", default=list(LIBS), choices=LIBS)
    parser.add_argument("--stages", nargs="+", default=["fit", "transform", "score"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peer-repeats-1m", type=int, default=1)
    parser.add_argument(
        "--stage-worker", nargs=3, metavar=("LIB", "STAGE", "ROWS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.stage_worker:
        lib, stage, rows = args.stage_worker
        print(json.dumps(run_stage(lib, stage, int(rows), args.repeats)))
        return
    scorecard_data.load(1_000_000)
    prepare(sorted({"ours" if lib in ("ours2", "numpy") else lib for lib in args.libs}))
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for rows in args.rows:
        for lib in args.libs:
            for stage in args.stages:
                if (lib == "numpy" and stage != "score") or (lib == "ours2" and stage != "fit"):
                    continue
                peer = lib not in ("ours", "ours2", "numpy")
                repeats = args.peer_repeats_1m if peer and rows > TRAIN_ROWS else args.repeats
                cmd = [
                    sys.executable,
                    __file__,
                    "--repeats",
                    str(repeats),
                    "--stage-worker",
                    lib,
                    stage,
                    str(rows),
                ]
                done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                result = json.loads(done.stdout.strip().splitlines()[-1])
                print(json.dumps(result), flush=True)
                results = [
                    r for r in results if (r["lib"], r["stage"], r["rows"]) != (lib, stage, rows)
                ]
                results.append(result)
                RESULTS.parent.mkdir(parents=True, exist_ok=True)
                RESULTS.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
