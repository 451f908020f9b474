"""API test fixtures: apps built by the real factory around a fake predictor."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.reload import VersionResolver
from service.settings import Settings
from service.slot import PredictorFactory
from tests.api.fakes import FakePredictor, factory_of

StartApp = Callable[..., TestClient]


def wait_ready(client: TestClient, timeout_s: float = 10.0) -> None:
    """Poll /readyz until the model is loaded and warm."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.01)
    raise AssertionError(f"not ready after {timeout_s} s: {client.get('/readyz').json()}")


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
            **settings: Any,
        ) -> TestClient:
            values = {"model_uri": "models:/fake/1", "reload_interval_s": 0, **settings}
            app = create_app(
                Settings(**values),
                factory or factory_of(predictor or FakePredictor()),
                resolver or (lambda uri: None),
            )
            client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
            if wait:
                wait_ready(client)
            return client

        yield start


@pytest.fixture
def client(start_app: StartApp) -> TestClient:
    """A ready app around a default fake predictor."""
    return start_app()
