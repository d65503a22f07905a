"""Test helpers: synthetic households with a known risk structure, a free port, and one
migrated MLflow SQLite store shared by every test process of the machine."""

from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["free_port", "households", "migrated_store_template"]


def households(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """``n`` households (with ``household_id``) and their 0/1 outcome ``default_12m``."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10.5, 0.6, n)
    debt = rng.lognormal(9.5, 1.0, n)
    age = rng.integers(20, 70, n)
    review = rng.choice(["very_good", "good", "average", "poor"], n, p=[0.2, 0.4, 0.3, 0.1])
    noise = rng.normal(0.0, 1.0, n)
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
            "noise": noise,
        }
    )
    return frame, pd.Series(y, name="default_12m")


def free_port() -> int:
    """A free TCP port on loopback (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def migrated_store_template() -> Path:
    """An empty MLflow SQLite store with every migration applied; copy it, never write to it.

    Migrating a new store takes seconds, so it is done once per MLflow version and machine
    (under a file lock, so parallel test workers wait for the first) and then copied.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    root = Path(tempfile.gettempdir())
    path = root / f"nongxin-test-mlflow-{mlflow.__version__}-{os.getuid()}.db"
    with (root / f"{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            fresh = path.with_suffix(f".{os.getpid()}.tmp")
            MlflowClient(tracking_uri=f"sqlite:///{fresh}").search_experiments()
            os.replace(fresh, path)
    return path
