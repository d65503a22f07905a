"""Typed settings for the bureau adapters (environment prefix ``NONGXIN_BUREAU_``).

Nothing is read at import time: call :meth:`BureauSettings.from_env` (or construct one) where
the settings are needed. Secrets are :class:`~pydantic.SecretStr` and come only from the
environment; they are never logged or echoed in ``repr``.

>>> settings = BureauSettings(pboc_read_timeout=12.0)
>>> settings.pboc_timeouts().read
12.0
>>> settings.reuse_window_for("301").days
30
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bureau_adapters.exceptions import BureauError
from bureau_adapters.transport import Timeouts

__all__ = ["BureauSettings", "default_home"]

_DEV_SUBJECT_KEY = "nongxin-development-subject-key-not-for-production"


_warned: list[bool] = []


def _warn_development_key() -> None:
    """Say once per process that subject keys use the public development key."""
    if not _warned:
        _warned.append(True)
        logging.getLogger(__name__).warning(
            "NONGXIN_BUREAU_SUBJECT_HASH_KEY is not set: subject keys at rest use the public "
            "development key; set a secret key in production."
        )


def default_home() -> Path:
    """``NONGXIN_HOME`` from the environment, else ``./.nongxin`` (same rule as the CLI)."""
    return Path(os.environ.get("NONGXIN_HOME", ".nongxin"))


class BureauSettings(BaseSettings):
    """Endpoints, timeouts, reuse windows and secrets of the bureau adapters."""

    model_config = SettingsConfigDict(env_prefix="NONGXIN_BUREAU_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL for consents, audit log and report store; "
        "default: the NONGXIN_DATABASE_URL, else SQLite under NONGXIN_HOME.",
    )
    pboc_endpoint: str = Field(
        default="http://127.0.0.1:8730/pboc/SingleQuery",
        description="SOAP endpoint of the bank's PBOC query front-end (征信前置).",
    )
    ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of the CAs trusted for HTTPS to the bureaus (PBOC front-end; "
        "Qianhai unless NONGXIN_QIANHAI_CA_BUNDLE is set); default: the standard trust store.",
    )
    pboc_connect_timeout: float = Field(default=3.0, gt=0, description="Seconds.")
    pboc_read_timeout: float = Field(default=20.0, gt=0, description="Seconds.")
    pboc_connect_retries: int = Field(
        default=1,
        ge=0,
        le=3,
        description="Extra attempts when the request provably never left (connect refused).",
    )
    pboc_originate_org_code: str = Field(
        default="B0000000000001",
        min_length=14,
        max_length=14,
        description="14-character originating institution code sent with every query.",
    )
    pboc_no_record_codes: tuple[str, ...] = Field(
        default=(),
        description="Result codes that the bank's front-end vendor uses for 'no credit "
        "record', mapped to the outcome no_record (e.g. NONGXIN_BUREAU_PBOC_NO_RECORD_CODES="
        "'[\"NRC001\"]'). Empty by default: the public sources (pboc-report.md §5.3) name "
        "no such code; the credit reference center answers a person without credit history "
        "with AAA000 and a thin-file report, and any unknown code stays the coded error "
        "PBOC_RESULT_UNKNOWN, never 'no risk'.",
    )
    reuse_window_days: float = Field(
        default=30.0,
        ge=0,
        description="Default report reuse window per bank; 0 disables reuse.",
    )
    reuse_window_days_by_bank: dict[str, float] = Field(
        default_factory=dict,
        description="Per-bank overrides, e.g. NONGXIN_BUREAU_REUSE_WINDOW_DAYS_BY_BANK='{\"301\": 7}'.",
    )
    subject_hash_key: SecretStr | None = Field(
        default=None,
        description="HMAC key for subject keys (hashed ID numbers). Must be set in production "
        "(the service and the bureau CLI refuse a non-SQLite database without it) and be the "
        "same for every worker; when unset, a SQLite database gets a random key of its own, "
        "kept beside it (see SubjectKeyer.for_engine).",
    )

    @field_validator("reuse_window_days_by_bank")
    @classmethod
    def _non_negative_windows(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(code for code, days in value.items() if days < 0)
        if bad:
            raise ValueError(f"reuse windows must be >= 0 days; negative for banks {bad}")
        return value

    @classmethod
    def from_env(cls) -> BureauSettings:
        """Settings read from the environment now."""
        return cls()

    def pboc_timeouts(self) -> Timeouts:
        """Connect and read timeouts of the PBOC front-end."""
        return Timeouts(connect=self.pboc_connect_timeout, read=self.pboc_read_timeout)

    def reuse_window_for(self, bank_code: str) -> dt.timedelta:
        """The report reuse window of ``bank_code``."""
        days = self.reuse_window_days_by_bank.get(bank_code, self.reuse_window_days)
        return dt.timedelta(days=days)

    def subject_key_bytes(self) -> bytes:
        """The HMAC key for subject keys (the development key when none is configured)."""
        if self.subject_hash_key is None:
            _warn_development_key()
            return _DEV_SUBJECT_KEY.encode()
        return self.subject_hash_key.get_secret_value().encode()

    def require_subject_key(self, database_url: str | None = None) -> None:
        """Refuse to run on a production database without a subject key.

        Any database other than SQLite (``database_url``, default
        :meth:`resolved_database_url`) is production: the public development HMAC key
        would let anyone with the tables enumerate ID numbers from their keys. Raises
        :class:`~bureau_adapters.exceptions.BureauError` ``SUBJECT_KEY_REQUIRED``.
        """
        import sqlalchemy as sa

        url = database_url or self.resolved_database_url()
        backend = sa.make_url(url).get_backend_name()
        if self.subject_hash_key is None and backend != "sqlite":
            raise BureauError(
                f"NONGXIN_BUREAU_SUBJECT_HASH_KEY must be set on a {backend} (production) "
                "database: subject keys at rest must not use the public development key.",
                code="SUBJECT_KEY_REQUIRED",
                field="subject_hash_key",
            )

    def resolved_database_url(self) -> str:
        """The database URL: this setting, ``NONGXIN_DATABASE_URL``, else SQLite in the home."""
        if self.database_url:
            return self.database_url
        shared = os.environ.get("NONGXIN_DATABASE_URL")
        if shared:
            return shared
        return f"sqlite:///{(default_home() / 'nongxin.db').resolve()}"
