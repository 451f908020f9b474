"""The image's recipe and the compose stack, replayed without a container engine
(tests/deploy/stack.py says how).

What this proves: the image's install recipe yields a working install from pyproject.toml, the
files the Dockerfile copies are enough to train and serve, and the compose wiring (server flags,
the PostgreSQL backend store, tracking URIs, artifacts through the server, health checks) works.
What it cannot: the base images, the non-root user and file modes, and name resolution between
containers (the server's Host check for the service name is exercised with an explicit Host
header instead).
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import httpx
import psycopg
import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.stack import (
    SERVICE_PORT,
    Image,
    Stack,
    a_listing,
    health_command,
    localise,
    port_of,
    served,
    wait_healthy,
)
from tests.deploy.test_packaging import LOAD_ONLY, pins

pytestmark = pytest.mark.deploy


def test_install_steps_are_timed(image: Image) -> None:
    """Both install steps ran (their durations are in the test's report)."""
    print(f"install times (s): {image.install_seconds}")  # shown with -rP
    assert (image.folder / "venv" / "bin" / "appraise").exists()


def test_image_holds_the_pinned_versions_and_no_load_tools(image: Image) -> None:
    """Every package in the image is at its constraints.txt pin (none is unpinned), so a rebuild
    installs the same versions; and locust and what it brings stay out."""
    python = image.folder / "venv" / "bin" / "python"
    listed = subprocess.run(
        [str(python), "-I", "-m", "pip", "list", "--format=json"],  # -I: not this PYTHONPATH
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {
        canonicalize_name(d["name"]): Version(d["version"]) for d in json.loads(listed.stdout)
    }
    assert "tensorflow" in installed and set(installed) & LOAD_ONLY == set()
    pinned = pins()
    drift = {n: f"{v}, pinned {pinned.get(n)}" for n, v in installed.items() if pinned.get(n) != v}
    # The venv's own installer and the project (installed from source by the app step).
    for name in ("pip", "appraiser"):
        drift.pop(canonicalize_name(name), None)
    assert drift == {}


def test_mlflow_server_accepts_its_service_name_only(stack: Stack) -> None:
    """Containers call the server as mlflow:5000; MLflow 3 refuses unknown Host headers."""
    search = f"{stack.mlflow_url}/api/2.0/mlflow/experiments/search?max_results=5"
    trusted = httpx.get(search, headers={"Host": f"mlflow:{stack.mlflow_port}"}, timeout=10)
    assert trusted.status_code == 200, trusted.text
    foreign = httpx.get(search, headers={"Host": f"evil.example:{stack.mlflow_port}"}, timeout=10)
    assert foreign.status_code == 403, foreign.text


def test_train_job_registers_a_champion_through_the_server(stack: Stack) -> None:
    """The job trains, registers and promotes; the registry is in PostgreSQL, the artifacts on the
    server's volume, and nothing of either in the job's own folder."""
    assert stack.train_result["champion"] is True, stack.train_result
    assert stack.train_result["model_uri"].startswith("models:/appraiser/")
    with psycopg.connect(stack.database.url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT name, version FROM model_versions")
        versions = cursor.fetchall()
    assert ("appraiser", int(stack.train_result["registered_version"])) in versions
    assert not list(stack.mlflow_volume.rglob("*.db")), "the registry is not a SQLite file"
    assert any((stack.mlflow_volume / "mlartifacts").rglob("model.keras"))
    assert not (stack.train_data / "mlflow.db").exists()
    assert not (stack.train_data / "mlartifacts").exists()


def test_service_serves_the_champion(image: Image, stack: Stack, tmp_path: Path) -> None:
    """The image's entry point on compose's environment: healthy, ready, prices, stops cleanly."""
    service = stack.compose["services"]["service"]
    assert "command" not in service and "entrypoint" not in service, "runs the image's CMD"
    assert port_of(service) == SERVICE_PORT == int(image.runtime.env["APPRAISER_PORT"])
    with served(image, stack, tmp_path) as server:
        health = health_command(service, server.roots, server.port)
        wait_healthy(health, server.env, server.log, timeout_s=180)
        image_check = [localise(w, server.roots) for w in image.runtime.healthcheck]
        assert subprocess.run(image_check, env=server.env, check=False).returncode == 0
        model = httpx.get(f"{server.url}/v1/model", timeout=10).json()
        assert model["device"] == "/CPU:0", model
        assert model["version"] == stack.train_result["registered_version"], model
        listing = a_listing(stack.train_data)
        answer = httpx.post(f"{server.url}/v1/predict", json=listing, timeout=30)
        assert answer.status_code == 200, answer.text
        price = answer.json()
        assert price["price_range"]["low"] <= price["price"] <= price["price_range"]["high"]
        assert price["price"] > 0
        # What `docker stop` sends: a drain (readiness 503 for the grace), then uvicorn's
        # graceful stop, which re-raises the signal (exit 143).
        server.process.send_signal(signal.SIGTERM)
        log = server.log.read_text
        assert server.process.wait(timeout=60) in (0, -signal.SIGTERM), log()[-3000:]
    assert "Application shutdown complete" in log(), "a graceful shutdown"
    version = stack.train_result["registered_version"]
    assert f"serving appraiser v{version} (models:/appraiser/{version}) on /CPU:0" in log()
