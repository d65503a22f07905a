"""The service's collaborators, built once per process from the settings.

Engine (decisions, consents, audit, reports, banks and keys share one database), the PBOC
and Qianhai clients behind one compliance gate (Qianhai when ``NONGXIN_QIANHAI_BASE_URL`` is
set, its products per bank from ``config/bureaus.yaml``), one cached champion per bank (the
registry serving cache) and each bank's effective policy.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import create_engine, ensure_schema
from bureau_adapters.compliance.gate import ComplianceGate
from bureau_adapters.pboc.client import PbocClient
from bureau_adapters.qianhai.client import QianhaiClient
from bureau_adapters.qianhai.plan import QianhaiPlan
from bureau_adapters.qianhai.settings import QianhaiSettings
from bureau_adapters.settings import BureauSettings
from credit_limit import EffectivePolicy, load_policy
from model_registry.serving import ChampionLoader, LoadedModel
from model_registry.settings import get_registry_settings
from scoring_service.decisions import DecisionStore
from scoring_service.pipeline import BureauGateway
from scoring_service.settings import NongxinSettings
from scoring_service.tenancy import Tenancy

__all__ = ["PING_IDLE_SECONDS", "Champions", "Policies", "Services", "serving_engine"]

_log = logging.getLogger(__name__)


#: A pooled connection unused for longer than this is pinged before it is handed out.
PING_IDLE_SECONDS = 5.0


def serving_engine(url: str, *, ping_idle_seconds: float = PING_IDLE_SECONDS) -> Engine:
    """The server's engine on ``url``: :func:`~bureau_adapters.compliance.db.create_engine`,
    except that a pooled connection is pinged only when it was idle for more than
    ``ping_idle_seconds`` (a database restarted or failed over while the server was quiet),
    instead of at every checkout: a rating checks a connection out twice (the gate's
    transaction, the decision commit), and each ping is one more round trip. A database
    lost while the server is busy fails the requests in flight either way (pinged or not),
    and SQLAlchemy then discards every connection of the pool opened before the failure.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":  # nothing to ping: a file
        return create_engine(url)
    engine = create_engine(url, pool_pre_ping=False)
    idle_since = "nongxin_idle_since"

    def checkin(dbapi_connection: Any, record: Any) -> None:
        record.info[idle_since] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(idle_since)
        if since is None or time.monotonic() - since <= ping_idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:  # the pool opens a new connection
            raise sa.exc.DisconnectionError(type(exc).__name__) from exc

    sa.event.listen(engine, "checkin", checkin)
    sa.event.listen(engine, "checkout", checkout)
    return engine


