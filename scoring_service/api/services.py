"""The service's collaborators, built once per process from the settings.

Engine (decisions, consents, audit, reports, banks and keys share one database), the PBOC
client behind the compliance gate, one cached champion per bank (the registry serving cache)
and each bank's effective policy.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import create_engine, ensure_schema
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.settings import BureauSettings
from credit_limit import EffectivePolicy, load_policy
from model_registry.serving import ChampionLoader, LoadedModel
from model_registry.settings import get_registry_settings
from scoring_service.decisions import DecisionStore
from scoring_service.pipeline import BureauGateway
from scoring_service.settings import NongxinSettings
from scoring_service.tenancy import Tenancy

__all__ = ["Champions", "Policies", "Services"]


@dataclass
class Champions:
    """One :class:`ChampionLoader` per bank (its own champion, else the federation's)."""

    registry: Any
    name: str
    refresh_seconds: float = 30.0
    _loaders: dict[str, ChampionLoader] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def loader(self, bank_code: str) -> ChampionLoader:
        """The loader of ``bank_code`` (created on first use)."""
        with self._lock:
            found = self._loaders.get(bank_code)
            if found is None:
                found = self._loaders[bank_code] = ChampionLoader(
                    self.registry, self.name, bank=bank_code, refresh_seconds=self.refresh_seconds
                )
            return found

    def get(self, bank_code: str) -> LoadedModel:
        """The champion serving ``bank_code`` (cached; kept while the registry is down)."""
        return self.loader(bank_code).get()

    def load(self, name: str, version: int) -> LoadedModel:
        """A given version from the registry (for replay)."""
        return LoadedModel(name, version, "replay", self.registry.load(name, version))

    def health(self) -> list[dict[str, Any]]:
        """Health of every loader used so far."""
        with self._lock:
            loaders = list(self._loaders.values())
        return [loader.health() for loader in loaders]


@dataclass
class Policies:
    """Effective policies by bank, read once from the configuration folder."""

    config_dir: Path
    _cache: dict[str, EffectivePolicy] = field(default_factory=dict)

    def get(self, bank_code: str) -> EffectivePolicy:
        """The effective policy of ``bank_code``."""
        policy = self._cache.get(bank_code)
        if policy is None:
            policy = self._cache[bank_code] = load_policy(bank_code, self.config_dir)
        return policy


@dataclass
class Services:
    """Everything a request handler needs."""

    settings: NongxinSettings
    engine: Engine
    tenancy: Tenancy
    decisions: DecisionStore
    bureaus: BureauGateway
    champions: Champions
    policies: Policies

    @classmethod
    def from_settings(
        cls,
        settings: NongxinSettings,
        *,
        registry: Any | None = None,
        bureau_settings: BureauSettings | None = None,
    ) -> Services:
        """Build the services from settings (the registry from the environment by default)."""
        engine = create_engine(settings.resolved_database_url())
        return cls.build(settings, engine, registry=registry, bureau_settings=bureau_settings)

    @classmethod
    def build(
        cls,
        settings: NongxinSettings,
        engine: Engine,
        *,
        registry: Any | None = None,
        bureau_settings: BureauSettings | None = None,
        refresh_seconds: float | None = None,
    ) -> Services:
        """Build the services on ``engine`` (tests pass an isolated one)."""
        ensure_schema(engine)
        bureau = bureau_settings or BureauSettings.from_env()
        reg_settings = get_registry_settings()
        if registry is None:
            from model_registry.registry import ModelRegistry

            registry = ModelRegistry(settings=reg_settings)
        return cls(
            settings=settings,
            engine=engine,
            tenancy=Tenancy(engine),
            decisions=DecisionStore(engine),
            bureaus=BureauGateway(PbocClient(engine, settings=bureau)),
            champions=Champions(
                registry,
                reg_settings.model_name,
                refresh_seconds or reg_settings.registry_refresh_seconds,
            ),
            policies=Policies(settings.config_dir),
        )

    def database_ok(self) -> tuple[bool, str | None]:
        """Whether the database answers ``SELECT 1``."""
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError as exc:
            return False, type(exc).__name__
        return True, None

    def bureau_ok(self, timeout: float = 0.5) -> tuple[bool, str | None]:
        """Whether the PBOC front-end accepts a TCP connection."""
        parts = urlsplit(self.bureaus.pboc.endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=timeout):
                return True, None
        except OSError as exc:
            return False, type(exc).__name__

    def close(self) -> None:
        """Close pooled connections."""
        self.bureaus.pboc.close()
        self.engine.dispose()
