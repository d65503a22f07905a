"""The PBOC front-end simulator as a server, and the CLI commands around it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner

from bureau_adapters.compliance.consent import query_date
from bureau_adapters.exceptions import BureauError
from bureau_adapters.identity import check_digit
from bureau_adapters.pboc.simulator import SCENARIO_HEADER, SCENARIOS, PbocSimulator
from bureau_adapters.pboc.wsdl import NAMESPACE
from scoring_service.cli import bureau_query, cli, main

pytestmark = pytest.mark.integration

ID = "11010519491231002" + check_digit("11010519491231002")
OTHER = "43052419800101123" + check_digit("43052419800101123")


def _province(folder: Path) -> Path:
    (folder / "reports" / "pboc").mkdir(parents=True)
    pd.DataFrame({"household_id": ["H00000001"], "id_number": [ID]}).to_parquet(
        folder / "households.parquet"
    )
    report = (
        "<Document><PRH><PA01><PA01A><PA01AI01>2026060109300000000001</PA01AI01>"
        "<PA01AR01>2026-06-01T09:30:00</PA01AR01></PA01A><PA01B><PA01BQ01>张三</PA01BQ01>"
        f"<PA01BD01>10</PA01BD01><PA01BI01>{ID}</PA01BI01></PA01B></PA01></PRH></Document>"
    )
    envelope = (
        "B2.0.0HBF00000000011BH00000000000120260601093000D10220260601000000010000000000\n"
        "<Document><Msg><ResultCode>AAA000</ResultCode><ResultDesc>处理成功</ResultDesc>"
        f"<ReportName>r.xml</ReportName><ReportMessage>{base64.b64encode(report.encode()).decode()}"
        "</ReportMessage></Msg></Document>"
    )
    (folder / "reports" / "pboc" / "H00000001.xml").write_text(envelope, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _province(tmp_path_factory.mktemp("sim-province"))


def _soap(id_number: str, request_id: str = "r1") -> bytes:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<q:SingleQueryRequest xmlns:q="{NAMESPACE}"><q:requestId>{request_id}</q:requestId>'
        f"<q:querierCertno>{id_number}</q:querierCertno><q:queryReason>02</q:queryReason>"
        "<q:bussId>LN-1</q:bussId><q:queryUser>clerk01</q:queryUser>"
        "<q:authorized><q:authorNum>c-1</q:authorNum></q:authorized>"
        "</q:SingleQueryRequest></soap:Body></soap:Envelope>"
    ).encode()


def _post(sim: PbocSimulator, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        sim.endpoint, content=body, headers={"Content-Type": "text/xml", **headers}, timeout=5
    )


@pytest.fixture
def sim(province: Path) -> Iterator[PbocSimulator]:
    with PbocSimulator(province) as sim:
        yield sim


def test_serves_its_wsdl_with_its_own_address(sim: PbocSimulator) -> None:
    response = httpx.get(sim.endpoint + "?wsdl", timeout=5)
    assert response.status_code == 200
    assert f'location="{sim.endpoint}"' in response.text
    assert "SingleQueryRequest" in response.text
    assert httpx.get(sim.base_url + "/other", timeout=5).status_code == 404


def test_answers_the_household_report_with_the_header_line(sim: PbocSimulator) -> None:
    text = _post(sim, _soap(ID)).text
    assert "<q:ResultCode>AAA000</q:ResultCode>" in text
    assert "<q:requestId>r1</q:requestId>" in text
    assert "<q:HeaderLine>B2.0.0HBF" in text
    message = re.search(r"<q:ReportMessage>(.*?)</q:ReportMessage>", text, re.S)
    assert message is not None
    assert base64.b64decode(message.group(1)).startswith(b"<Document><PRH>")


def test_scenario_by_header_id_and_default(sim: PbocSimulator) -> None:
    sim.set_scenario("DBO002", id_number=OTHER)
    assert "AAA000" in _post(sim, _soap(ID)).text
    assert "DBO002" in _post(sim, _soap(OTHER)).text
    assert "DBE011" in _post(sim, _soap(ID), **{SCENARIO_HEADER: "DBE011"}).text
    sim.set_scenario("vendor_no_record")
    answer = _post(sim, _soap(ID)).text
    assert "<q:ResultCode>NRC001</q:ResultCode>" in answer
    assert "ReportMessage" not in answer
    assert [q.scenario for q in sim.queries] == ["hit", "DBO002", "DBE011", "vendor_no_record"]
    assert sim.queries[0].subject == "110105********002X"
    assert ID not in repr(sim.queries)
    assert OTHER not in repr(sim.queries)


def test_fault_and_bad_requests_are_soap_faults(sim: PbocSimulator) -> None:
    sim.set_scenario("fault")
    response = _post(sim, _soap(ID))
    assert response.status_code == 500
    assert "soap:Server" in response.text
    response = _post(sim, b"<not-soap/>")
    assert response.status_code == 500
    assert "SIMULATOR_BAD_REQUEST" in response.text
    response = _post(sim, b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
    assert response.status_code == 500
    assert "XML_" in response.text


def test_drop_closes_without_an_answer(sim: PbocSimulator) -> None:
    sim.set_scenario("drop")
    with pytest.raises(httpx.RemoteProtocolError, match="disconnected"):
        _post(sim, _soap(ID))


def test_bad_arguments_are_coded_errors(province: Path, tmp_path: Path) -> None:
    with pytest.raises(BureauError, match="scenario must be one of") as info:
        PbocSimulator(province, scenario="teapot")
    assert info.value.code == "SIMULATOR_SCENARIO"
    with pytest.raises(BureauError, match=r"No households\.parquet") as info:
        PbocSimulator(tmp_path)
    assert info.value.code == "SIMULATOR_PROVINCE"
    assert len(SCENARIOS) == 7 + 17 + 4


def test_stop_releases_the_port(province: Path) -> None:
    first = PbocSimulator(province)
    url = first.start()
    first.stop()
    port = int(url.rsplit(":", 1)[1])
    with PbocSimulator(province, port=port) as second:
        assert second.base_url == url
    with pytest.raises(BureauError, match="not started"):
        _ = second.base_url


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, ["bureau", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_consent_query_audit(
    province: Path, nongxin_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NONGXIN_BUREAU_SUBJECT_HASH_KEY", "cli-test-key")
    form = nongxin_home / "form.pdf"
    form.write_bytes(b"%PDF-1.4 signed form")
    today = query_date(None)
    consent_id = _invoke(
        "consent", "add", "--id-number", ID, "--bank", "301", "--reason", "02",
        "--signed", today.isoformat(), "--valid-until", (today + dt.timedelta(days=30)).isoformat(),
        "--document", str(form), "--operator", "clerk01",
    ).strip()  # fmt: skip
    args = [
        "--id-number",
        ID,
        "--name",
        "张三",
        "--bank",
        "301",
        "--reason",
        "02",
        "--operator",
        "clerk01",
    ]
    first = _invoke("query", *args, "--business-ref", "LN-1", "--simulate", str(province))
    assert first.startswith("report PBOC_AAA000 report_id=2026060109300000000001 fresh audit_id=1")
    second = json.loads(
        _invoke("query", *args, "--business-ref", "LN-2", "--simulate", str(province), "--json")
    )
    assert (second["source"], second["audit_id"], second["consent_id"]) == ("reused", 2, consent_id)
    rows = [json.loads(line) for line in _invoke("audit", "--bank", "301").splitlines()]
    assert [(r["business_ref"], r["source"]) for r in rows] == [
        ("LN-1", "fresh"),
        ("LN-2", "reused"),
    ]
    listed = [json.loads(line) for line in _invoke("consent", "list", "--bank", "301").splitlines()]
    assert [c["consent_id"] for c in listed] == [consent_id]
    assert _invoke("audit", "--bank", "302") == ""
    with PbocSimulator(province, scenario="vendor_no_record") as sim:
        with pytest.raises(BureauError, match="unknown result code 'NRC001'"):
            CliRunner().invoke(
                cli,
                [
                    "bureau",
                    "query",
                    *args,
                    "--business-ref",
                    "LN-3",
                    "--endpoint",
                    sim.endpoint,
                    "--fresh",
                ],
                catch_exceptions=False,
            )
        monkeypatch.setenv("NONGXIN_BUREAU_PBOC_NO_RECORD_CODES", '["NRC001"]')
        third = _invoke(
            "query", *args, "--business-ref", "LN-4", "--endpoint", sim.endpoint, "--fresh"
        )
    assert third.startswith("no_record PBOC_NO_RECORD report_id=- fresh audit_id=4")
    for output in (first, json.dumps(rows), json.dumps(listed)):
        assert ID not in output
    _invoke("consent", "revoke", consent_id, "--bank", "301", "--reason", "withdrawn")


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--bank", "301"], "error[CONSENT_MISSING]"),
        (["--bank", "301", "--id-number", "110105194912310021"], "error[SUBJECT_INVALID]"),
    ],
)
def test_cli_errors_are_one_line_with_status_2(
    province: Path,
    nongxin_home: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: str,
) -> None:
    args = ["bureau", "query", "--id-number", ID, "--name", "张三", "--reason", "02"]
    args += ["--operator", "clerk01", "--business-ref", "LN-1", "--simulate", str(province), *extra]
    with pytest.raises(SystemExit, match="2"):
        main(args)
    err = capsys.readouterr().err.strip()
    assert err.startswith(code)
    assert len(err.splitlines()) == 1
    assert "110105194912310021" not in err


def test_cli_qianhai_simulator_choice_is_listed() -> None:
    output = _invoke("simulator", "--help")
    assert "pboc|qianhai" in output


def _stderr_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """stderr lines of ``process``, read in a thread so the test can wait with a deadline."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=pump, name="stderr-pump", daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], pattern: str, timeout: float = 60.0) -> re.Match[str]:
    """The first stderr line matching ``pattern`` (generous deadline: loaded CI machines)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s: {''.join(seen)}")


def _terminate(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)  # as a service manager stops it; Ctrl-C is SIGINT
    try:
        return process.wait(timeout=60)  # generous: CI machines may be loaded
    except subprocess.TimeoutExpired:
        process.kill()  # never leave a server behind, even when the test fails
        process.wait()
        raise
    finally:
        for thread in threading.enumerate():  # the pump ends at EOF once the process is gone
            if thread.name == "stderr-pump":
                thread.join(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def test_cli_simulator_serves_until_terminated(province: Path, nongxin_home: Path) -> None:
    env = {**os.environ, "NONGXIN_HOME": str(nongxin_home)}
    command = [sys.executable, "-c", "from scoring_service.cli import main; main()"]
    command += ["bureau", "simulator", "--province", str(province), "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = _wait_for(_stderr_lines(process), r"on (http://127\.0\.0\.1:\d+)").group(1)
        assert httpx.get(url + "/pboc/SingleQuery?wsdl", timeout=5).status_code == 200
    finally:
        status = _terminate(process)
    assert status == 0


def test_cli_qianhai_simulator_writes_client_env_for_another_process(
    tmp_path: Path, nongxin_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bureau_adapters.compliance.consent import ConsentRegistry
    from bureau_adapters.compliance.db import create_engine
    from bureau_adapters.qianhai.client import QianhaiClient
    from bureau_adapters.qianhai.models import Subject as QianhaiSubject
    from bureau_adapters.qianhai.testing import write_tiny_province

    person = write_tiny_province(tmp_path / "p")["H00000004"]
    env = {**os.environ, "NONGXIN_HOME": str(nongxin_home)}
    command = [sys.executable, "-c", "from scoring_service.cli import main; main()"]
    command += ["bureau", "simulator", "--bureau", "qianhai", "--province", str(tmp_path / "p")]
    command += ["--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    try:
        found = _wait_for(_stderr_lines(process), r"qianhai client settings in (\S+)")
        env_file = Path(found.group(1))
        assert env_file == nongxin_home / "qianhai-simulator" / "client.env"
        assert oct(env_file.stat().st_mode & 0o777) == "0o600"
        for line in env_file.read_text("utf-8").splitlines():
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
        engine = create_engine(f"sqlite:///{tmp_path / 'client.db'}")
        ConsentRegistry(engine).record(
            bank_code="301", subject_id=person["id_number"], bureau="qianhai", reason="01",
            signed_on=dt.date(2026, 1, 2), valid_until=dt.date(2099, 1, 1),
            document_sha256="ef" * 32, recorded_by="clerk01",
        )  # fmt: skip
        with QianhaiClient.from_env(engine=engine) as client:
            result = client.query(
                "8005", QianhaiSubject(id_number=person["id_number"], name=person["name"]),
                bank_code="301", reason="01", business_ref="LN-1", operator="clerk01",
            )  # fmt: skip
        engine.dispose()
    finally:
        status = _terminate(process)
    assert (result.outcome, getattr(result, "credoo_score", None)) == ("hit", 540.0)
    assert status == 0


@pytest.mark.parametrize("bureau", ["pboc", "qianhai"])
def test_cli_simulator_starts_either_bureau(
    bureau: str,
    tmp_path: Path,
    province: Path,
    monkeypatch: pytest.MonkeyPatch,
    nongxin_home: Path,
) -> None:
    from bureau_adapters.qianhai.testing import write_tiny_province

    if bureau == "qianhai":
        write_tiny_province(tmp_path)
        province = tmp_path

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bureau_query, "_wait_forever", interrupted)
    result = CliRunner().invoke(
        cli, ["bureau", "simulator", "--bureau", bureau, "--province", str(province), "--port", "0"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(rf"{bureau} simulator on http://127\.0\.0\.1:\d+", result.output)
    assert f"{bureau} simulator stopped" in result.output


def test_serve_forever_in_the_foreground_stops_from_another_thread(province: Path) -> None:
    sim = PbocSimulator(province)
    thread = threading.Thread(target=sim.serve_forever)
    thread.start()
    try:
        deadline = time.monotonic() + 30  # generous: a loaded CI machine starts threads slowly
        while not sim.serving and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.serving
        assert httpx.get(sim.endpoint + "?wsdl", timeout=10).status_code == 200
    finally:
        sim.stop()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert not sim.serving
    with pytest.raises(BureauError, match="not started"):
        _ = sim.base_url
