"""The service against the compose stack's MLflow server on PostgreSQL: an alias move is served,
and the registry's database or server going away costs no request and no restart."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from mlflow.tracking import MlflowClient

from tests.deploy.stack import Image, Served, Stack, a_listing, served
from tests.waiting import eventually

pytestmark = pytest.mark.deploy
NAME, ALIAS = "appraiser", "champion"
QUICK_RELOAD = {"APPRAISER_RELOAD_INTERVAL_S": "1"}
_FAILURES = re.compile(r'^appraiser_model_reloads_total\{outcome="failure"\} (\S+)$', re.M)


def readiness(server: Served) -> tuple[int, str | None, str]:
    """/readyz's status, the version it reports, and its detail (status 0: not listening yet)."""
    try:
        answer = httpx.get(f"{server.url}/readyz", timeout=10)
    except httpx.TransportError as exc:
        return 0, None, str(exc)
    body = answer.json()
    return answer.status_code, (body.get("model") or {}).get("version"), body.get("detail") or ""


def serving(server: Served, version: str) -> Callable[[], bool]:
    """A check: the service is ready on `version`."""
    return lambda: server.process.poll() is None and readiness(server)[:2] == (200, version)


def failures(server: Served) -> float:
    """Failed reloads (loads and registry look-ups) the service has counted."""
    found = _FAILURES.search(httpx.get(f"{server.url}/metrics", timeout=10).text)
    return float(found[1]) if found else 0.0


def rides_out(server: Served, listing: dict[str, object], version: str) -> None:
    """While the registry is away: failed reloads are counted, and the service stays ready on
    `version` and prices listings."""
    before = failures(server)
    eventually(lambda: failures(server) >= before + 2, 60, 0.2)
    assert readiness(server)[:2] == (200, version)
    assert httpx.post(f"{server.url}/v1/predict", json=listing, timeout=30).status_code == 200


def test_alias_moves_are_served_and_registry_outages_cost_no_request(
    image: Image, stack: Stack, tmp_path: Path
) -> None:
    client = MlflowClient(stack.mlflow_url)
    first = stack.train_result["registered_version"]
    source = client.get_model_version(NAME, first)
    # The server accepts a `models:/m-...` source only with the logged model's id beside it,
    # the pairing mlflow.register_model makes; the registered version itself records none.
    logged_model_id = source.source.removeprefix("models:/")
    second = client.create_model_version(
        NAME, source.source, source.run_id, model_id=logged_model_id
    ).version
    listing = a_listing(stack.train_data)
    try:
        with served(image, stack, tmp_path, **QUICK_RELOAD) as server:
            eventually(serving(server, first), 180, 0.5, server.log.read_text)
            client.set_registered_model_alias(NAME, ALIAS, second)
            eventually(serving(server, second), 120, 0.5, server.log.read_text)

            # The database goes away, then the server; after each, the alias moves once more.
            for away, now, then in ((stack.database, second, first), (stack.mlflow, first, second)):
                away.stop()
                try:
                    rides_out(server, listing, now)
                finally:
                    away.start()
                client.set_registered_model_alias(NAME, ALIAS, then)
                eventually(serving(server, then), 120, 0.5, server.log.read_text)
    finally:
        client.set_registered_model_alias(NAME, ALIAS, first)


def test_a_service_started_while_the_registry_is_down_becomes_ready_without_a_restart(
    image: Image, stack: Stack, tmp_path: Path
) -> None:
    version = MlflowClient(stack.mlflow_url).get_model_version_by_alias(NAME, ALIAS).version
    stack.mlflow.stop()
    try:
        with served(image, stack, tmp_path, **QUICK_RELOAD) as server:

            def waiting_for_registry() -> bool:
                status, _, detail = readiness(server)
                return status == 503 and "cannot look up" in detail

            eventually(waiting_for_registry, 180, 0.5, server.log.read_text)
            stack.mlflow.start()
            eventually(serving(server, version), 180, 0.5, server.log.read_text)
    finally:
        if stack.mlflow.process is None:
            stack.mlflow.start()
