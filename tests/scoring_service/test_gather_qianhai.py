"""Qianhai in the online pipeline, end to end: the real server (uvicorn on a loopback port), the
PBOC SOAP simulator and the Qianhai HTTP simulator, a champion whose knockouts read
``qh_b1_dishonest``; on SQLite and on PostgreSQL.

A household that Qianhai lists as a dishonest judgment debtor (8036 ``B1``) is knocked out
online (grade E, K06 named); a Qianhai failure is a coded 503 and stores no decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from bureau_adapters.compliance.testing import (
    isolated_engine,
    postgres_test_url,
    postgres_unavailable,
)
from bureau_adapters.pboc.simulator import PbocSimulator
from bureau_adapters.qianhai.offline import qh_features_from_province
from bureau_adapters.qianhai.simulator import QianhaiSimulator
from bureau_adapters.settings import BureauSettings
from bureau_adapters.transport import Timeouts
from scoring_service.api import Services, create_app
from scoring_service.api.testing import (
    TEST_MODEL_NAME,
    province_frame,
    rating_body,
    record_consent,
    register_champion,
    serve_in_thread,
)
from scoring_service.settings import NongxinSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"
BANK = "301"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
    pytest.mark.filterwarnings(
        "ignore:.*Hint. Inferred schema contains integer column:UserWarning"
    ),
    pytest.mark.filterwarnings("ignore::FutureWarning:mlflow.*"),
]


@pytest.fixture(scope="module")
def province(small_province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small province with one bank-301 household listed by Qianhai as a dishonest
    judgment debtor (its 8036 answer gains a B1 event; its PBOC report is unchanged)."""
    out = tmp_path_factory.mktemp("qh-province") / "p"
    (out / "reports").mkdir(parents=True)
    shutil.copy(small_province / "households.parquet", out / "households.parquet")
    (out / "reports" / "pboc").symlink_to(small_province / "reports" / "pboc")
    shutil.copytree(small_province / "reports" / "qianhai", out / "reports" / "qianhai")
    households = _bank_households(out)
    target = out / "reports" / "qianhai" / f"{households.iloc[0]['household_id']}.json"
    doc = json.loads(target.read_text("utf-8"))
    b1 = {"sourceId": "B", "rskScore": "", "rskMark": "B1", "dataBuildTime": "2026-01-15",
          "dataStatus": "1", "erCode": "E000000", "erMsg": "成功"}  # fmt: skip
    hints = [r for r in doc["products"].get("8036", []) if r.get("erCode") == "E000000"]
    doc["products"]["8036"] = [*hints, b1]
    target.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return out


def _bank_households(province: Path) -> pd.DataFrame:
    frame = pd.read_parquet(province / "households.parquet")
    return frame[frame["bank_code"] == BANK].sort_values("household_id").reset_index(drop=True)


@pytest.fixture(scope="module")
def champion(tmp_path_factory: pytest.TempPathFactory, small_province: Path) -> tuple[Any, Path]:
    """A registry whose champion reads PBOC and Qianhai features, with the federation's
    knockouts (``dishonest_judgment_debtor`` among them, since ``qh_b1_dishonest`` is a column)."""
    from model_registry.config import rating_config
    from model_registry.registry import ModelRegistry
    from model_registry.train import train_rating_model

    qh = qh_features_from_province(small_province)
    frame = province_frame(small_province).join(qh, on="household_id")
    config = rating_config(CONFIG, None, columns=frame.columns)
    assert "dishonest_judgment_debtor" in [r.name for r in config.knockouts]
    dropped = ["default_12m", "requested_product", "survey_date", "thin_file", "true_pd"]
    result = train_rating_model(
        frame.drop(columns=[c for c in dropped if c in frame.columns]),
        frame["default_12m"],
        name=TEST_MODEL_NAME,
        scale=config.scale,
        knockouts=config.knockouts,
        reason_catalog=config.reason_catalog,
        feature_catalog_version="pboc-features/1",
    )
    home = tmp_path_factory.mktemp("qh-service-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NONGXIN_HOME", str(home))
        mp.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(home)
        registry = ModelRegistry()
        register_champion(result, registry)
    return registry, home


