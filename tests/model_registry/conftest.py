"""Fixtures of the registry tests: one trained model, one migrated MLflow store, one server.

Creating an MLflow SQLite store runs its migrations (seconds on a busy machine), so one
store is migrated per session and copied for every registry a test needs; the real
``mlflow server`` is started once per session (``--workers 1``), on a free loopback port,
and always stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.model_registry.helpers import free_port, households, migrated_store_template

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "config"

# MLflow emits these on import and on signature handling; narrow filters, this folder only.
MLFLOW_WARNINGS = (
    "ignore:.*Any type hint is inferred as AnyType:UserWarning",
    "ignore:.*Hint. Inferred schema contains integer column:UserWarning",
    "ignore::FutureWarning:mlflow.*",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            for spec in MLFLOW_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@dataclass(frozen=True)
class Trained:
    """A small household table, its outcome and two models trained on it."""

    frame: pd.DataFrame
    y: pd.Series
    good: object  # TrainingResult
    worse: object  # TrainingResult of a deliberately worse model


@pytest.fixture(scope="session")
def trained() -> Trained:
    """A good model (every feature) and a worse one (noise only), trained once."""
    from model_registry.train import train_rating_model
    from rating_models.rating import GradeScale, ReasonCatalog, knockout_rules

    frame, y = households(3000, seed=11)
    scale = GradeScale.from_mapping({"A": 0.02, "B": 0.05, "C": 0.10, "D": 0.20})
    common = {
        "name": "farmer-rating",
        "scale": scale,
        "knockouts": knockout_rules(["age_outside_18_65"]),
        "reason_catalog": ReasonCatalog.from_yaml(CONFIG / "reason_codes.yaml"),
        "feature_catalog_version": "survey-only",
    }
    good = train_rating_model(frame, y, **common)
    worse = train_rating_model(
        frame, y, exclude=["income_total", "debt_total", "village_review"], **common
    )
    return Trained(frame, y, good, worse)


@pytest.fixture(scope="session")
def migrated_store() -> Path:
    """An empty, fully migrated MLflow SQLite store (copied, never used directly)."""
    return migrated_store_template()


@pytest.fixture
def registry(
    tmp_path: Path, migrated_store: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """An embedded registry under a fresh NONGXIN_HOME (SQLite store copied from the template)."""
    from model_registry.registry import ModelRegistry

    home = tmp_path / "home"
    (home / "mlflow").mkdir(parents=True)
    shutil.copyfile(migrated_store, home / "mlflow" / "mlflow.db")
    monkeypatch.setenv("NONGXIN_HOME", str(home))
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # anything MLflow writes relative to the cwd stays here
    return ModelRegistry()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory, migrated_store: Path) -> Iterator[str]:
    """A real ``mlflow server`` on loopback (one worker), stopped at the end of the session."""
    root = tmp_path_factory.mktemp("mlflow-server")
    shutil.copyfile(migrated_store, root / "mlflow.db")
    port = free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    # no job runner: it starts seven huey consumer processes (half the boot time, ~500 MB)
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    cmd = [
        str(mlflow_bin), "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", str(root / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90.0
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(root / 'server.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1.0) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not start within 90 s")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and its uvicorn worker
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
