"""Production refuses the public development subject key (``SUBJECT_KEY_REQUIRED``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bureau_adapters.exceptions import BureauError
from bureau_adapters.settings import BureauSettings
from scoring_service.api.services import Services
from scoring_service.settings import NongxinSettings

PG = "postgresql+psycopg://nongxin@db.invalid:5432/prod"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NONGXIN_BUREAU_SUBJECT_HASH_KEY", raising=False)


def test_a_production_database_needs_a_subject_key() -> None:
    with pytest.raises(BureauError, match="SUBJECT_HASH_KEY must be set on a postgresql") as info:
        BureauSettings().require_subject_key(PG)
    assert (info.value.code, info.value.fields["field"]) == (
        "SUBJECT_KEY_REQUIRED",
        "subject_hash_key",
    )
    BureauSettings(subject_hash_key=SecretStr("s3cret")).require_subject_key(PG)  # set: runs
    BureauSettings().require_subject_key("sqlite:///dev.db")  # development: runs


def test_the_service_refuses_to_start_without_one(tmp_path: Path) -> None:
    settings = NongxinSettings(home=tmp_path, database_url=PG)
    with pytest.raises(BureauError, match="SUBJECT_HASH_KEY") as info:
        Services.from_settings(settings, registry=object())  # refused before connecting
    assert info.value.code == "SUBJECT_KEY_REQUIRED"


def test_the_bureau_cli_refuses_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring_service.cli.bureau_query import audit

    monkeypatch.setenv("NONGXIN_BUREAU_DATABASE_URL", PG)
    result = CliRunner().invoke(audit, ["--bank", "301"])
    assert result.exit_code != 0
    assert "SUBJECT_HASH_KEY must be set" in str(result.exception or result.output)
