"""The Qianhai simulator checks requests as Qianhai does and serves over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from bureau_adapters.compliance import ConsentRegistry
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.exceptions import BureauError
from bureau_adapters.qianhai import crypto, envelope
from bureau_adapters.qianhai.client import QianhaiClient
from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.models import CredooScore, Subject
from bureau_adapters.qianhai.responder import Responder, VendorIdentity
from bureau_adapters.qianhai.settings import QianhaiSettings
from bureau_adapters.qianhai.simulator import QianhaiSimulator
from bureau_adapters.qianhai.testing import tiny_id_number, write_tiny_province

CHECK = "abcdefghijklmnopqrstuvwx"
PATH = "/do/dmz/query/credoo/v1/MSC8005"
KEYS = {
    "client": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    "vendor": rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


def _responder(**kw: Any) -> Responder:
    identity = VendorIdentity(
        org_code="ORG1",
        user_name="u",
        password_sha1=crypto.password_digest("pw"),
        check_code=CHECK,
        client_public_key=KEYS["client"].public_key(),
        vendor_private_key=KEYS["vendor"],
    )
    return Responder(identity, lambda id_number, name: None, **kw)


def _header(**overrides: str) -> dict[str, str]:
    return {
        "orgCode": "ORG1",
        "chnlId": "c",
        "transNo": "T1",
        "transDate": "2026-11-29 10:00:00",
        "authCode": "CRT1",
        "authDate": "2026-01-01 00:00:00",
        **overrides,
    }


def _record(**overrides: str) -> dict[str, str]:
    return {
        "idNo": tiny_id_number(1),
        "idType": "0",
        "name": "张三",
        "reasonNo": "01",
        "seqNo": "1",
        **overrides,
    }


def _body(
    header: dict[str, str] | None = None, records: list[Any] | None = None, **kw: Any
) -> bytes:
    return envelope.request_envelope(
        header or _header(),
        {"batchNo": "B1", "records": [_record()] if records is None else records},
        check_code=kw.get("check_code", CHECK),
        private_key=kw.get("key", KEYS["client"]),
        user_name=kw.get("user", "u"),
        password_sha1=crypto.password_digest(kw.get("password", "pw")),
    )


def _rt_code(
    responder: Responder, body: bytes, path: str = PATH, content_type: str = "application/json"
) -> str:
    answer = responder.respond(path, content_type, body)
    return str(json.loads(answer.body)["header"]["rtCode"])


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: _body(), "E000000"),
        (lambda: _body(password="wrong"), "E000010"),
        (lambda: _body(user="someone"), "E000009"),
        (lambda: _body(key=KEYS["vendor"]), "E000013"),
        (lambda: _body(check_code="x" * 24), "E000032"),
        (lambda: _body(_header(orgCode="ORG2")), "E000037"),
        (lambda: _body(_header(chnlId="")), "E000023"),
        (lambda: _body(_header(transNo="T" * 25)), "E000103"),
        (lambda: _body(_header(authCode="A" * 17)), "E000104"),
        (lambda: _body(_header(transDate="29/11/2026")), "E000100"),
        (lambda: _body(records=[]), "E000043"),
        (lambda: _body(records=[_record(), _record()]), "E000991"),
        (lambda: _body(records=[_record(entityAuthCode="A" * 33)]), "E000106"),
        (lambda: b"", "E000006"),
        (lambda: b"{}", "E000068"),
    ],
)
def test_request_checks(make: Callable[[], bytes], code: str) -> None:
    assert _rt_code(_responder(), make()) == code


def test_unknown_path_and_content_type() -> None:
    responder = _responder()
    assert _rt_code(responder, _body(), path="/do/dmz/query/x/v1/MSC9999") == "E000998"
    assert _rt_code(responder, _body(), content_type="text/plain") == "E000005"


def test_trans_no_reuse_and_daily_limit_are_real() -> None:
    responder = _responder(daily_limit=2)
    assert _rt_code(responder, _body()) == "E000000"
    assert _rt_code(responder, _body()) == "E000107"
    assert _rt_code(responder, _body(_header(transNo="T2"))) == "E000000"
    assert _rt_code(responder, _body(_header(transNo="T3"))) == "E900006"


def test_answers_are_signed_and_echo_the_header() -> None:
    answer = _responder().respond(PATH, "application/json", _body())
    doc = json.loads(answer.body)
    crypto.verify(
        doc["busiData"], doc["securityInfo"]["signatureValue"], KEYS["vendor"].public_key()
    )
    records = json.loads(crypto.decrypt_busi_data(doc["busiData"], CHECK))["records"]
    assert (doc["header"]["transNo"], records[0]["erCode"], records[0]["seqNo"]) == (
        "T1",
        "E000996",
        "1",
    )


def test_bad_id_number_is_a_record_error() -> None:
    bad = tiny_id_number(1)[:-1] + ("1" if tiny_id_number(1)[-1] != "1" else "2")
    answer = _responder().respond(PATH, "application/json", _body(records=[_record(idNo=bad)]))
    doc = json.loads(answer.body)
    records = json.loads(crypto.decrypt_busi_data(doc["busiData"], CHECK))["records"]
    assert records[0]["erCode"] == "E000112"


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="scenario must be one of"):
        _responder().set_scenario("fast")


def test_missing_province_is_a_coded_error(tmp_path: Path) -> None:
    with pytest.raises(QianhaiConfigError, match=r"households\.parquet"):
        QianhaiSimulator(tmp_path)


@pytest.mark.integration
def test_client_in_another_process_configured_from_client_env(
    tmp_path: Path, nongxin_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = write_tiny_province(tmp_path / "p")
    person = people["H00000004"]
    with QianhaiSimulator(tmp_path / "p", client_dir=tmp_path / "client"):
        for line in (tmp_path / "client" / "client.env").read_text().splitlines():
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
        engine = create_engine()
        ConsentRegistry(engine).record(
            bank_code="301", subject_id=person["id_number"], bureau="qianhai", reason="03",
            signed_on=dt.date(2026, 1, 2), valid_until=dt.date(2099, 1, 1),
            document_sha256="ef" * 32, recorded_by="clerk01",
        )  # fmt: skip
        with QianhaiClient.from_env(engine=engine) as client:
            result = client.query(
                "8005", Subject(id_number=person["id_number"], name=person["name"]),
                bank_code="301", reason="03", business_ref="post-loan-1", operator="clerk01",
            )  # fmt: skip
        engine.dispose()
    assert isinstance(result, CredooScore)
    assert (result.outcome, result.credoo_score) == ("hit", 540.0)


@pytest.mark.integration
def test_http_server_lifecycle_and_client_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_province(tmp_path / "p")
    sim = QianhaiSimulator(tmp_path / "p", port=0)
    with sim:
        url = sim.base_url
        assert url.startswith("http://127.0.0.1:")
        get = httpx.get(url + PATH, timeout=10)
        assert get.status_code == 405
        env = sim.write_client_files(tmp_path / "keys")
        assert oct(os.stat(env["NONGXIN_QIANHAI_CHECK_CODE_FILE"]).st_mode & 0o777) == "0o600"
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        settings = QianhaiSettings()
        assert (settings.base_url, settings.timeouts().read) == (url, 10.0)
        credentials = settings.credentials()
        assert credentials.password_sha1 == sim.client_credentials().password_sha1
        assert "hidden" in repr(credentials)
    with pytest.raises(httpx.ConnectError, match=r"refused|failed"):
        httpx.get(url + PATH, timeout=1)


def test_settings_name_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NONGXIN_QIANHAI_"):
            monkeypatch.delenv(name)
    with pytest.raises(
        QianhaiConfigError, match="NONGXIN_QIANHAI_BASE_URL, NONGXIN_QIANHAI_ORG_CODE"
    ):
        QianhaiSettings().credentials()
    with pytest.raises(ValidationError, match="read_timeout"):
        QianhaiSettings(read_timeout=0)
    for name, value in {
        "BASE_URL": "http://127.0.0.1:1",
        "ORG_CODE": "o",
        "CHNL_ID": "c",
        "AUTH_CODE": "a",
        "AUTH_DATE": "2026-01-01 00:00:00",
        "USER_NAME": "u",
        "PRIVATE_KEY_FILE": str(tmp_path / "k.pem"),
        "VENDOR_CERT_FILE": str(tmp_path / "c.pem"),
        "CHECK_CODE_FILE": str(tmp_path / "absent.txt"),
    }.items():
        monkeypatch.setenv(f"NONGXIN_QIANHAI_{name}", value)
    with pytest.raises(
        QianhaiConfigError, match="Cannot read the file named by NONGXIN_QIANHAI_CHECK_CODE_FILE"
    ):
        QianhaiSettings().credentials()


def test_stop_after_a_bind_without_start_returns_at_once(tmp_path: Path) -> None:
    write_tiny_province(tmp_path / "p")
    sim = QianhaiSimulator(tmp_path / "p")
    sim._bind()  # bound, never served (what a failed start leaves behind)
    assert sim.base_url.startswith("http://127.0.0.1:")
    stopper = threading.Thread(target=sim.stop)
    stopper.start()
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    assert not sim.serving
    with pytest.raises(BureauError, match="Qianhai simulator is not started"):
        _ = sim.base_url
