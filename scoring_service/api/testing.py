"""Test and benchmark helpers: a champion trained on a sandbox province, request bodies,
consents, and the API served by uvicorn on a free loopback port.

Not used by the service itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from scoring_service.exceptions import ServiceError
from scoring_service.pipeline.inputs import SURVEY_COLUMNS

__all__ = [
    "TEST_MODEL_NAME",
    "province_frame",
    "rating_body",
    "record_consent",
    "register_champion",
    "serve_in_thread",
    "train_champion",
]

TEST_MODEL_NAME = "farmer-rating"
_EXCLUDE = ["requested_product", "survey_date", "thin_file", "true_pd"]


@lru_cache(maxsize=4)
def province_frame(province: Path) -> pd.DataFrame:
    """Survey + ``default_12m`` + PBOC features of every household, indexed like the survey."""
    from bureau_adapters.pboc import parse_file
    from bureau_adapters.pboc.features import features_frame
    from bureau_adapters.pboc.models import PersonalReport

    households = pd.read_parquet(province / "households.parquet")
    outcomes = pd.read_parquet(province / "outcomes.parquet")
    files = [province / "reports" / "pboc" / f"{h}.xml" for h in households["household_id"]]
    reports = [parse_file(p) for p in files]
    features = features_frame([r for r in reports if isinstance(r, PersonalReport)])
    features.index = households.index
    frame = households.merge(outcomes[["household_id", "default_12m"]], on="household_id")
    return pd.concat([frame, features], axis=1)


@lru_cache(maxsize=4)
def train_champion(province: Path, config_dir: Path) -> Any:
    """A federation-wide statistical model trained on the province (a few seconds)."""
    from model_registry.config import rating_config
    from model_registry.train import train_rating_model

    frame = province_frame(province)
    config = rating_config(config_dir, None, columns=frame.columns)
    data = frame.drop(columns=["default_12m", *[c for c in _EXCLUDE if c in frame.columns]])
    return train_rating_model(
        data,
        frame["default_12m"],
        name=TEST_MODEL_NAME,
        scale=config.scale,
        knockouts=config.knockouts,
        reason_catalog=config.reason_catalog,
        feature_catalog_version="pboc-features/1",
    )


def register_champion(result: Any, registry: Any) -> int:
    """Register a :class:`TrainingResult` and make it the federation champion."""
    from model_registry.lineage import Lineage

    lineage = Lineage(
        training_data_sha256=result.training_data_sha256,
        feature_catalog_version="pboc-features/1",
        author="tests",
        metrics=result.metrics,
    )
    example = result.test[result.model.input_columns].head(3)
    info = registry.register(
        result.model, name=TEST_MODEL_NAME, lineage=lineage, input_example=example
    )
    registry.set_alias(TEST_MODEL_NAME, "champion", int(info.version))
    return int(info.version)


def rating_body(row: pd.Series | dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A ``POST /v1/ratings`` body for one survey row of a province."""
    survey = {c: _plain(row[c]) for c in SURVEY_COLUMNS if c != "requested_product"}
    body: dict[str, Any] = {
        "bank_code": str(row["bank_code"]),
        "applicant": {
            "name": str(row["head_name"]),
            "id_type": "10",
            "id_number": str(row["id_number"]),
        },
        "survey": survey,
        "product": str(row["requested_product"]),
        "household_id": str(row["household_id"]),
        "business_ref": f"APP-{row['household_id']}",
    }
    body.update(overrides)
    return body


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def record_consent(
    consents: Any, bank_code: str, id_number: str, *, valid_days: int = 365, signed_ago: int = 1
) -> str:
    """Record a PBOC loan-approval consent (signed ``signed_ago`` days ago); its id."""
    today = dt.date.today()
    signed = today - dt.timedelta(days=signed_ago)
    consent = consents.record(
        bank_code=bank_code,
        subject_id=id_number,
        bureau="pboc",
        reason="02",
        signed_on=signed,
        valid_until=signed + dt.timedelta(days=valid_days),
        document_sha256=hashlib.sha256(id_number.encode()).hexdigest(),
        recorded_by="tests",
    )
    return str(consent.consent_id)


@contextmanager
def serve_in_thread(app: Any, *, timeout: float = 20.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise ServiceError("uvicorn did not start in time.", code="SERVER_START")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
