"""Application settings: where nongxin keeps its files and finds its configuration.

Settings are read from the environment (prefix ``NONGXIN_``) when :func:`get_settings` is
called, never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NongxinSettings", "get_settings"]


class NongxinSettings(BaseSettings):
    """Top-level settings shared by the CLI, the service and the batch jobs."""

    model_config = SettingsConfigDict(env_prefix="NONGXIN_", extra="ignore")

    home: Path = Field(
        default=Path(".nongxin"),
        description="Folder for embedded state: SQLite databases, MLflow store, sandbox, reports.",
    )
    config_dir: Path = Field(
        default=Path("config"),
        description="Folder with federation.yaml, banks/<code>.yaml, expert_cards/, reason_codes.yaml.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL for decisions, consents, audit and reports; "
        "default: SQLite under `home`.",
    )

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<home>/nongxin.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'nongxin.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> NongxinSettings:
    """Settings from the environment, read once per process (tests call ``cache_clear``)."""
    return NongxinSettings()
