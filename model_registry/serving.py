"""The serving cache: the champion for every request without asking the registry every time.

:class:`ChampionLoader` resolves the alias (the bank's ``champion-301``, else ``champion``) at
most once per ``refresh_seconds``, keeps loaded models by version, and switches to a new
champion at the first refresh after the alias moved. When the registry cannot be reached it
keeps serving the version it has and :meth:`ChampionLoader.health` says so (for ``/readyz``).
By default the refresh runs in the :meth:`~ChampionLoader.get` call that finds it due; a
server passes ``background=True`` and calls :meth:`~ChampionLoader.refresh` from its own
thread, so no request ever waits for the registry once a model is loaded.
MLflow's HTTP client retries with back-off for minutes by default; a serving process should
set ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` and ``MLFLOW_HTTP_REQUEST_TIMEOUT`` low (requests
keep being served from the cache while a refresh waits, but the refresh itself holds on).
A decision should record :attr:`LoadedModel.name`, :attr:`LoadedModel.version` and
:attr:`LoadedModel.content_hash`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import pandas as pd

from model_registry.bundle import RatingModel
from model_registry.exceptions import RegistryError, RegistryUnavailable

__all__ = ["ChampionLoader", "LoadedModel"]


class _Registry(Protocol):
    def resolve_for_bank(self, name: str, role: str, bank: str | None) -> Any: ...

    def load(self, name: str, version: int) -> RatingModel: ...


@dataclass(frozen=True)
class LoadedModel:
    """A loaded version: what to stamp on a decision, and the model."""

    name: str
    version: int
    alias: str
    model: RatingModel

    @property
    def content_hash(self) -> str:
        """Content hash of the model's JSON."""
        return self.model.content_hash

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model's rating of every row."""
        return self.model.predict(frame)

    def predict_columns(self, frame: pd.DataFrame) -> dict[str, Any]:
        """The model's rating of every row as named arrays (see
        :meth:`RatingModel.predict_columns`)."""
        return self.model.predict_columns(frame)


class ChampionLoader:
    """Cached champion of one registered model for one bank (or the federation).

    Parameters
    ----------
    registry : ModelRegistry
        Where to resolve and load versions.
    name : str
        Registered model name.
    bank : str, optional
        Bank code: its own champion if it has one, else the federation's.
    refresh_seconds : float
        Least time between two alias resolutions (default 30).
    clock : callable
        Monotonic seconds (tests pass a fake clock).
    background : bool
        When True, :meth:`get` only loads the first model and never re-resolves: the owner
        calls :meth:`refresh` every ``refresh_seconds`` from a thread of its own.
    """

    def __init__(
        self,
        registry: _Registry,
        name: str,
        *,
        bank: str | None = None,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        background: bool = False,
    ) -> None:
        if refresh_seconds <= 0:
            raise RegistryError(f"'refresh_seconds' must be > 0. Got {refresh_seconds!r}.")
        self.registry = registry
        self.name = name
        self.bank = bank
        self.refresh_seconds = float(refresh_seconds)
        self._clock = clock
        self.background = background
        self._lock = threading.Lock()  # guards the fields below
        self._refreshing = threading.Lock()  # held by the one caller refreshing
        self._cache: dict[int, LoadedModel] = {}
        self._current: LoadedModel | None = None
        self._checked_at: float | None = None
        self._last_ok: str | None = None
        self._last_error: str | None = None

    @classmethod
    def from_settings(cls, registry: Any, *, bank: str | None = None) -> ChampionLoader:
        """A loader of ``NONGXIN_MODEL_NAME`` refreshing every ``NONGXIN_REGISTRY_REFRESH_SECONDS``
        (defaults ``farmer-rating``, 30 s)."""
        from model_registry.settings import get_registry_settings

        settings = get_registry_settings()
        return cls(
            registry,
            settings.model_name,
            bank=bank,
            refresh_seconds=settings.registry_refresh_seconds,
        )

    def get(self) -> LoadedModel:
        """The champion: cached, re-resolved at most once per ``refresh_seconds`` (never here
        with ``background=True`` once a model is loaded).

        One caller refreshes while the others keep getting the cached version, so a slow or
        hanging registry never holds up requests once a model is loaded (before the first
        load, callers wait for it).
        """
        with self._lock:
            current = self._current
            now = self._clock()
            due = not self.background and (
                self._checked_at is None or now - self._checked_at >= self.refresh_seconds
            )
        if (due or current is None) and self._refreshing.acquire(blocking=current is None):
            try:
                self._refresh()
            finally:
                self._refreshing.release()
        with self._lock:
            if self._current is None:
                raise RegistryUnavailable(
                    f"No champion of {self.name} could be loaded: {self._last_error}",
                    model=self.name,
                    bank=self.bank,
                )
            return self._current

    def refresh(self) -> None:
        """Resolve the alias now (whatever the interval) and load a new champion if it moved;
        a registry failure keeps the version served and shows in :meth:`health`. Waits for a
        refresh already running. What a ``background=True`` owner calls from its thread."""
        with self._refreshing:
            self._refresh(force=True)

    def _refresh(self, *, force: bool = False) -> None:
        """Resolve the alias and load a version not cached yet; registry calls hold no lock."""
        with self._lock:
            now = self._clock()
            fresh = self._checked_at is not None and now - self._checked_at < self.refresh_seconds
            if self._current is not None and fresh and not force:
                return  # another caller refreshed meanwhile
            self._checked_at = now
        try:
            info = self.registry.resolve_for_bank(self.name, "champion", self.bank)
            version = int(info.version)
            loaded = self._cache.get(version)
            if loaded is None:
                alias = next((a for a in info.aliases if a.startswith("champion")), "champion")
                loaded = LoadedModel(
                    self.name, version, alias, self.registry.load(self.name, version)
                )
        except RegistryError as exc:  # unreachable, or the alias vanished: keep serving
            with self._lock:
                self._last_error = f"{exc.code}: {exc}"
            return
        with self._lock:
            self._cache[version] = loaded
            self._current = loaded
            self._last_ok = datetime.now(UTC).isoformat(timespec="seconds")
            self._last_error = None

    def health(self) -> dict[str, Any]:
        """``status`` (``ok``, ``degraded`` — serving a cached version while the registry
        fails — or ``unavailable``), the version served and the last error."""
        with self._lock:
            current = self._current
            if current is None:
                status = "unavailable"
            elif self._last_error is not None:
                status = "degraded"
            else:
                status = "ok"
            return {
                "status": status,
                "model": self.name,
                "bank": self.bank,
                "version": None if current is None else current.version,
                "alias": None if current is None else current.alias,
                "content_hash": None if current is None else current.content_hash,
                "last_refresh_ok": self._last_ok,
                "last_error": self._last_error,
                "refresh_seconds": self.refresh_seconds,
                "refresh": "background" if self.background else "on request",
                "cached_versions": sorted(self._cache),
            }
