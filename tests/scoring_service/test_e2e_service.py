"""End to end: the real server (uvicorn on a loopback port) with the PBOC simulator, the
embedded MLflow registry and the decision store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
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
from bureau_adapters.settings import BureauSettings
from scoring_service.api import Services, create_app
from scoring_service.api.testing import (
    rating_body,
    record_consent,
    register_champion,
    serve_in_thread,
    train_champion,
)
from scoring_service.decisions import replay
from scoring_service.settings import NongxinSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning"),
    pytest.mark.filterwarnings(
        "ignore:.*Hint. Inferred schema contains integer column:UserWarning"
    ),
    pytest.mark.filterwarnings("ignore::FutureWarning:mlflow.*"),
]


@dataclass
class Env:
    """A running service and what the tests need to look behind it."""

    client: httpx.Client
    services: Services
    simulator: PbocSimulator
    keys: dict[str, str]
    households: pd.DataFrame
    backend: str
    home: Path
    _next: Iterator[int]

    def household(self) -> pd.Series:
        """A bank-301 household no other test of this module has used."""
        return self.households.iloc[next(self._next)]

    def post(self, body: dict[str, Any], bank: str = "301") -> httpx.Response:
        return self.client.post("/v1/ratings", json=body, headers={"X-API-Key": self.keys[bank]})

    def get(self, path: str, bank: str = "301") -> httpx.Response:
        return self.client.get(path, headers={"X-API-Key": self.keys[bank]})

    def consent(self, row: pd.Series, **kwargs: Any) -> str:
        return record_consent(
            self.services.bureaus.pboc.gate.consents, "301", str(row["id_number"]), **kwargs
        )

    def decisions(self) -> int:
        return self.services.decisions.count()


@pytest.fixture(scope="session")
def champion(tmp_path_factory: pytest.TempPathFactory, small_province: Path) -> tuple[Any, Path]:
    """The embedded registry (fresh NONGXIN_HOME) with a champion trained on the province."""
    from model_registry.registry import ModelRegistry

    home = tmp_path_factory.mktemp("service-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NONGXIN_HOME", str(home))
        mp.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(home)  # anything MLflow writes relative to the cwd stays here
        registry = ModelRegistry()
        register_champion(train_champion(small_province, CONFIG), registry)
    return registry, home


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(
    request: pytest.FixtureRequest,
    champion: tuple[Any, Path],
    small_province: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    if request.param == "postgresql":
        why = postgres_unavailable(postgres_test_url())
        if why:
            pytest.skip(why)
    registry, home = champion
    settings = NongxinSettings(home=home, config_dir=CONFIG)
    households = pd.read_parquet(small_province / "households.parquet")
    households = households[households["bank_code"] == "301"].reset_index(drop=True)
    with (
        isolated_engine(request.param, tmp_path_factory.mktemp("db")) as engine,
        PbocSimulator(small_province, slow_seconds=8.0) as simulator,
    ):
        bureau = BureauSettings(
            pboc_endpoint=simulator.endpoint, pboc_read_timeout=5.0, pboc_connect_retries=0
        )
        services = Services.build(settings, engine, registry=registry, bureau_settings=bureau)
        keys = {}
        for code in ("301", "302"):
            services.tenancy.add_bank(code, f"bank {code}", config_dir=CONFIG)
            keys[code] = services.tenancy.add_key(code).secret
        app = create_app(settings, services=services)
        try:
            with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
                yield Env(
                    client,
                    services,
                    simulator,
                    keys,
                    households,
                    request.param,
                    home,
                    itertools.count(),
                )
        finally:
            services.close()


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    return body


def test_rating_is_stored_with_lineage_and_replays_identically(env: Env) -> None:
    row = env.household()
    consent_id = env.consent(row)
    before = env.decisions()
    response = env.post(rating_body(row, consent_id=consent_id))
    assert response.status_code == 200, response.text
    body = response.json()
    assert env.decisions() == before + 1
    assert body["grade"] in "ABCDE"
    assert 0.0 < body["pd"] < 1.0
    assert body["limit"] >= 0
    assert body["limit"] % 10000 == 0
    assert body["binding"]
    assert all(isinstance(b, str) for b in body["binding"])
    assert all(r["code"] and r["zh"] and r["en"] for r in body["reasons"])
    lineage = body["lineage"]
    policy = env.services.policies.get("301")
    assert lineage["model_name"] == "farmer-rating"
    assert lineage["model_version"] == 1
    assert lineage["policy_bank_hash"] == policy.bank_hash
    assert lineage["feature_catalog_version"] == "pboc-features/1"
    assert lineage["report_ids"][0].startswith("pboc:")
    stored = env.get(f"/v1/decisions/{body['decision_id']}")
    assert stored.status_code == 200
    assert stored.json() == body
    record = env.services.decisions.get("301", body["decision_id"])
    result = replay(record, load_model=env.services.champions.load, policy=policy)
    assert result.identical, result.to_dict()


def test_second_rating_reuses_the_stored_report(env: Env) -> None:
    row = env.household()
    env.consent(row)
    first = env.post(rating_body(row))
    hits = env.simulator.hits
    second = env.post(rating_body(row))
    assert first.status_code == second.status_code == 200
    assert env.simulator.hits == hits  # no second billable query
    a, b = first.json(), second.json()
    assert a["decision_id"] != b["decision_id"]
    same = ("score", "pd", "grade", "limit", "binding", "reasons", "knockouts")
    assert {k: a[k] for k in same} == {k: b[k] for k in same}
    assert a["lineage"]["inputs_hash"] == b["lineage"]["inputs_hash"]


def test_replay_says_exactly_what_differs_under_another_policy(env: Env) -> None:
    row = env.household()
    env.consent(row)
    body = env.post(rating_body(row)).json()
    record = env.services.decisions.get("301", body["decision_id"])
    other = env.services.policies.get("302")
    result = replay(record, load_model=env.services.champions.load, policy=other)
    fields = {d.field for d in result.differences}
    assert not result.identical
    assert "policy_bank_hash" in fields


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"applicant": "bad_check_digit"}, 422, "SUBJECT_INVALID", "applicant.id_number"),
        ({"survey": {"land_mu": "lots"}}, 422, "REQUEST_INVALID", "survey.land_mu"),
        ({"survey": {"income_wage": -5.0}}, 422, "REQUEST_INVALID", "survey.income_wage"),
        ({"survey": {"main_crop": "rice"}}, 422, "REQUEST_INVALID", "survey.main_crop"),
        ({"bank_code": "399"}, 404, "BANK_NOT_FOUND", "bank_code"),
        ({"bank_code": "302"}, 404, "BANK_NOT_FOUND", "bank_code"),
        ({"consent": "none"}, 422, "CONSENT_MISSING", "consent_id"),
        ({"consent": "expired"}, 422, "CONSENT_EXPIRED", "consent_id"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    env: Env, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    row = env.household()
    body = rating_body(row)
    consent = change.get("consent")
    if consent == "expired":
        body["consent_id"] = env.consent(row, valid_days=10, signed_ago=40)
    elif consent is None:
        env.consent(row)
    if change.get("applicant"):
        number = str(row["id_number"])
        wrong = "X" if number[-1] != "X" else "0"
        body["applicant"]["id_number"] = number[:-1] + (wrong if wrong != number[-1] else "1")
    body["survey"].update(change.get("survey", {}))
    if "bank_code" in change:
        body["bank_code"] = change["bank_code"]
    before, hits = env.decisions(), env.simulator.hits
    problem = _problem(env.post(body), status, code)
    assert problem["field"] == field
    assert env.decisions() == before
    assert str(row["id_number"]) not in str(problem)  # no ID number in clear
    if code != "CONSENT_EXPIRED":
        assert env.simulator.hits == hits


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("slow", "PBOC_READ_TIMEOUT"), ("DBE003", "PBOC_DBE003"), ("fault", "PBOC_SOAP_FAULT")],
)
def test_bureau_failure_is_503_and_stores_no_decision(env: Env, scenario: str, code: str) -> None:
    row = env.household()
    env.consent(row)
    env.simulator.set_scenario(scenario, id_number=str(row["id_number"]))
    before = env.decisions()
    problem = _problem(env.post(rating_body(row)), 503, code)
    assert env.decisions() == before
    assert problem["retry"] is True


def test_another_banks_ids_are_not_found(env: Env) -> None:
    row = env.household()
    consent_id = env.consent(row)
    body = env.post(rating_body(row)).json()
    store_id = body["lineage"]["report_ids"][0].rsplit("@", 1)[1]
    for path in (
        f"/v1/decisions/{body['decision_id']}",
        f"/v1/consents/{consent_id}",
        f"/v1/reports/{store_id}",
    ):
        assert env.get(path, "301").status_code == 200, path
        _problem(env.get(path, "302"), 404, _not_found_code(path))


def _not_found_code(path: str) -> str:
    kind = path.split("/")[2]
    return {"decisions": "DECISION_NOT_FOUND", "consents": "CONSENT_NOT_FOUND"}.get(
        kind, "STORE_NOT_FOUND"
    )


@pytest.mark.parametrize("key", [None, "nx_00000000_" + "a" * 43, "not-a-key"])
def test_calls_without_a_valid_key_are_401(env: Env, key: str | None) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    response = env.client.post("/v1/ratings", json={}, headers=headers)
    _problem(response, 401, "API_KEY_INVALID")


def test_consent_api_records_for_the_calling_bank_only(env: Env) -> None:
    row = env.household()
    payload = {
        "id_number": str(row["id_number"]),
        "signed_on": "2026-01-05",
        "valid_until": "2099-01-05",
        "document_sha256": "ab" * 32,
        "recorded_by": "clerk-7",
    }
    created = env.client.post("/v1/consents", json=payload, headers={"X-API-Key": env.keys["302"]})
    assert created.status_code == 201, created.text
    consent = created.json()
    assert consent["bank_code"] == "302"
    assert str(row["id_number"]) not in created.text
    _problem(env.get(f"/v1/consents/{consent['consent_id']}", "301"), 404, "CONSENT_NOT_FOUND")
    missing = _problem(env.post(rating_body(row)), 422, "CONSENT_MISSING")  # 301 has none
    assert missing["field"] == "consent_id"


def test_registry_down_keeps_serving_the_cached_champion(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from model_registry.registry import ModelRegistry
    from model_registry.serving import ChampionLoader

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    row = env.household()
    env.consent(row)
    loader: ChampionLoader = env.services.champions.loader("301")
    loader.get()
    up = loader.registry
    loader.registry = ModelRegistry(f"http://127.0.0.1:{_closed_port()}")
    try:
        env.services.champions.refresh()  # what the refresh thread does every 30 s
        response = env.post(rating_body(row))
        assert response.status_code == 200, response.text
        assert response.json()["lineage"]["model_version"] == 1
        ready = env.get("/readyz").json()  # with bank 301's key: its champion is shown
        served = next(m for m in ready["models"] if m["bank"] == "301")
        assert served["status"] == "degraded"
        assert served["version"] == 1
        assert served["refresh"] == "background"
        assert ready["registry_reachable"] is False
    finally:
        loader.registry = up
        loader.refresh()


class _Recording:
    """The real registry, recording the thread of every alias resolution."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry
        self.threads: list[str] = []

    def resolve_for_bank(self, name: str, role: str, bank: str | None) -> Any:
        self.threads.append(threading.current_thread().name)
        return self.registry.resolve_for_bank(name, role, bank)

    def load(self, name: str, version: int) -> Any:
        return self.registry.load(name, version)


