"""The HTTP API and Qianhai (前海), end to end on the real server (uvicorn on a loopback port)
with the PBOC and Qianhai simulators and a champion whose K06 knockout reads
``qh_b1_dishonest``; SQLite and PostgreSQL.

The fixtures (province with one dishonest judgment debtor, champion, served app) are those of
``test_gather_qianhai.py``: the Qianhai consent and reason in the body, the field named when
a Qianhai consent is refused, lineage naming the Qianhai catalog and reports (replayed
exactly by ``nongxin decision replay``), and ``/readyz`` per bureau.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

from bureau_adapters.compliance.testing import postgres_test_url
from scoring_service.api.testing import rating_body
from scoring_service.decisions import replay

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "nongxin_test_gather_qianhai", _HERE / "test_gather_qianhai.py"
)
assert _spec is not None
assert _spec.loader is not None
_gather = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_gather)

# the fixtures, reused (not the tests: only these names are taken)
province = _gather.province
champion = _gather.champion
env = _gather.env
Env = _gather.Env
BANK: str = _gather.BANK
CONFIG: Path = _gather.CONFIG
pytestmark = _gather.pytestmark


def _qianhai_consent(env: Env, row: pd.Series, *, reason: str = "01") -> str:
    consent = env.services.bureaus.pboc.gate.consents.record(
        bank_code=BANK,
        subject_id=str(row["id_number"]),
        bureau="qianhai",
        reason=reason,
        signed_on=dt.date.today() - dt.timedelta(days=1),
        valid_until=dt.date.today() + dt.timedelta(days=365),
        document_sha256=hashlib.sha256(f"qh{reason}{row['id_number']}".encode()).hexdigest(),
        recorded_by="tests",
    )
    return str(consent.consent_id)


def _problem(response: httpx.Response, code: str, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert (body["code"], body["field"]) == (code, field), body
    return body


def _database_url(env: Env) -> str:
    engine = env.services.engine
    if engine.dialect.name == "sqlite":
        return engine.url.render_as_string(hide_password=False)
    import sqlalchemy as sa

    with engine.connect() as conn:
        schema = conn.execute(sa.text("SHOW search_path")).scalar_one()
    return f"{postgres_test_url()}?options=-csearch_path%3D{schema}"


def test_knocked_out_lineage_names_qianhai_and_replays_exactly(
    env: Env, champion: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from scoring_service.cli import cli
    from scoring_service.settings import get_settings

    row = env.households.iloc[0]  # listed by Qianhai as a dishonest judgment debtor
    env.consents(row, qianhai=False)
    consent_id = _qianhai_consent(env, row)
    body = rating_body(row, qianhai_consent_id=consent_id, qianhai_reason="01")
    response = env.post(body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["grade"] == "E"
    assert "K06" in [k["code"] for k in answer["knockouts"]]
    lineage = answer["lineage"]
    assert lineage["feature_catalog_version"] == "pboc-features/1+qh-features/1"
    products = env.services.bureaus.qianhai_products(BANK)
    qh_ids = [i for i in lineage["report_ids"] if i.startswith("qianhai:")]
    assert [i.split(":")[1] for i in qh_ids] == list(products)
    assert lineage["report_ids"][0].startswith("pboc:")
    # the consent given was the one used, with the reason given (audit rows of Qianhai)
    audit = env.services.bureaus.pboc.gate.audit.list(BANK, business_ref=body["business_ref"])
    qh_audit = [a for a in audit if a.bureau == "qianhai"]
    assert {(a.consent_id, a.reason) for a in qh_audit} == {(consent_id, "01")}
    # stored as answered, and the store ids in the lineage are Qianhai's stored answers
    record = env.services.decisions.get(BANK, answer["decision_id"])
    assert record.feature_catalog_version == lineage["feature_catalog_version"]
    assert record.report_ids.split(";") == lineage["report_ids"]
    assert {f"@{a.store_id}" for a in qh_audit} == {"@" + i.split("@")[1] for i in qh_ids}
    assert (
        env.client.get(
            f"/v1/decisions/{answer['decision_id']}", headers={"X-API-Key": env.key}
        ).json()
        == answer
    )
    # replay: identical; a stored stamp that hid Qianhai would be reported
    policy = env.services.policies.get(BANK)
    assert replay(record, load_model=env.services.champions.load, policy=policy).identical
    forged = replay(
        dataclasses.replace(record, feature_catalog_version="pboc-features/1"),
        load_model=env.services.champions.load,
        policy=policy,
    )
    assert [d.field for d in forged.differences] == ["feature_catalog_version"]
    # and the operators' CLI says so
    _, home = champion
    monkeypatch.setenv("NONGXIN_HOME", str(home))
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("NONGXIN_DATABASE_URL", _database_url(env))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(cli, ["decision", "replay", answer["decision_id"]])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 0, out.output
    assert f"decision {answer['decision_id']}: identical" in out.output
    assert "grade E" in out.output


def test_missing_qianhai_consent_is_422_naming_its_field(env: Env) -> None:
    row = env.households.iloc[4]
    env.consents(row, qianhai=False)
    before = env.services.decisions.count()
    refused = _problem(env.post(rating_body(row)), "CONSENT_MISSING", "qianhai_consent_id")
    assert "qianhai" in refused["detail"]
    # an id given that is not the subject's Qianhai consent: refused the same way
    other = env.households.iloc[5]
    foreign = _qianhai_consent(env, other)
    _problem(
        env.post(rating_body(row, qianhai_consent_id=foreign)),
        "CONSENT_MISSING",
        "qianhai_consent_id",
    )
    # a consent for loan approval does not cover post-loan queries: the reason is named
    _qianhai_consent(env, row)
    _problem(env.post(rating_body(row, qianhai_reason="03")), "CONSENT_REASON", "qianhai_reason")
    # a code Qianhai does not have is refused by the body's schema
    _problem(env.post(rating_body(row, qianhai_reason="09")), "REQUEST_INVALID", "qianhai_reason")
    assert env.services.decisions.count() == before
    pboc = [
        a
        for a in env.services.bureaus.pboc.gate.audit.list(
            BANK, business_ref=f"APP-{row['household_id']}"
        )
        if a.bureau == "pboc"
    ]
    assert pboc == []  # PBOC never paid for while Qianhai would refuse


def test_readyz_reports_each_bureau_and_names_a_stopped_qianhai(env: Env) -> None:
    health = env.client.get("/healthz")
    assert health.json() == {"status": "ok", "bureaus": ["pboc", "qianhai"]}
    ready = env.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["bureaus"] == {
        "pboc": {"ok": True, "error": None},
        "qianhai": {"ok": True, "error": None},
    }
    port = int(env.qianhai.base_url.rsplit(":", 1)[1])
    env.qianhai.stop()
    try:
        down = env.client.get("/readyz")
        assert down.status_code == 503, down.text
        body = down.json()
        assert body["status"] == "not_ready"
        assert body["failed"] == ["bureaus.qianhai"]
        assert body["bureaus"]["pboc"] == {"ok": True, "error": None}
        assert body["bureaus"]["qianhai"]["ok"] is False
        assert body["bureaus"]["qianhai"]["error"] == "ConnectionRefusedError"
        assert env.client.get("/healthz").status_code == 200  # liveness does not call out
    finally:
        env.qianhai.port = port
        env.qianhai.start()
    assert env.client.get("/readyz").status_code == 200
