"""Settings of the registry: where the embedded MLflow store lives, how often serving re-checks.

Read from the environment when :func:`get_registry_settings` is called, never at import time.
``NONGXIN_HOME`` and ``NONGXIN_CONFIG_DIR`` are the same variables the rest of nongxin reads;
``MLFLOW_TRACKING_URI``, when set, points the registry at an ``mlflow server`` (or any MLflow
store) instead of the embedded SQLite store ``<NONGXIN_HOME>/mlflow/mlflow.db`` with artifacts
under ``<NONGXIN_HOME>/mlflow/artifacts``.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["RegistrySettings", "get_registry_settings"]


class RegistrySettings(BaseSettings):
    """Registry settings (environment prefix ``NONGXIN_``)."""

    model_config = SettingsConfigDict(env_prefix="NONGXIN_", extra="ignore")

    home: Path = Field(default=Path(".nongxin"), description="Folder for embedded state.")
    config_dir: Path = Field(
        default=Path("config"), description="Folder with federation.yaml and banks/<code>.yaml."
    )
    model_name: str = Field(
        default="farmer-rating", description="Registered model name used when none is given."
    )
    registry_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often a serving loader re-resolves the champion alias.",
    )

    @property
    def mlflow_dir(self) -> Path:
        """``<home>/mlflow``: the embedded store and its artifacts."""
        return self.home.resolve() / "mlflow"

    def tracking_uri(self) -> str:
        """``MLFLOW_TRACKING_URI`` if set, else the embedded SQLite store under ``home``."""
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            return uri
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    def artifact_root(self) -> str | None:
        """Artifact root for new experiments: local under ``home`` when embedded, else the
        server's default (``None``)."""
        if os.environ.get("MLFLOW_TRACKING_URI"):
            return None
        return (self.mlflow_dir / "artifacts").as_uri()


def get_registry_settings() -> RegistrySettings:
    """Fresh settings from the environment."""
    return RegistrySettings()
