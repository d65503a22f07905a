"""The serving cache: by version, refresh interval, new champion picked up, registry outages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from model_registry.bundle import RatingModel
from model_registry.exceptions import ModelNotFound, RegistryError, RegistryUnavailable
from model_registry.serving import ChampionLoader


@dataclass
class _Info:
    version: int
    aliases: tuple[str, ...] = ("champion",)


@dataclass
class FakeRegistry:
    """A registry layer stand-in (unit test of the cache alone)."""

    models: dict[int, RatingModel]
    champion: int
    down: bool = False
    resolves: int = 0
    loads: list[int] = field(default_factory=list)

    def resolve_for_bank(self, name: str, role: str, bank: str | None) -> _Info:
        self.resolves += 1
        if self.down:
            raise RegistryUnavailable("connection refused")
        return _Info(self.champion)

    def load(self, name: str, version: int) -> RatingModel:
        if self.down:
            raise RegistryUnavailable("connection refused")
        self.loads.append(version)
        return self.models[version]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(trained: Any) -> FakeRegistry:
    return FakeRegistry({1: trained.good.model, 2: trained.worse.model}, champion=1)


def test_cache_refresh_and_outage(fake: FakeRegistry, trained: Any) -> None:
    clock = Clock()
    loader = ChampionLoader(fake, "farmer-rating", refresh_seconds=30, clock=clock)
    assert loader.get().version == 1
    for _ in range(50):
        loader.get()
    assert (fake.resolves, fake.loads) == (1, [1])  # no registry call per request
    fake.champion = 2
    clock.now = 29.0
    assert loader.get().version == 1  # not yet due
    clock.now = 30.0
    served = loader.get()
    assert (served.version, served.content_hash) == (2, trained.worse.model.content_hash)
    fake.down = True
    clock.now = 61.0
    assert loader.get().version == 2  # keeps serving the last loaded version
    health = loader.health()
    assert health["status"] == "degraded"
    assert health["version"] == 2
    assert "REGISTRY_UNAVAILABLE" in health["last_error"]
    fake.down, fake.champion = False, 1
    clock.now = 91.0
    assert loader.get().version == 1
    assert fake.loads == [1, 2]  # version 1 came from the cache
    assert loader.health()["status"] == "ok"


def test_nothing_loaded_and_registry_down(fake: FakeRegistry) -> None:
    fake.down = True
    loader = ChampionLoader(fake, "farmer-rating")
    with pytest.raises(RegistryUnavailable, match="No champion of farmer-rating"):
        loader.get()
    assert loader.health()["status"] == "unavailable"


def test_loader_on_the_embedded_registry(registry: Any, trained: Any) -> None:
    from model_registry.flavor import input_example
    from model_registry.lineage import Lineage

    lineage = Lineage(trained.good.training_data_sha256, "survey-only", "alice")
    example = input_example(trained.good.model, trained.frame)
    v = registry.register(
        trained.good.model, name="farmer-rating", lineage=lineage, input_example=example
    ).version
    clock = Clock()
    loader = ChampionLoader(registry, "farmer-rating", bank="301", clock=clock)
    with pytest.raises(RegistryUnavailable, match="not found"):
        loader.get()
    registry.set_alias("farmer-rating", "champion", v)
    clock.now = 100.0
    served = loader.get()
    assert (served.version, served.alias) == (v, "champion")
    rated = served.predict(trained.frame.head(20))
    assert list(rated.columns[:3]) == ["score", "pd", "grade"]
    with pytest.raises(ModelNotFound, match="not found"):
        registry.resolve("farmer-rating", "champion-301")


def test_unreachable_server_degrades_a_loaded_loader(
    trained: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real registry client against a closed loopback port: errors become RegistryUnavailable
    and the loader keeps serving what it has."""
    from model_registry.registry import ModelRegistry
    from tests.model_registry.helpers import free_port

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    down = ModelRegistry(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RegistryUnavailable, match="farmer-rating@champion"):
        down.resolve("farmer-rating", "champion")
    clock = Clock()
    fake = FakeRegistry({1: trained.good.model}, champion=1)
    loader = ChampionLoader(fake, "farmer-rating", refresh_seconds=5, clock=clock)
    assert loader.get().version == 1
    loader.registry = down
    clock.now = 10.0
    assert loader.get().version == 1
    assert loader.health()["status"] == "degraded"


def test_loader_from_settings(fake: FakeRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NONGXIN_MODEL_NAME", "farmer-rating-b")
    monkeypatch.setenv("NONGXIN_REGISTRY_REFRESH_SECONDS", "5")
    loader = ChampionLoader.from_settings(fake, bank="303")
    assert (loader.name, loader.bank, loader.refresh_seconds) == ("farmer-rating-b", "303", 5.0)
    with pytest.raises(RegistryError, match="'refresh_seconds' must be > 0"):
        ChampionLoader(fake, "farmer-rating", refresh_seconds=0)


def test_a_hanging_refresh_does_not_hold_up_requests(fake: FakeRegistry) -> None:
    import threading

    clock = Clock()
    loader = ChampionLoader(fake, "farmer-rating", refresh_seconds=30, clock=clock)
    assert loader.get().version == 1
    release, entered = threading.Event(), threading.Event()
    original = fake.resolve_for_bank

    def hanging(name: str, role: str, bank: str | None) -> _Info:
        entered.set()
        release.wait(timeout=10)
        return original(name, role, bank)

    fake.resolve_for_bank = hanging  # type: ignore[method-assign]
    fake.champion = 2
    clock.now = 31.0
    refresher = threading.Thread(target=loader.get)
    refresher.start()
    assert entered.wait(timeout=10)
    assert loader.get().version == 1  # served from the cache while the refresh hangs
    release.set()
    refresher.join(timeout=10)
    assert loader.get().version == 2


def test_background_loader_never_asks_the_registry_in_get(fake: FakeRegistry, trained: Any) -> None:
    """``background=True``: requests only read the cache; ``refresh`` (the owner's thread)
    swaps the champion, and a registry outage during it keeps the cached one."""
    clock = Clock()
    loader = ChampionLoader(fake, "farmer-rating", refresh_seconds=30, clock=clock, background=True)
    assert loader.get().version == 1  # the first load happens where it is needed
    fake.champion = 2
    clock.now = 1000.0  # long overdue
    for _ in range(20):
        assert loader.get().version == 1
    assert (fake.resolves, fake.loads) == (1, [1])
    loader.refresh()
    served = loader.get()
    assert (served.version, served.content_hash) == (2, trained.worse.model.content_hash)
    assert (fake.resolves, fake.loads) == (2, [1, 2])
    fake.down = True
    loader.refresh()
    assert loader.get().version == 2
    health = loader.health()
    assert (health["status"], health["refresh"]) == ("degraded", "background")
    assert "REGISTRY_UNAVAILABLE" in health["last_error"]
    fake.down, fake.champion = False, 1
    loader.refresh()
    assert loader.get().version == 1
    assert fake.loads == [1, 2]  # version 1 came from the cache
    assert loader.health()["status"] == "ok"
