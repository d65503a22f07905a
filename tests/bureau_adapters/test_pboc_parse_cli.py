"""``nongxin bureau parse|features|catalog`` through click's runner and the real entry point."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bureau_adapters.pboc import PersonalReport, parse_report
from bureau_adapters.pboc.features import FEATURE_NAMES, features_frame
from bureau_adapters.pboc.render import render_envelope, render_report
from scoring_service.cli import cli, main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_the_typed_report(pboc_fixtures: Path) -> None:
    code, out, _ = _run("bureau", "parse", str(pboc_fixtures / "personal_utf8_envelope.xml"))
    assert code == 0
    data = json.loads(out)
    assert (data["kind"], data["report_id"], data["report_date"]) == (
        "personal", "2017122117421145492455", "2017-12-21",
    )  # fmt: skip
    assert data["accounts"][0]["account_type"] == "R2"
    assert data["header"]["id_number"] == "440901197709194316"


def test_parse_can_mask_personal_data(pboc_fixtures: Path) -> None:
    code, out, _ = _run(
        "bureau", "parse", "--mask", str(pboc_fixtures / "personal_utf8_envelope.xml")
    )
    data = json.loads(out)
    assert code == 0
    assert data["header"]["id_number"] == "440901********4316"
    assert data["marriage"]["spouse_name"] == "b*"


def test_features_of_a_directory_as_json_lines_and_csv(pboc_fixtures: Path, tmp_path: Path) -> None:
    sample = parse_report((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())
    assert isinstance(sample, PersonalReport)
    for i in range(3):
        report = replace(sample, report_id=f"R{i}", warnings=())
        (tmp_path / f"H0000000{i}.xml").write_bytes(render_envelope(render_report(report)))
    code, out, _ = _run("bureau", "features", str(tmp_path), "--chunk", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [r["source"] for r in rows] == ["H00000000", "H00000001", "H00000002"]
    assert list(rows[0])[2:] == FEATURE_NAMES
    assert rows[2]["n_delinq_months_24m"] == 7
    assert rows[2]["inq_volatility_24m"] is None
    code, out, _ = _run("bureau", "features", "--csv", str(tmp_path), "--chunk", "2")
    table = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert len(table) == 3
    assert table[1]["report_id"] == "R1"
    assert table[1]["inq_volatility_24m"] == ""
    # the CSV (bytes → fast path) holds the typed path's values
    typed = features_frame([replace(sample, report_id=f"R{i}", warnings=()) for i in range(3)])
    expected = typed.reset_index().to_csv(index=False, lineterminator="\n")
    assert "".join(line.split(",", 1)[1] + "\n" for line in out.splitlines()) == expected


def test_catalog_formats() -> None:
    code, out, _ = _run("bureau", "catalog")
    assert code == 0
    assert "inq_loan_cnt_3m" in out
    assert "pboc-features/1" in out
    code, out, _ = _run("bureau", "catalog", "--format", "json", "--bureau", "pboc")
    assert [f["name"] for f in json.loads(out)["features"]] == FEATURE_NAMES
    code, out, _ = _run("bureau", "catalog", "--format", "markdown")
    assert "| `card_util` |" in out


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"<Document><Msg><ResultCode>AAA000</ResultCode><ReportMessage>@@</ReportMessage>"
         b"</Msg></Document>", "PBOC_BASE64"),
        (b'<!DOCTYPE d [<!ENTITY x "y">]><Document/>', "XML_ENTITY"),
    ],
    ids=["base64", "entity"],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, code: str
) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(SystemExit, match="2") as info:
        main(["bureau", "parse", str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error[{code}]: bad.xml: ")
    assert "\n" not in err


def test_features_refuse_an_enterprise_report(
    pboc_fixtures: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit, match="2") as info:
        main(["bureau", "features", str(pboc_fixtures / "enterprise_envelope.xml")])
    assert info.value.code == 2
    assert "error[PBOC_NOT_PERSONAL]: enterprise_envelope:" in capsys.readouterr().err