@dataclass
class Champions:
    """One :class:`ChampionLoader` per bank (its own champion, else the federation's).

    Without :meth:`start`, a request that finds its bank's champion due for a refresh asks
    the registry itself (the loader's default). After :meth:`start`, one daemon thread
    re-resolves every loader each ``refresh_seconds`` and requests only read the cache (the
    registry down: the cached champion keeps being served, ``/readyz`` says ``degraded``).
    """

    registry: Any
    name: str
    refresh_seconds: float = 30.0
    _loaders: dict[str, ChampionLoader] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def loader(self, bank_code: str) -> ChampionLoader:
        """The loader of ``bank_code`` (created on first use)."""
        with self._lock:
            found = self._loaders.get(bank_code)
            if found is None:
                found = self._loaders[bank_code] = ChampionLoader(
                    self.registry,
                    self.name,
                    bank=bank_code,
                    refresh_seconds=self.refresh_seconds,
                    background=self._thread is not None,
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
        return [loader.health() for loader in self._all()]

    def _all(self) -> list[ChampionLoader]:
        with self._lock:
            return list(self._loaders.values())

    def start(self, banks: Sequence[str] = ()) -> None:
        """Refresh in a daemon thread from now on: first load the champions of ``banks`` (so
        no first request waits for the registry), then re-resolve every loader each
        ``refresh_seconds``. Does nothing when already started."""
        with self._lock:
            if self._thread is not None:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run,
                args=(self._stop, tuple(banks)),
                name="nongxin-champion-refresh",
                daemon=True,
            )
            for loader in self._loaders.values():
                loader.background = True
            thread = self._thread
        thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread (requests refresh for themselves again)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            for loader in self._loaders.values():
                loader.background = False
        if thread is not None:
            thread.join(timeout)

    def refresh(self) -> None:
        """Re-resolve the champion of every bank served so far, now (the background thread's
        step; a registry failure keeps each cached champion and shows in :meth:`health`)."""
        for loader in self._all():
            try:
                loader.refresh()
            except Exception as exc:  # the thread must outlive any one failure
                _log.warning(
                    "champion refresh of bank %s failed: %s", loader.bank, type(exc).__name__
                )

    def _run(self, stop: threading.Event, banks: tuple[str, ...]) -> None:
        for bank in banks:
            if stop.is_set():
                return
            try:
                self.loader(bank).get()
            except Exception as exc:  # no champion yet: /readyz reports it, requests get 503
                _log.warning(
                    "champion of bank %s not loaded at start: %s", bank, type(exc).__name__
                )
        while not stop.wait(self.refresh_seconds):
            self.refresh()


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
        qianhai: QianhaiClient | Callable[[ComplianceGate], QianhaiClient] | None = None,
    ) -> Services:
        """Build the services from settings (the registry from the environment by default).

        Refuses a non-SQLite (production) database without a subject HMAC key
        (``SUBJECT_KEY_REQUIRED``).
        """
        url = settings.resolved_database_url()
        (bureau_settings or BureauSettings.from_env()).require_subject_key(url)
        engine = serving_engine(url)
        return cls.build(
            settings,
            engine,
            registry=registry,
            bureau_settings=bureau_settings,
            qianhai=qianhai,
        )

    @classmethod
    def build(
        cls,
        settings: NongxinSettings,
        engine: Engine,
        *,
        registry: Any | None = None,
        bureau_settings: BureauSettings | None = None,
        refresh_seconds: float | None = None,
        qianhai: QianhaiClient | Callable[[ComplianceGate], QianhaiClient] | None = None,
    ) -> Services:
        """Build the services on ``engine`` (tests pass an isolated one).

        ``qianhai`` is a client, or a function building one on the PBOC client's gate (e.g.
        ``simulator.client``); by default one from ``NONGXIN_QIANHAI_*`` when
        ``NONGXIN_QIANHAI_BASE_URL`` is set, else none (a bank whose plan names Qianhai
        products then gets ``QH_NOT_CONFIGURED``).
        """
        ensure_schema(engine)
        bureau = bureau_settings or BureauSettings.from_env()
        reg_settings = get_registry_settings()
        if registry is None:
            from model_registry.registry import ModelRegistry

            registry = ModelRegistry(settings=reg_settings)
        champions = Champions(
            registry,
            reg_settings.model_name,
            refresh_seconds or reg_settings.registry_refresh_seconds,
        )
        pboc = PbocClient(engine, settings=bureau)
        # each rating commits its decision durably right after its bureau stage, which also
        # flushes a reuse's audit row: that commit need not wait (docs/bureaus.md)
        pboc.gate.relaxed_reuse_audit = True
        if callable(qianhai) and not isinstance(qianhai, QianhaiClient):
            qianhai = qianhai(pboc.gate)
        elif qianhai is None and QianhaiSettings().base_url:
            qianhai = QianhaiClient.from_env(gate=pboc.gate)

        def model_columns(bank_code: str) -> Sequence[str]:
            # the champion's own list, not a copy: the plan only reads it (twice a rating)
            return champions.get(bank_code).model.input_columns

        return cls(
            settings=settings,
            engine=engine,
            tenancy=Tenancy(engine),
            decisions=DecisionStore(engine),
            bureaus=BureauGateway(
                pboc,
                qianhai=qianhai,
                plan=QianhaiPlan.load(settings.config_dir),
                model_columns=model_columns,
            ),
            champions=champions,
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

    def bureau_names(self) -> list[str]:
        """The configured bureaus: ``pboc``, then ``qianhai`` when a Qianhai client exists."""
        return ["pboc", *(["qianhai"] if self.bureaus.qianhai is not None else [])]

    def bureaus_health(self, timeout: float = 0.5) -> dict[str, dict[str, Any]]:
        """Per bureau: whether its endpoint accepts a TCP connection (Qianhai when configured)."""
        out = {"pboc": _reachable(self.bureaus.pboc.endpoint, timeout)}
        if self.bureaus.qianhai is not None:
            out["qianhai"] = _reachable(self.bureaus.qianhai.endpoint, timeout)
        return out

    def bureau_ok(self, timeout: float = 0.5) -> tuple[bool, str | None]:
        """Whether every configured bureau endpoint (PBOC, Qianhai) accepts a TCP connection;
        the error names the failing bureau (``qianhai: ConnectionRefusedError``)."""
        failed = [
            f"{name}: {check['error']}"
            for name, check in self.bureaus_health(timeout).items()
            if not check["ok"]
        ]
        return (not failed), ("; ".join(failed) or None)

    def start(self) -> None:
        """Start the background work of a serving process: the champion refresh (the
        champions of the registered banks loaded first)."""
        self.champions.start([bank.bank_code for bank in self.tenancy.banks()])

    def close(self) -> None:
        """Stop the background work, close pooled connections."""
        self.champions.stop()
        self.bureaus.pboc.close()
        if self.bureaus.qianhai is not None:
            self.bureaus.qianhai.close()
        self.engine.dispose()


def _reachable(endpoint: str, timeout: float) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return {"ok": True, "error": None}
    except OSError as exc:
        return {"ok": False, "error": type(exc).__name__}