@dataclass
class Env:
    client: httpx.Client
    services: Services
    qianhai: QianhaiSimulator
    key: str
    households: pd.DataFrame

    def post(self, body: dict[str, Any]) -> httpx.Response:
        return self.client.post("/v1/ratings", json=body, headers={"X-API-Key": self.key})

    def consents(self, row: pd.Series, *, qianhai: bool = True) -> None:
        consents = self.services.bureaus.pboc.gate.consents
        record_consent(consents, BANK, str(row["id_number"]))
        if qianhai:
            consents.record(
                bank_code=BANK, subject_id=str(row["id_number"]), bureau="qianhai",
                reason="01", signed_on=dt.date.today() - dt.timedelta(days=1),
                valid_until=dt.date.today() + dt.timedelta(days=365),
                document_sha256=hashlib.sha256(b"qh" + str(row["id_number"]).encode()).hexdigest(),
                recorded_by="tests",
            )  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(
    request: pytest.FixtureRequest,
    champion: tuple[Any, Path],
    province: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    if request.param == "postgresql":
        why = postgres_unavailable(postgres_test_url())
        if why:
            pytest.skip(why)
    registry, home = champion
    settings = NongxinSettings(home=home, config_dir=CONFIG)
    with (
        isolated_engine(request.param, tmp_path_factory.mktemp("db")) as engine,
        PbocSimulator(province) as pboc,
        QianhaiSimulator(province) as qianhai,
    ):
        bureau = BureauSettings(
            pboc_endpoint=pboc.endpoint, pboc_read_timeout=5.0, pboc_connect_retries=0
        )

        def qianhai_client(gate: Any) -> Any:
            return qianhai.client(gate, timeouts=Timeouts(connect=2.0, read=5.0), max_retries=0)

        services = Services.build(
            settings, engine, registry=registry, bureau_settings=bureau, qianhai=qianhai_client
        )
        services.tenancy.add_bank(BANK, f"bank {BANK}", config_dir=CONFIG)
        key = services.tenancy.add_key(BANK).secret
        app = create_app(settings, services=services)
        try:
            with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
                yield Env(client, services, qianhai, key, _bank_households(province))
        finally:
            services.close()


def test_plan_queries_the_products_the_champion_reads(env: Env) -> None:
    products = env.services.bureaus.qianhai_products(BANK)
    assert "8036" in products  # the dishonest-debtor knockout reads 8036's B1 flag
    assert "8075" not in products  # the sandbox has no 8075: the model reads none of it


def test_dishonest_debtor_is_knocked_out_online(env: Env) -> None:
    row = env.households.iloc[0]  # the household with the B1 event
    env.consents(row)
    calls = len(env.qianhai.calls)
    response = env.post(rating_body(row))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["grade"] == "E"
    assert "K06" in [k["code"] for k in body["knockouts"]]
    k06 = next(k for k in body["knockouts"] if k["code"] == "K06")
    assert "dishonest" in k06["en"]
    products = env.services.bureaus.qianhai_products(BANK)
    ids = body["lineage"]["report_ids"]
    assert [i.split(":")[1] for i in ids if i.startswith("qianhai:")] == list(products)
    assert len(env.qianhai.calls) - calls == len(products)
    # re-rating inside the reuse window: same knockout, Qianhai not asked (nor billed) again
    again = env.post(rating_body(row, business_ref="APP-again"))
    assert again.status_code == 200, again.text
    assert "K06" in [k["code"] for k in again.json()["knockouts"]]
    assert len(env.qianhai.calls) - calls == len(products)


def test_household_without_b1_is_not_knocked_out_by_k06(env: Env) -> None:
    row = env.households.iloc[1]
    env.consents(row)
    response = env.post(rating_body(row))
    assert response.status_code == 200, response.text
    assert "K06" not in [k["code"] for k in response.json()["knockouts"]]
    assert any(i.startswith("qianhai:8036:") for i in response.json()["lineage"]["report_ids"])


def test_qianhai_failure_is_a_coded_503_and_stores_nothing(env: Env) -> None:
    row = env.households.iloc[2]
    env.consents(row)
    env.qianhai.set_scenario("daily_limit", id_number=str(row["id_number"]))
    before = env.services.decisions.count()
    response = env.post(rating_body(row))
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "QH_E900006"
    assert env.services.decisions.count() == before
    audit = env.services.bureaus.pboc.gate.audit.list(
        BANK, business_ref=f"APP-{row['household_id']}"
    )
    assert [(a.bureau, a.code) for a in audit if a.bureau == "qianhai"][-1] == (
        "qianhai",
        "QH_E900006",
    )


def test_missing_qianhai_consent_is_refused_naming_it(env: Env) -> None:
    row = env.households.iloc[3]
    env.consents(row, qianhai=False)
    before = env.services.decisions.count()
    response = env.post(rating_body(row))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "CONSENT_MISSING"
    assert "qianhai" in response.json()["detail"]
    assert env.services.decisions.count() == before
    audit = env.services.bureaus.pboc.gate.audit.list(
        BANK, business_ref=f"APP-{row['household_id']}"
    )
    assert [(a.bureau, a.code) for a in audit] == [("qianhai", "CONSENT_MISSING")]  # PBOC unpaid


def test_readyz_reports_the_qianhai_endpoint(env: Env) -> None:
    assert env.services.bureaus_health()["qianhai"] == {"ok": True, "error": None}
    assert env.services.bureau_ok() == (True, None)


def test_a_rating_reads_the_plan_once(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The products checked before PBOC is paid for are the products queried after it: the
    plan (and the champion's columns) is read once per rating."""
    read = env.services.bureaus.model_columns
    assert read is not None
    calls: list[str] = []

    def counted(bank_code: str) -> Any:
        calls.append(bank_code)
        return read(bank_code)

    monkeypatch.setattr(env.services.bureaus, "model_columns", counted)
    row = env.households.iloc[5]  # a household no other test sets a scenario for
    env.consents(row)
    response = env.post(rating_body(row, business_ref="APP-plan-once"))
    assert response.status_code == 200, response.text
    assert calls == [BANK]
