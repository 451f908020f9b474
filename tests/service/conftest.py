"""Service tests on a tiny real model, trained once per test module into a temporary store."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.api.settings import Settings
from tests.api.conftest import wait_ready
from tests.tiny import tiny_config
from training.config import TrainConfig
from training.pipeline import train

NAME = "appraiser-svc"
ServeApp = Callable[..., TestClient]


@dataclass(frozen=True)
class Store:
    """A temporary MLflow store holding one registered, champion model."""

    folder: Path
    tracking_uri: str
    dataset: Path
    version: str


def service_config() -> TrainConfig:
    """The tiny config, registered under this module's name, without comparisons."""
    return tiny_config(model_name=NAME, experiment="service-test", compare=False)


@pytest.fixture(scope="module")
def store(tiny_dataset_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        result = train(tiny_dataset_template, service_config(), verbose=0)
    return Store(folder, uri, tiny_dataset_template, result.registered_version)


@pytest.fixture
def serve(store: Store) -> Iterator[ServeApp]:
    """Start the real app on the store's champion; settings are keyword arguments."""
    with ExitStack() as stack:

        def start(**settings: Any) -> TestClient:
            values = {
                "model_uri": f"models:/{NAME}@champion",
                "tracking_uri": store.tracking_uri,
                "reload_interval_s": 0,
                **settings,
            }
            client = stack.enter_context(TestClient(create_app(Settings(**values))))
            wait_ready(client, timeout_s=120)
            return client

        yield start


def listings(dataset: Path, n: int) -> list[dict[str, Any]]:
    """`n` raw listings from the tiny dataset, photo bytes inlined; every 4th without photo."""
    frame = pd.read_csv(dataset / "listings.csv", dtype=str, keep_default_na=False)
    frame = frame[frame["photo"] != ""].head(n)
    rows = []
    for i, row in enumerate(frame.itertuples()):
        photo = (dataset / str(row.photo)).read_bytes() if i % 4 else None
        rows.append(
            {
                "brand": row.brand,
                "year": int(str(row.year)),
                "description": row.description,
                "photo": photo,
            }
        )
    return rows


def as_json(listing: dict[str, Any]) -> dict[str, Any]:
    photo = listing["photo"]
    return {**listing, "photo": base64.b64encode(photo).decode() if photo else None}
