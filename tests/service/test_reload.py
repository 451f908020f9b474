"""Hot reload on a real registry: moving the alias switches versions without a failed request;
a broken new version is counted and the old one keeps serving."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import mlflow
import pytest
from fastapi.testclient import TestClient
from mlflow.tracking import MlflowClient

from models.pyfunc import KERAS_ARTIFACT, SCHEMA_ARTIFACT, AppraiserModel
from models.schema import clothing_schema
from tests.service.conftest import NAME, ServeApp, Store, as_json, listings
from tests.waiting import eventually

pytestmark = pytest.mark.service


class Traffic:
    """Posts listings in a loop from a thread; records every status and answering version."""

    def __init__(self, client: TestClient, body: dict[str, object]) -> None:
        self.client, self.body = client, body
        self.statuses: list[int] = []
        self.versions: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.is_set():
            response = self.client.post("/v1/predict", json=self.body)
            self.statuses.append(response.status_code)
            if response.status_code == 200:
                self.versions.append(response.json()["model"]["version"])


def _register_copy(store: Store) -> str:
    """A second version of the same model: what a retrained champion looks like to the service."""
    client = MlflowClient()
    source = client.get_model_version(NAME, store.version).source
    return str(mlflow.register_model(source, NAME).version)


def _register_broken() -> str:
    """A version whose Keras artifact is not a model: it registers, but cannot load."""
    with tempfile.TemporaryDirectory() as tmp:
        keras_file, schema_file = Path(tmp) / "model.keras", Path(tmp) / "schema.yaml"
        keras_file.write_text("not a keras model")
        schema_file.write_text(clothing_schema().to_yaml())
        experiment = mlflow.get_experiment_by_name("service-test")  # artifacts stay in the store
        assert experiment is not None
        with mlflow.start_run(experiment_id=experiment.experiment_id):
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=AppraiserModel(),
                artifacts={KERAS_ARTIFACT: str(keras_file), SCHEMA_ARTIFACT: str(schema_file)},
                pip_requirements=[],
                registered_model_name=NAME,
            )
    return str(info.registered_model_version)


def test_alias_move_is_served_without_failures_and_a_broken_version_is_skipped(
    serve: ServeApp, store: Store
) -> None:
    client = serve(reload_interval_s=0.2)
    mlflow.set_tracking_uri(store.tracking_uri)
    registry = MlflowClient()
    body = as_json(listings(store.dataset, 2)[1])
    with Traffic(client, body) as traffic:
        eventually(lambda: len(traffic.versions) > 5, timeout_s=120)
        assert set(traffic.versions) == {store.version}
        new = _register_copy(store)
        registry.set_registered_model_alias(NAME, "champion", new)
        eventually(lambda: traffic.versions[-1:] == [new], timeout_s=120)
        broken = _register_broken()
        registry.set_registered_model_alias(NAME, "champion", broken)
        eventually(lambda: 'outcome="failure"} 1.0' in client.get("/metrics").text, timeout_s=120)
        seen = len(traffic.versions)
        eventually(lambda: len(traffic.versions) > seen + 5, timeout_s=120)
    assert traffic.statuses and set(traffic.statuses) == {200}, sorted(set(traffic.statuses))
    assert traffic.versions[-1] == new and broken not in traffic.versions
    assert client.get("/readyz").json()["model"]["version"] == new
    metrics = client.get("/metrics").text
    assert 'appraiser_model_reloads_total{outcome="success"} 2.0' in metrics
    assert f'name="{NAME}",version="{new}"' in metrics
