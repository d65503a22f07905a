"""``nongxin bureau qianhai PRODUCT``: typed results printed, coded one-line errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bureau_adapters.compliance import ConsentRegistry
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.qianhai.testing import write_tiny_province
from scoring_service.cli import cli, main

pytestmark = pytest.mark.integration


@pytest.fixture
def province(tmp_path: Path, nongxin_home: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    people = write_tiny_province(tmp_path / "province")
    engine = create_engine()  # the NONGXIN_HOME database the CLI uses too
    ConsentRegistry(engine).record(
        bank_code="301",
        subject_id=people["H00000001"]["id_number"],
        bureau="qianhai",
        reason="01",
        signed_on=dt.date(2026, 1, 2),
        valid_until=dt.date(2099, 1, 1),
        document_sha256="cd" * 32,
        recorded_by="clerk01",
    )
    engine.dispose()
    return tmp_path / "province", people


def _args(province: tuple[Path, dict[str, dict[str, str]]], product: str, *extra: str) -> list[str]:
    person = province[1]["H00000001"]
    return [
        "bureau", "qianhai", product, "--id-number", person["id_number"], "--name", person["name"],
        "--bank", "301", "--reason", "01", "--mobile", person["phone"], "--simulate", str(province[0]),
        *extra,
    ]  # fmt: skip


def test_prints_the_typed_result(province: tuple[Path, dict[str, dict[str, str]]]) -> None:
    result = CliRunner().invoke(cli, _args(province, "8005"))
    assert result.exit_code == 0, result.output
    assert "MSC8005 好信度  outcome=hit" in result.output
    assert "credoo_score       612.0" in result.output
    assert "vir_asset_score    missing" in result.output
    assert province[1]["H00000001"]["id_number"] not in result.output


def test_features_are_printed(province: tuple[Path, dict[str, dict[str, str]]]) -> None:
    result = CliRunner().invoke(cli, _args(province, "8036", "--features"))
    assert result.exit_code == 0, result.output
    assert "qh_b1_dishonest              1" in result.output
    assert "qh_risk_a_months_since_last  " in result.output
    assert "qh_score" not in result.output  # only this product's features


def test_json_output_round_trips(province: tuple[Path, dict[str, dict[str, str]]]) -> None:
    result = CliRunner().invoke(cli, _args(province, "MSC8037", "--json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["product"], data["outcome"], len(data["lenders"])) == ("8037", "hit", 3)


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (("--scenario", "daily_limit"), "error[QH_E900006]: Qianhai rejected the message: E900006"),
        (("--consent-id", "0" * 36), "error[CONSENT_MISSING]"),
    ],
)
def test_errors_are_one_coded_line_and_exit_2(
    province: tuple[Path, dict[str, dict[str, str]]],
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    code: str,
) -> None:
    with pytest.raises(SystemExit, match="2"):
        main(_args(province, "8005", *extra))
    err = capsys.readouterr().err
    assert code in err
    assert province[1]["H00000001"]["id_number"] not in err


def test_unknown_product_is_a_usage_error(
    province: tuple[Path, dict[str, dict[str, str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit, match="2"):
        main(_args(province, "8004"))
    assert "error[QH_REQUEST]: The Qianhai product must be one of" in capsys.readouterr().err


def test_without_configuration_says_what_to_set(
    nongxin_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NONGXIN_QIANHAI_BASE_URL", raising=False)
    args = ["bureau", "qianhai", "8005", "--id-number", "430521198001010012", "--name", "张三"]
    with pytest.raises(SystemExit, match="2"):
        main([*args, "--bank", "301", "--reason", "01"])
    assert (
        "error[QH_CONFIG]: Qianhai is not configured: set NONGXIN_QIANHAI_BASE_URL"
        in capsys.readouterr().err
    )
