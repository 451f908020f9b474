"""API test fixtures: apps built by the real factory around a fake predictor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.settings import Settings
from service.inference.reload import VersionResolver
from service.inference.slot import PredictorFactory
from tests.api.fakes import FakePredictor, factory_of
from tests.waiting import eventually

StartApp = Callable[..., TestClient]


def wait_ready(client: TestClient, prefix: str = "", timeout_s: float = 10.0) -> None:
    """Poll /readyz until the model is loaded and warm."""
    eventually(lambda: client.get(f"{prefix}/readyz").status_code == 200, timeout_s, 0.01)


@pytest.fixture
def start_app() -> Iterator[StartApp]:
    """Start an app (lifespan running) around a fake; settings are keyword arguments."""
    with ExitStack() as stack:

        def start(
            predictor: FakePredictor | None = None,
            *,
            factory: PredictorFactory | None = None,
            resolver: VersionResolver | None = None,
            wait: bool = True,
            root_path: str = "",
            **settings: Any,
        ) -> TestClient:
            app = fake_app(predictor, factory, resolver, **settings)
            client = TestClient(app, raise_server_exceptions=False, root_path=root_path)
            stack.enter_context(client)
            if wait:
                wait_ready(client)
            return client

        yield start


def fake_app(
    predictor: FakePredictor | None = None,
    factory: PredictorFactory | None = None,
    resolver: VersionResolver | None = None,
    **settings: Any,
) -> FastAPI:
    """The real app factory around a fake predictor; settings are keyword arguments."""
    values = {"model_uri": "models:/fake/1", "reload_interval_s": 0, **settings}
    return create_app(
        Settings(**values),
        factory or factory_of(predictor or FakePredictor()),
        resolver or (lambda uri: None),
    )


@pytest.fixture
def mounted() -> Iterator[TestClient]:
    """The app mounted at /appraiser inside another app, with an API key; ready."""
    inner = fake_app(api_key="k" * 12 + "-secret-key")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[Mapping[str, Any]]:
        # A mounted app's lifespan does not run by itself: the host app runs it.
        async with inner.router.lifespan_context(inner) as state:
            yield state or {}

    outer = FastAPI(lifespan=lifespan)
    outer.mount("/appraiser", inner)
    with TestClient(outer, raise_server_exceptions=False) as client:
        wait_ready(client, "/appraiser")
        yield client


@pytest.fixture
def client(start_app: StartApp) -> TestClient:
    """A ready app around a default fake predictor."""
    return start_app()
