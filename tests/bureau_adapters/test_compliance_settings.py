"""Production refuses the public development subject key (``SUBJECT_KEY_REQUIRED``); SQLite
gets a random key of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from bureau_adapters.compliance.db import create_engine
from bureau_adapters.compliance.subject import KEY_FILE_SUFFIX, SubjectKeyer
from bureau_adapters.exceptions import BureauError
from bureau_adapters.settings import BureauSettings
from scoring_service.api.services import Services
from scoring_service.settings import NongxinSettings

PG = "postgresql+psycopg://nongxin@db.invalid:5432/prod"
ID = "11010519491231002X"


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


def _keyer_in_process(db: Path) -> str:
    code = (
        "import sys; from bureau_adapters.compliance.db import create_engine;"
        "from bureau_adapters.compliance.subject import SubjectKeyer;"
        "print(SubjectKeyer.for_engine(create_engine(sys.argv[1])).key('11010519491231002X'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, f"sqlite:///{db}"], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_sqlite_gets_a_random_key_of_its_own_kept_beside_it(tmp_path: Path) -> None:
    db = tmp_path / "nongxin.db"
    keyer = SubjectKeyer.for_engine(create_engine(f"sqlite:///{db}"))
    key_file = tmp_path / ("nongxin.db" + KEY_FILE_SUFFIX)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) == 64
    development = SubjectKeyer.from_settings(BureauSettings())
    assert keyer.key(ID) != development.key(ID)  # not the key published in the repository
    # another process on the same database finds the same subjects
    assert _keyer_in_process(db) == keyer.key(ID)
    other = tmp_path / "other.db"
    assert _keyer_in_process(other) != keyer.key(ID)  # every database its own key


def test_a_configured_key_wins_and_memory_gets_a_process_key(tmp_path: Path) -> None:
    settings = BureauSettings(subject_hash_key=SecretStr("s3cret"))
    db = tmp_path / "x.db"
    keyer = SubjectKeyer.for_engine(create_engine(f"sqlite:///{db}"), settings)
    assert keyer.key(ID) == SubjectKeyer(b"s3cret").key(ID)
    assert not (tmp_path / ("x.db" + KEY_FILE_SUFFIX)).exists()
    memory = SubjectKeyer.for_engine(create_engine("sqlite://"))
    assert memory.key(ID) == SubjectKeyer.for_engine(create_engine("sqlite://")).key(ID)
    assert memory.key(ID) != SubjectKeyer.from_settings(BureauSettings()).key(ID)


def test_a_damaged_key_file_is_a_coded_error(tmp_path: Path) -> None:
    (tmp_path / ("x.db" + KEY_FILE_SUFFIX)).write_text("short\n")
    with pytest.raises(BureauError, match="not 64 hex characters") as info:
        SubjectKeyer.for_engine(create_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    assert info.value.code == "SUBJECT_KEY_FILE"
