"""Error trees, identity numbers, PII masking and the CLI shell."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bureau_adapters.exceptions import BureauError, MalformedReportError, UnsafeXMLError
from bureau_adapters.identity import check_digit, is_valid_resident_id, validate_resident_id
from bureau_adapters.pii import (
    PiiMaskingFilter,
    install_log_masking,
    mask_id,
    mask_name,
    mask_phone,
    mask_text,
)
from credit_limit.exceptions import PolicyError, PolicyValidationError
from model_registry.exceptions import PromotionRefused, RegistryError
from rating_models.exceptions import (
    InvalidParameterError,
    NongxinError,
    NotFittedError,
    RatingModelsError,
)
from scoring_service.cli import cli, main
from scoring_service.exceptions import ServiceError


@pytest.mark.parametrize(
    ("exc", "root", "code"),
    [
        (InvalidParameterError("x", field="pdo"), RatingModelsError, "RM_PARAM"),
        (NotFittedError("x"), RatingModelsError, "RM_NOT_FITTED"),
        (UnsafeXMLError("x"), MalformedReportError, "XML_UNSAFE"),
        (PolicyValidationError("x", violations=["a", "b"]), PolicyError, "POLICY_INVALID"),
        (PromotionRefused("x", failed_checks=["auc"]), RegistryError, "PROMOTION_REFUSED"),
    ],
)
def test_errors_have_root_and_stable_code(exc: Exception, root: type, code: str) -> None:
    assert isinstance(exc, root)
    assert exc.code == code  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "root", [RatingModelsError, BureauError, PolicyError, RegistryError, ServiceError]
)
def test_every_package_root_is_a_nongxin_error(root: type[NongxinError]) -> None:
    exc = root("why", field="f")
    assert isinstance(exc, NongxinError)
    assert (exc.code, exc.fields, str(exc)) == (root.default_code, {"field": "f"}, "why")
    assert root.default_code != NongxinError.default_code


def test_cli_prints_any_coded_error_with_its_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(**_: object) -> None:
        raise PolicyValidationError("bank 399 breaks a red line", code="POLICY_INVALID")

    monkeypatch.setattr(cli, "main", refuse)
    with pytest.raises(SystemExit, match="2") as info:
        main([])
    assert info.value.code == 2
    assert capsys.readouterr().err == "error[POLICY_INVALID]: bank 399 breaks a red line\n"


def test_error_fields_and_explicit_code() -> None:
    exc = BureauError("bad field", code="PBOC_X", field="PD01AD01")
    assert (exc.code, exc.fields, str(exc)) == ("PBOC_X", {"field": "PD01AD01"}, "bad field")


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("34052419800101001", "X")],
)
def test_check_digit_hand_computed(first17: str, expected: str) -> None:
    # 11010519491231002: weighted sum 167, 167 % 11 = 2 -> 'X' (table 1 0 X 9 8 7 6 5 4 3 2)
    assert check_digit(first17) == expected


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_exactly_one_check_char_is_valid(first17: str) -> None:
    valid = [c for c in "0123456789X" if check_digit(first17) == c]
    assert len(valid) == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1101051949123100", "must be 17 digits"),
        ("110105194913310028", "not a valid date"),
        ("110105194912310021", "check digit"),
    ],
)
def test_invalid_ids_say_why(value: str, reason: str) -> None:
    assert reason in (validate_resident_id(value) or "")
    assert not is_valid_resident_id(value)


def test_masking() -> None:
    assert mask_id("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("李四") == "李*"
    assert "19491231" not in mask_text("id=11010519491231002X")


@pytest.mark.parametrize(
    ("raw", "secret", "masked"),
    [
        ("ID11010519491231002X", "19491231", "ID110105********002X"),
        ("old id 110105491231002 end", "491231", "old id 110105******002 end"),
        ("tel +8613812345678", "1234", "tel +86138****5678"),
        ("tel 86-138-1234-5678", "1234", "tel 86-138****5678"),
        ("tel 138 1234 5678.", "1234", "tel 138****5678."),
    ],
)
def test_mask_text_finds_common_formats(raw: str, secret: str, masked: str) -> None:
    assert mask_text(raw) == masked
    assert secret not in mask_text(raw)


def test_mask_text_leaves_longer_numbers_alone() -> None:
    # a 22-digit report number is neither an ID nor a phone
    assert mask_text("report 2026063012345678901234") == "report 2026063012345678901234"


def test_log_filter_masks_ids(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("nongxin.test")
    caplog.handler.addFilter(PiiMaskingFilter())
    with caplog.at_level(logging.INFO, logger="nongxin.test"):
        logger.info("query for %s tel %s", "11010519491231002X", "13812345678")
    assert "11010519491231002X" not in caplog.text
    assert "13812345678" not in caplog.text
    assert "110105********002X" in caplog.text


@pytest.fixture
def masked_process() -> Iterator[None]:
    """``install_log_masking()`` for one test; the record factory is restored after it."""
    before = logging.getLogRecordFactory()
    install_log_masking()
    install_log_masking()  # idempotent: one masking layer, not two
    yield
    logging.setLogRecordFactory(before)


def test_masking_reaches_handlers_it_was_never_attached_to(masked_process: None) -> None:
    # a server's own logger and handler (uvicorn's), made after install_log_masking()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("nongxin.test.server")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("bad applicant 11010519491231002X tel 13812345678")
        except ValueError:
            logger.exception("rating failed for %s", "11010519491231002X")
        logger.warning("client %s %s", "127.0.0.1:5000", "GET /v1/decisions/abc")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "11010519491231002X" not in text
    assert "13812345678" not in text
    assert "rating failed for 110105********002X" in text
    assert "ValueError: bad applicant 110105********002X tel 138****5678" in text  # traceback
    assert "client 127.0.0.1:5000 GET /v1/decisions/abc" in text


def test_masked_records_keep_their_arguments(masked_process: None) -> None:
    # formatters that read record.args (uvicorn's access log) still find them, masked
    record = logging.getLogger("nongxin.test").makeRecord(
        "nongxin.test", logging.INFO, __file__, 1, "%s - %s %d", ("13812345678", "GET /", 200), None
    )
    assert record.args == ("138****5678", "GET /", 200)
    assert record.getMessage() == "138****5678 - GET / 200"


def test_a_malformed_logging_call_still_does_not_raise(masked_process: None) -> None:
    # masking happens when the record is made, inside the caller's logging call: a call
    # whose arguments do not fit its format must not raise there (handlers report it)
    record = logging.getLogger("nongxin.test").makeRecord(
        "nongxin.test", logging.INFO, __file__, 1, "%s and %s", ("13812345678",), None
    )
    assert record.args == ("138****5678",)


def test_every_server_worker_masks_its_logs(tmp_path: Path) -> None:
    # each worker of `nongxin serve --workers N` builds its own app: building it installs
    # the masking in that process (the services are built later, at start-up)
    from scoring_service.api import create_app
    from scoring_service.settings import NongxinSettings

    before = logging.getLogRecordFactory()
    logging.setLogRecordFactory(logging.LogRecord)  # a fresh process: nothing masks yet
    try:
        create_app(NongxinSettings(home=tmp_path))
        record = logging.getLogger("uvicorn.error").makeRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "for %s", ("11010519491231002X",), None
        )
    finally:
        logging.setLogRecordFactory(before)
    assert record.getMessage() == "for 110105********002X"


def test_cli_help_lists_every_available_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Usage: cli" in result.output or "Usage: nongxin" in result.output
    for name in cli.list_commands(click.Context(cli)):
        assert name in result.output
        sub = CliRunner().invoke(cli, [name, "--help"])
        assert sub.exit_code == 0, sub.output


def test_cli_unknown_option_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from scoring_service.cli import main; main()", "--no-such-option"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no-such-option" in proc.stderr
