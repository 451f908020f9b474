"""Hot reload when things go wrong: under load, with a broken version, with the registry away."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from functools import partial

from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.settings import Settings
from service.inference.settings import RuntimeSettings
from tests.api.fakes import FakePredictor
from tests.faults.traffic import Clients, ready
from tests.serving import free_port, serving
from tests.waiting import eventually

ALIAS = "models:/fake@champion"


class Registry:
    """A registry the test steers: where the alias points, whether it answers, which versions
    cannot load; it counts look-ups and keeps a weak reference to every model it loaded."""

    def __init__(self, version: str = "1", broken: frozenset[str] = frozenset()) -> None:
        self.version, self.broken, self.up = version, broken, True
        self.lookups = 0
        self.drop_on_load: set[str] = set()
        self.loaded: dict[str, list[weakref.ref[FakePredictor]]] = {}

    def resolve(self, uri: str) -> str | None:
        self.lookups += 1
        if not self.up:
            raise ConnectionError("registry unreachable")
        return self.version

    def load(self, uri: str, settings: RuntimeSettings) -> FakePredictor:
        if not self.up:
            raise ConnectionError("registry unreachable")
        version = uri.rsplit("/", 1)[-1]
        if version in self.drop_on_load:  # the registry goes away while this version downloads
            self.drop_on_load.discard(version)
            self.up = False
            raise ConnectionError("registry unreachable")
        model = FakePredictor(version, forward_delay_s=0.002, fail_warm=version in self.broken)
        self.loaded.setdefault(version, []).append(weakref.ref(model))
        return model


def _app(registry: Registry, interval_s: float = 0.05, **settings: object) -> TestClient:
    config = Settings(model_uri=ALIAS, reload_interval_s=interval_s, **settings)  # type: ignore[arg-type]
    return TestClient(create_app(config, registry.load, registry.resolve))


def _failures(client: TestClient) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith('appraiser_model_reloads_total{outcome="failure"}'):
            return float(line.split()[-1])
    return 0.0


def _forward_threads() -> int:
    return sum(t.name == "forward" and t.is_alive() for t in threading.enumerate())


def _lookups_pass(registry: Registry, n: int) -> Callable[[], bool]:
    start = registry.lookups
    return lambda: registry.lookups >= start + n


def _answered_by(clients: Clients, version: str) -> bool:
    return clients.answers[-1].version == version


def test_alias_moves_twice_under_32_clients_without_a_failed_request() -> None:
    registry, port = Registry(), free_port()
    threads_before = _forward_threads()
    config = Settings(model_uri=ALIAS, reload_interval_s=0.05, port=port)
    app = create_app(config, registry.load, registry.resolve)
    with serving(app, port):
        # The clients start once the first model is warm: until then, 503 is the right answer.
        eventually(lambda: ready(port), 10)
        with Clients(port, 32) as clients:
            for version in ("2", "3"):
                eventually(lambda: len(clients.answers) >= 200, 30)
                registry.version = version
                eventually(partial(_answered_by, clients, version), 30)
            eventually(lambda: len([a for a in clients.answers if a.version == "3"]) >= 200, 30)
            assert clients.errors == [], clients.errors[:5]
            assert {a.status for a in clients.answers} == {200}
            assert [v for v in ("1", "2", "3") if any(a.version == v for a in clients.answers)] == [
                "1",
                "2",
                "3",
            ]
            # the old models' threads have exited and nothing holds the old models any more
            eventually(lambda: _forward_threads() == threads_before + 1, 10)
            gc.collect()
            assert all(ref() is None for v in ("1", "2") for ref in registry.loaded[v])


def test_a_broken_version_is_attempted_once_however_many_intervals_pass() -> None:
    registry = Registry(version="2", broken=frozenset({"2"}))
    with _app(registry) as client:
        eventually(lambda: _failures(client) == 1)
        eventually(_lookups_pass(registry, 10))
        assert _failures(client) == 1
        assert len(registry.loaded["2"]) == 1
        assert client.get("/readyz").status_code == 503
        registry.version = "3"  # a new version is tried at once
        eventually(lambda: ready_version(client) == "3")
        assert _failures(client) == 1


def ready_version(client: TestClient) -> str | None:
    """The version /readyz reports, None while not ready."""
    response = client.get("/readyz")
    return response.json()["model"]["version"] if response.status_code == 200 else None


def test_registry_down_keeps_the_model_serving_and_counts_failed_reloads() -> None:
    registry = Registry()
    with _app(registry) as client:
        eventually(lambda: ready_version(client) == "1")
        registry.up = False
        registry.version = "2"
        eventually(lambda: _failures(client) >= 3)
        assert ready_version(client) == "1"
        assert client.post("/v1/predict", json={"year": 2000}).status_code == 200
        registry.up = True
        eventually(lambda: ready_version(client) == "2")


def test_a_load_that_failed_while_the_registry_was_down_is_tried_again() -> None:
    registry = Registry()
    with _app(registry) as client:
        eventually(lambda: ready_version(client) == "1")
        registry.drop_on_load = {"2"}
        registry.version = "2"
        eventually(lambda: _failures(client) >= 2)  # the load, then look-ups while it is down
        assert ready_version(client) == "1"
        registry.up = True
        eventually(lambda: ready_version(client) == "2")


def test_a_service_started_while_the_registry_is_down_becomes_ready_when_it_is_back() -> None:
    registry = Registry()
    registry.up = False
    with _app(registry) as client:
        eventually(lambda: _failures(client) >= 2)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert "registry unreachable" in response.json()["detail"]
        registry.up = True
        eventually(lambda: ready_version(client) == "1")