def _until(check: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_champion_refresh_runs_off_the_request_path(
    small_province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's refresh thread loads the champion at start, picks up a promotion with no
    request made, and keeps serving the cached champion when the registry goes down; no
    request ever asks the registry (a registry of its own: the alias moves)."""
    from model_registry.registry import ModelRegistry

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    monkeypatch.setenv("NONGXIN_HOME", str(tmp_path))
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    registry = ModelRegistry()
    trained = train_champion(small_province, CONFIG)
    first = register_champion(trained, registry)
    recording = _Recording(registry)
    row = pd.read_parquet(small_province / "households.parquet").query("bank_code == '301'").iloc[0]
    with (
        isolated_engine("sqlite", tmp_path) as engine,
        PbocSimulator(small_province) as simulator,
    ):
        services = Services.build(
            NongxinSettings(home=tmp_path, config_dir=CONFIG),
            engine,
            registry=recording,
            bureau_settings=BureauSettings(pboc_endpoint=simulator.endpoint),
            refresh_seconds=0.3,
        )
        services.tenancy.add_bank("301", "bank 301", config_dir=CONFIG)
        key = {"X-API-Key": services.tenancy.add_key("301").secret}
        record_consent(services.bureaus.pboc.gate.consents, "301", str(row["id_number"]))
        loader = services.champions.loader("301")
        try:
            with serve_in_thread(create_app(NongxinSettings(), services=services)) as url:
                _until(lambda: loader.health()["version"] == first)  # loaded at start
                rated = httpx.post(f"{url}/v1/ratings", json=rating_body(row), headers=key)
                assert rated.json()["lineage"]["model_version"] == first, rated.text
                second = register_champion(trained, registry)  # promotion: the alias moves
                _until(lambda: loader.health()["version"] == second)  # no request made
                rated = httpx.post(f"{url}/v1/ratings", json=rating_body(row), headers=key)
                assert rated.json()["lineage"]["model_version"] == second, rated.text
                recording.registry = ModelRegistry(f"http://127.0.0.1:{_closed_port()}")
                _until(lambda: loader.health()["status"] == "degraded")
                rated = httpx.post(f"{url}/v1/ratings", json=rating_body(row), headers=key)
                assert rated.status_code == 200, rated.text
                assert rated.json()["lineage"]["model_version"] == second
        finally:
            services.close()
    assert len(recording.threads) >= 3
    assert set(recording.threads) == {"nongxin-champion-refresh"}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_health_and_readiness(env: Env) -> None:
    health = env.client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["bureaus"][0] == "pboc"
    ready = env.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["database"]["ok"]
    assert body["failed"] == []
    assert body["bureaus"]["pboc"] == {"ok": True, "error": None}
    # open to load balancers: how many champions in which state, never which banks
    assert body["model_states"] == {"ok": 2}
    assert body["models"] == []
    assert "301" not in ready.text
    assert "302" not in ready.text
    own = env.get("/readyz", bank="302").json()  # a bank's key shows its own champion only
    assert [(m["bank"], m["status"]) for m in own["models"]] == [("302", "ok")]
    forged = env.client.get("/readyz", headers={"X-API-Key": "nx_00000000_" + "A" * 43})
    assert forged.status_code == 200
    assert forged.json()["models"] == []


def test_openapi_documents_units_and_codes(env: Env) -> None:
    schema = env.client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    survey = components["SurveyIn"]["properties"]
    assert "yuan" in survey["income_wage"]["description"]
    assert "mu" in survey["land_mu"]["description"]
    rating = components["RatingOut"]["properties"]
    assert "12 months" in rating["pd"]["description"]
    assert "grade_cap" in rating["binding"]["description"]
    responses = schema["paths"]["/v1/ratings"]["post"]["responses"]
    assert {"401", "404", "422", "503"} <= set(responses)
    assert "qianhai_consent_id" in responses["422"]["description"]
    body = components["RatingIn"]["properties"]
    assert "Qianhai" in body["qianhai_consent_id"]["description"]
    reason = body["qianhai_reason"]
    assert "01 = loan approval" in reason["description"]
    assert {"01", "02", "03"} <= {o.get("const") for o in reason["anyOf"]} | set(
        next((o["enum"] for o in reason["anyOf"] if "enum" in o), [])
    )
    lineage = components["LineageOut"]["properties"]
    assert "qh-features/1" in lineage["feature_catalog_version"]["description"]
    key = schema["components"]["securitySchemes"]["ApiKey"]
    assert (key["type"], key["in"], key["name"]) == ("apiKey", "header", "X-API-Key")
    for path, method in (("/v1/ratings", "post"), ("/v1/decisions/{decision_id}", "get")):
        assert schema["paths"][path][method]["security"] == [{"ApiKey": []}]
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_scoring_only_matches_the_pipeline_and_stores_nothing(
    env: Env, small_province: Path
) -> None:
    from scoring_service.api.testing import province_frame
    from scoring_service.pipeline import INPUT_COLUMNS, DecisionContext, decide

    frame = province_frame(small_province)
    row = frame[frame["bank_code"] == "301"].iloc[[4]]
    cols = [c for c in INPUT_COLUMNS if c != "bank_code"]
    inputs = row[cols].astype(object).where(row[cols].notna(), None).iloc[0].to_dict()
    inputs = {k: v.item() if hasattr(v, "item") else v for k, v in inputs.items()}
    before = env.decisions()
    response = env.client.post(
        "/v1/scores",
        json={"bank_code": "301", "inputs": inputs},
        headers={"X-API-Key": env.keys["301"]},
    )
    assert response.status_code == 200, response.text
    context = DecisionContext(
        "301", env.services.policies.get("301"), env.services.champions.get("301")
    )
    expected = decide(row, context).iloc[0]
    body = response.json()
    assert (body["score"], body["grade"], body["limit"]) == (
        expected["score"],
        expected["grade"],
        expected["limit"],
    )
    assert body["inputs_hash"] == expected["inputs_hash"]
    assert env.decisions() == before


def _database_url(env: Env) -> str:
    engine = env.services.engine
    if env.backend == "sqlite":
        return engine.url.render_as_string(hide_password=False)
    import sqlalchemy as sa

    with engine.connect() as conn:
        schema = conn.execute(sa.text("SHOW search_path")).scalar_one()
    return f"{postgres_test_url()}?options=-csearch_path%3D{schema}"


def test_decision_cli_shows_and_replays_a_stored_decision(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from scoring_service.cli import cli
    from scoring_service.settings import get_settings

    row = env.household()
    env.consent(row)
    decision_id = env.post(rating_body(row)).json()["decision_id"]
    monkeypatch.setenv("NONGXIN_HOME", str(env.home))
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("NONGXIN_DATABASE_URL", _database_url(env))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(cli, ["decision", "show", decision_id])
        assert shown.exit_code == 0, shown.output
        assert f'"decision_id": "{decision_id}"' in shown.output
        assert str(row["id_number"]) not in shown.output
        replayed = runner.invoke(cli, ["decision", "replay", decision_id])
        assert replayed.exit_code == 0, replayed.output
        assert f"decision {decision_id}: identical" in replayed.output
        missing = runner.invoke(cli, ["decision", "replay", "0" * 32])
        assert missing.exit_code != 0
        assert "No decision" in str(missing.exception)
    finally:
        get_settings.cache_clear()
